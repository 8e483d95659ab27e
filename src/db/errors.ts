// Postgres error codes we act on, by name (https://www.postgresql.org/docs/current/errcodes-appendix.html).
export const UNIQUE_VIOLATION = '23505'
export const QUERY_CANCELED = '57014' // statement_timeout
export const ADMIN_SHUTDOWN = '57P01'
export const CRASH_SHUTDOWN = '57P02'
export const CANNOT_CONNECT_NOW = '57P03'
export const TOO_MANY_CONNECTIONS = '53300'

const UNAVAILABLE_CODES = new Set([
  QUERY_CANCELED,
  ADMIN_SHUTDOWN,
  CRASH_SHUTDOWN,
  CANNOT_CONNECT_NOW,
  TOO_MANY_CONNECTIONS,
])
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
])
// node-postgres reports a lost or unobtainable connection only through these messages.
const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|Query read timeout|pool is ending|Cannot use a pool after calling end/i

/** True when the error means "the database cannot answer right now": worth a 503 and a retry. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string') {
    if (UNAVAILABLE_CODES.has(code) || NETWORK_CODES.has(code)) return true
    if (code.startsWith('08')) return true // connection_exception class
  }
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable)
  return UNAVAILABLE_MESSAGES.test(error.message)
}
