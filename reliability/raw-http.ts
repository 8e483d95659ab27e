import net from 'node:net'

// HTTP/1.1 over a bare socket, for requests fetch refuses to send: invalid bytes in the request
// line or headers, broken framing, bodies sent slowly. One request per connection
// (Connection: close): send, read to the end, parse what came back.

export type RawResponse = {
  /** 0 when no complete response arrived (then `error` says why). */
  status: number
  headers: Map<string, string>
  body: string
  error: string | null
  ms: number
}

export type RawSendOptions = {
  /** Send the body in this many pieces, `pieceDelayMs` apart (a slow client). */
  pieces?: number
  pieceDelayMs?: number
  /** Half-close after sending (a client that gives up before its body is complete). */
  halfClose?: boolean
  timeoutMs?: number
  /** HEAD: the answer has headers only. */
  head?: boolean
}

export function sendRaw(
  port: number,
  head: Buffer,
  body: Buffer | null,
  options: RawSendOptions = {},
): Promise<RawResponse> {
  const started = performance.now()
  const { pieces = 1, pieceDelayMs = 0, halfClose = false, timeoutMs = 10_000 } = options
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    let error: string | null = null
    let settled = false
    const finish = () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      for (const pending of delays) clearTimeout(pending)
      socket.destroy()
      const parsed = parseResponse(Buffer.concat(chunks), options.head === true)
      const ms = performance.now() - started
      if (parsed) resolve({ ...parsed, error: parsed.complete ? null : error, ms })
      else resolve({ status: 0, headers: new Map(), body: '', error: error ?? 'no response', ms })
    }
    const timer = setTimeout(() => {
      error = 'timeout'
      finish()
    }, timeoutMs)
    const delays: NodeJS.Timeout[] = []
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    // The server may answer and close while the rest of the body is still on its way: a reset
    // after a complete answer is not a failure.
    socket.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message
      finish()
    })
    socket.on('close', finish)
    socket.on('connect', () => {
      const write = (data: Buffer) => {
        if (!socket.destroyed && socket.writable) socket.write(data)
      }
      const parts = splitBody(body, pieces)
      write(parts.length > 0 && pieces === 1 ? Buffer.concat([head, ...parts]) : head)
      if (pieces > 1) {
        parts.forEach((part, index) => {
          delays.push(setTimeout(() => write(part), (index + 1) * pieceDelayMs))
        })
      }
      const endAt = pieces > 1 ? (parts.length + 1) * pieceDelayMs : 0
      if (halfClose) delays.push(setTimeout(() => socket.writable && socket.end(), endAt))
    })
  })
}

function splitBody(body: Buffer | null, pieces: number): Buffer[] {
  if (!body || body.length === 0) return []
  const size = Math.max(1, Math.ceil(body.length / pieces))
  const parts: Buffer[] = []
  for (let offset = 0; offset < body.length; offset += size)
    parts.push(body.subarray(offset, offset + size))
  return parts
}

type Parsed = Omit<RawResponse, 'error' | 'ms'> & { complete: boolean }

/** Status line, headers (names lower-cased, repeats joined) and body (length, chunked or to EOF). */
export function parseResponse(data: Buffer, head: boolean): Parsed | null {
  const end = data.indexOf('\r\n\r\n')
  if (end === -1) return null
  const lines = data.subarray(0, end).toString('latin1').split('\r\n')
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')
  if (!status?.[1]) return null
  // 100 Continue (Expect: 100-continue) comes before the real answer.
  if (status[1].startsWith('1')) return parseResponse(data.subarray(end + 4), head)
  const headers = new Map<string, string>()
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    const name = line.slice(0, colon).trim().toLowerCase()
    const value = line.slice(colon + 1).trim()
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value)
  }
  const rest = data.subarray(end + 4)
  if (head) return { status: Number(status[1]), headers, body: '', complete: true }
  if (/chunked/i.test(headers.get('transfer-encoding') ?? '')) {
    const decoded = decodeChunked(rest)
    return {
      status: Number(status[1]),
      headers,
      body: decoded.body.toString('utf8'),
      complete: decoded.complete,
    }
  }
  const length = headers.get('content-length')
  if (length !== undefined) {
    const wanted = Number(length)
    return {
      status: Number(status[1]),
      headers,
      body: rest.subarray(0, wanted).toString('utf8'),
      complete: rest.length >= wanted,
    }
  }
  return { status: Number(status[1]), headers, body: rest.toString('utf8'), complete: true }
}

function decodeChunked(data: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = []
  let offset = 0
  while (offset < data.length) {
    const lineEnd = data.indexOf('\r\n', offset)
    if (lineEnd === -1) break
    const size = Number.parseInt(data.subarray(offset, lineEnd).toString('latin1'), 16)
    if (!Number.isFinite(size)) break
    if (size === 0) return { body: Buffer.concat(parts), complete: true }
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size))
    offset = lineEnd + 2 + size + 2
  }
  return { body: Buffer.concat(parts), complete: false }
}
