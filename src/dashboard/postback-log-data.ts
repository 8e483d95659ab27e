import type { Pool } from 'pg'
import type { LogWarning, StoredPostbackLogRow } from '../postbacks/log.js'

export type LogFilter = {
  network?: string
  /** An exact outcome code, or 'refused' / 'accepted' for any of them. */
  outcome?: string
  txId?: string
  userId?: string
  since?: Date
  before?: string
  after?: string
}

export type LogEntry = {
  id: string
  receivedAt: Date
  network: string | null
  method: string
  path: string
  query: string | null
  body: string | null
  headers: Record<string, string>
  sourceIp: string | null
  statusCode: number
  outcome: string
  message: string | null
  txId: string | null
  conversionId: string | null
  replayOf: string | null
  replayedBy: string | null
  /** The caller passed verification (secret or signature, source address) when it arrived. */
  callerVerified: boolean
  /** Values stored as sent but flagged (an unreplaced macro in sub2 ...). */
  warnings: LogWarning[]
  /** A later replay of this row that was accepted. */
  acceptedReplay: string | null
}

type Row = StoredPostbackLogRow & { accepted_replay: string | null }

const COLUMNS = `l.id, l.received_at, l.network, l.method, l.path, l.query, l.body, l.headers,
  l.source_ip, l.status_code, l.outcome, l.message, l.tx_id, l.conversion_id, l.replay_of,
  l.replayed_by, l.caller_verified, l.warnings,
  (SELECT r.id FROM postback_log r WHERE r.replay_of = l.id AND r.status_code = 200
   ORDER BY r.id LIMIT 1) AS accepted_replay`

/**
 * Newest first, a page at a time (keyset on id); `oldest-first` for the live log, which pages
 * forward from the newest row it shows. Network and outcome use their (x, id) indexes; a user
 * is found through their conversions (refused postbacks have none).
 */
export async function listLog(
  pool: Pool,
  filter: LogFilter,
  limit: number,
  order: 'newest-first' | 'oldest-first' = 'newest-first',
): Promise<LogEntry[]> {
  const group =
    filter.outcome === 'refused' || filter.outcome === 'accepted' ? filter.outcome : null
  const { rows } = await pool.query<Row>(
    `SELECT ${COLUMNS} FROM postback_log l
     WHERE ($1::text IS NULL OR l.network = $1)
       AND ($2::text IS NULL OR l.outcome = $2)
       AND ($3::text IS NULL OR (l.status_code >= 400) = ($3 = 'refused'))
       AND ($4::text IS NULL OR l.tx_id = $4)
       AND ($5::text IS NULL OR l.conversion_id IN (SELECT id FROM conversions WHERE user_id = $5))
       AND ($6::timestamptz IS NULL OR l.received_at >= $6)
       AND ($7::bigint IS NULL OR l.id < $7::bigint)
       AND ($8::bigint IS NULL OR l.id > $8::bigint)
     ORDER BY l.id ${order === 'oldest-first' ? 'ASC' : 'DESC'} LIMIT $9`,
    [
      filter.network ?? null,
      group ? null : (filter.outcome ?? null),
      group,
      filter.txId ?? null,
      filter.userId ?? null,
      filter.since ?? null,
      filter.before ?? null,
      filter.after ?? null,
      limit,
    ],
  )
  return rows.map(toEntry)
}

export async function getLogEntry(pool: Pool, id: string): Promise<LogEntry | null> {
  const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM postback_log l WHERE l.id = $1`, [
    id,
  ])
  return rows[0] ? toEntry(rows[0]) : null
}

/** Every postback that touched a conversion, oldest first. */
export async function logOfConversion(pool: Pool, conversionId: string): Promise<LogEntry[]> {
  const { rows } = await pool.query<Row>(
    `SELECT ${COLUMNS} FROM postback_log l WHERE l.conversion_id = $1 ORDER BY l.id LIMIT 200`,
    [conversionId],
  )
  return rows.map(toEntry)
}

function toEntry(row: Row): LogEntry {
  return {
    id: row.id,
    receivedAt: row.received_at,
    network: row.network,
    method: row.method,
    path: row.path,
    query: row.query,
    body: row.body,
    headers: row.headers,
    sourceIp: row.source_ip,
    statusCode: row.status_code,
    outcome: row.outcome,
    message: row.message,
    txId: row.tx_id,
    conversionId: row.conversion_id,
    replayOf: row.replay_of,
    replayedBy: row.replayed_by,
    callerVerified: row.caller_verified,
    warnings: row.warnings ?? [],
    acceptedReplay: row.accepted_replay,
  }
}
