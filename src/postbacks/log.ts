import type { Pool, PoolClient } from 'pg'

/** One row of the raw postback log. Values must already be redacted. */
export type PostbackLogEntry = {
  network: string | null
  method: string
  path: string
  query: string | null
  body: string | null
  headers: Record<string, string>
  sourceIp: string
  statusCode: number
  outcome: string
  message: string | null
  txId: string | null
  conversionId: string | null
  /**
   * The caller passed verification (HTTPS when required, allowed source address, secret or
   * signature) before this row was written. Replay trusts only these rows by default.
   */
  callerVerified: boolean
  /** A replay (operator re-run of a refused postback): the refused row it re-ran, and who ran it. */
  replayOf?: string | null
  replayedBy?: string | null
  /** Values kept as sent that look wrong (an unreplaced macro in sub2 ...). */
  warnings?: readonly LogWarning[] | null
}

/** A value stored as sent but flagged: same shape as a refusal's field problem. */
export type LogWarning = { field: string; code: string; message: string }

/** A postback_log row as read back (the admin API, the dashboard, replay). */
export type StoredPostbackLogRow = {
  id: string
  received_at: Date
  network: string | null
  method: string
  path: string
  query: string | null
  body: string | null
  headers: Record<string, string>
  source_ip: string | null
  status_code: number
  outcome: string
  message: string | null
  tx_id: string | null
  conversion_id: string | null
  replay_of: string | null
  replayed_by: string | null
  caller_verified: boolean
  warnings: LogWarning[] | null
}

// Postgres text cannot hold NUL, and a hostile request should not grow a row without bound.
const MAX_TEXT = 4096

function clean(text: string | null, max = MAX_TEXT): string | null {
  if (text === null) return null
  // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what we strip
  const safe = text.replace(/\u0000/g, '\uFFFD')
  return safe.length > max ? `${safe.slice(0, max)}…` : safe
}

export async function insertPostbackLog(
  db: Pool | PoolClient,
  entry: PostbackLogEntry,
): Promise<string> {
  const { rows } = await db.query<{ id: string }>({
    name: 'insert-postback-log',
    text: `INSERT INTO postback_log
       (${LOG_COLUMNS})
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
     RETURNING id`,
    values: logValues(entry),
  })
  return rows[0]?.id ?? ''
}

/** The log's columns in the order logValues gives them (also for a group commit's write). */
export const LOG_COLUMNS = `network, method, path, query, body, headers, source_ip, status_code, outcome, message,
  tx_id, conversion_id, replay_of, replayed_by, caller_verified, warnings`
export const LOG_COLUMN_TYPES = [
  'text',
  'text',
  'text',
  'text',
  'text',
  'jsonb',
  'text',
  'int',
  'text',
  'text',
  'text',
  'bigint',
  'bigint',
  'text',
  'bool',
  'jsonb',
] as const

export function logValues(entry: PostbackLogEntry): unknown[] {
  const headers = Object.fromEntries(
    Object.entries(entry.headers).map(([name, value]) => [name, clean(value, 512)]),
  )
  return [
    clean(entry.network, 64),
    entry.method,
    clean(entry.path, 512),
    clean(entry.query),
    clean(entry.body),
    JSON.stringify(headers),
    clean(entry.sourceIp, 64),
    entry.statusCode,
    entry.outcome,
    clean(entry.message, 1024),
    clean(entry.txId, 255),
    entry.conversionId,
    entry.replayOf ?? null,
    clean(entry.replayedBy ?? null, 255),
    entry.callerVerified,
    entry.warnings && entry.warnings.length > 0
      ? JSON.stringify(
          entry.warnings.map((w) => ({ ...w, message: clean(w.message, 512) })).slice(0, 20),
        )
      : null,
  ]
}
