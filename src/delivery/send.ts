import { isIP } from 'node:net'
import { Agent, request } from 'undici'
import type { OutgoingRequest } from './render.js'
import { BlockedDestinationError, blockedAddressReason, guardedLookup } from './ssrf.js'

export type SendResult = {
  statusCode: number | null
  latencyMs: number
  /** The first bytes of the response body, for the attempt log. */
  excerpt: string | null
  error: string | null
  /** A refusal that retrying cannot fix (the destination is blocked, the request invalid). */
  permanent: boolean
}

const EXCERPT_BYTES = 512

export type Sender = {
  send(outgoing: OutgoingRequest, timeoutMs: number, signal: AbortSignal): Promise<SendResult>
  close(): Promise<void>
}

/** Sends over undici, never following redirects (a redirect could lead anywhere). */
export function createSender({ allowPrivate }: { allowPrivate: boolean }): Sender {
  const agent = new Agent({
    connect: allowPrivate ? {} : { lookup: guardedLookup },
    keepAliveTimeout: 10_000,
  })
  return {
    async send(outgoing, timeoutMs, signal) {
      const started = performance.now()
      const elapsed = () => Math.round(performance.now() - started)
      try {
        // Sockets to IP literals skip DNS, so the guard checks them here.
        const host = new URL(outgoing.url).hostname.replace(/^\[|\]$/g, '')
        const literal = !allowPrivate && isIP(host) ? blockedAddressReason(host) : null
        if (literal) return failure(literal, elapsed(), true)
        const response = await request(outgoing.url, {
          method: outgoing.method,
          headers: outgoing.headers,
          body: outgoing.body,
          dispatcher: agent,
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        })
        const excerpt = await readExcerpt(response.body)
        return {
          statusCode: response.statusCode,
          latencyMs: elapsed(),
          excerpt,
          error:
            response.statusCode >= 200 && response.statusCode < 300
              ? null
              : `answered ${response.statusCode}`,
          permanent: false,
        }
      } catch (error) {
        const blocked = findBlocked(error)
        if (blocked) return failure(blocked.message, elapsed(), true)
        // A URL, method or header undici refuses is refused on every attempt.
        if (isInvalidRequest(error)) {
          return failure(`cannot send the request: ${(error as Error).message}`, elapsed(), true)
        }
        return failure(describeError(error, timeoutMs), elapsed(), false)
      }
    },
    close: () => agent.close(),
  }
}

function failure(error: string, latencyMs: number, permanent: boolean): SendResult {
  return { statusCode: null, latencyMs, excerpt: null, error, permanent }
}

async function readExcerpt(body: AsyncIterable<Buffer> & { destroy(): void }): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    chunks.push(chunk)
    size += chunk.length
    if (size >= EXCERPT_BYTES) break // breaking the loop destroys the rest of the body
  }
  return Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8')
}

function findBlocked(error: unknown): BlockedDestinationError | null {
  for (let e = error as { cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e instanceof BlockedDestinationError) return e
  }
  return null
}

function isInvalidRequest(error: unknown): boolean {
  const code = (error as { code?: string }).code
  return code === 'UND_ERR_INVALID_ARG' || code === 'ERR_INVALID_URL'
}

function describeError(error: unknown, timeoutMs: number): string {
  const e = error as Error & { code?: string; cause?: Error & { code?: string } }
  if (e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT') {
    return `no answer within ${timeoutMs} ms`
  }
  if (e.name === 'AbortError') return 'aborted: the worker is shutting down'
  const code = e.cause?.code ?? e.code
  return code ? `${code}: ${e.cause?.message ?? e.message}` : e.message
}
