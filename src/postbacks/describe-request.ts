import type { FastifyRequest } from 'fastify'
import {
  isSensitiveName,
  REDACTED,
  redactQueryString,
  redactUrlParts,
  redactValues,
} from '../http/redact.js'
import type { PostbackLogEntry } from './log.js'
import { FormBody, JsonBody } from './params.js'

// host and x-forwarded-host/-proto: the address the network called (`doctor` compares it with
// PUBLIC_URL, which URL signatures cover).
const STORED_HEADERS = [
  'user-agent',
  'content-type',
  'x-forwarded-for',
  'host',
  'x-forwarded-host',
  'x-forwarded-proto',
] as const

export type RequestRecord = Pick<
  PostbackLogEntry,
  'method' | 'path' | 'query' | 'body' | 'headers' | 'sourceIp'
>

/**
 * What the postback log keeps of a request: secrets removed by parameter name and, in case a
 * network sends one under another name (or in tx_id, sub2...), by decoded value.
 */
export function describeRequest(
  request: FastifyRequest,
  secrets: readonly string[],
): RequestRecord {
  // By decoded value too: %74est-secret, lower-case hex or + for a space are the same secret.
  const { path, query } = redactUrlParts(request.url, secrets)
  const headers: Record<string, string> = {}
  for (const name of STORED_HEADERS) {
    const value = request.headers[name]
    if (typeof value === 'string') headers[name] = redactValues(value, secrets)
  }
  return {
    method: request.method,
    path,
    query,
    body: describeBody(request.body, secrets),
    headers,
    sourceIp: request.ip,
  }
}

function describeBody(received: unknown, secrets: readonly string[]): string | null {
  const body = received instanceof JsonBody ? received.value : received
  if (body instanceof FormBody) {
    return body.raw === '' ? null : redactQueryString(body.raw, secrets)
  }
  if (body === undefined || body === null) return null
  if (typeof body !== 'object') return redactValues(JSON.stringify(body), secrets)
  const redacted = Array.isArray(body)
    ? body
    : Object.fromEntries(
        Object.entries(body).map(([name, value]) => [
          name,
          isSensitiveName(name) ? REDACTED : value,
        ]),
      )
  return redactValues(JSON.stringify(redacted), secrets)
}
