// A fuzzing case as data, and its bytes on the wire for a raw socket.

export type Pair = readonly [name: string, value: string]
export type Header = readonly [name: string, value: string]
export type Framing =
  | 'length'
  | 'chunked'
  | 'bad-chunked'
  | 'truncated'
  | 'two-lengths'
  | 'length-and-chunked'
  | 'negative-length'

/**
 * The statuses a targeted case may get; `code` is the X-Postback-Outcome that comes with the
 * first of them. `parserMayRefuse`: raw bytes may make Node refuse the request (400, no code).
 */
export type Expectation = { statuses: readonly number[]; code?: string; parserMayRefuse?: boolean }

export type FuzzCase = {
  kind: string
  transport: 'raw' | 'fetch'
  method: string
  /** The request-target exactly as sent (latin1 for raw). */
  target: string
  version: string
  /** Raw only: the Host header (null: none). */
  host: string | null
  headers: Header[]
  body: Buffer | null
  framing: Framing
  /** Body sent in pieces over about a second. */
  slow: boolean
  /**
   * The body's framing breaks after the head was accepted: the route may answer (and store the
   * refusal) while Node's parser answers the client 400 and closes the connection.
   */
  brokenBody: boolean
  carriesSecret: boolean
  wrongSecrets: string[]
  expect?: Expectation
}

/** Request line and headers, with Host, Connection: close and the framing headers. */
export function requestHead(c: FuzzCase): Buffer {
  const lines = [`${c.method} ${c.target} ${c.version}`]
  if (c.host !== null) lines.push(`Host: ${c.host}`)
  lines.push('Connection: close')
  for (const [name, value] of c.headers) lines.push(`${name}: ${value}`)
  const length = c.body?.length ?? 0
  if (c.body) {
    if (c.framing === 'length' || c.framing === 'length-and-chunked')
      lines.push(`Content-Length: ${length}`)
    if (c.framing === 'truncated') lines.push(`Content-Length: ${length + 100}`)
    if (c.framing === 'two-lengths')
      lines.push(`Content-Length: ${length}`, `Content-Length: ${length + 1}`)
    if (c.framing === 'negative-length') lines.push('Content-Length: -1')
    if (['chunked', 'bad-chunked', 'length-and-chunked'].includes(c.framing))
      lines.push('Transfer-Encoding: chunked')
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')
}

/** The body as framed on the wire. */
export function requestBody(c: FuzzCase): Buffer | null {
  if (!c.body) return null
  if (c.framing === 'chunked' || c.framing === 'length-and-chunked') {
    const half = Math.ceil(c.body.length / 2)
    const chunks = [c.body.subarray(0, half), c.body.subarray(half)].filter(
      (chunk) => chunk.length > 0,
    )
    return Buffer.concat([
      ...chunks.flatMap((chunk) => [
        Buffer.from(`${chunk.length.toString(16)}\r\n`),
        chunk,
        Buffer.from('\r\n'),
      ]),
      Buffer.from('0\r\n\r\n'),
    ])
  }
  if (c.framing === 'bad-chunked')
    return Buffer.concat([Buffer.from('ZZ\r\n'), c.body, Buffer.from('\r\n0\r\n\r\n')])
  return c.body
}

/** One line for a failure message: kind, method, and the start of the target. */
export function describeCase(c: FuzzCase): string {
  return `${c.kind} ${c.transport} ${c.method} ${JSON.stringify(c.target.slice(0, 160))}${c.body ? ` body=${JSON.stringify(c.body.toString('latin1').slice(0, 80))}` : ''}`
}
