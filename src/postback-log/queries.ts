import type { Pool } from 'pg'
import { LOG_SELECT, type LogEntry, toLogEntry } from './rows.js'

export type LogFilter = {
  network?: string
  /** An exact outcome code (credited, BAD_SECRET ...). */
  outcome?: string
  /** Accepted (status below 400) or refused (400 and above), whatever the code. */
  result?: 'accepted' | 'refused'
  txId?: string
  /** Found through their conversions (refused postbacks have none). */
  userId?: string
  since?: Date
  /** Received before this time (the exports' end of range). */
  until?: Date
  /** Keyset pages: ids below `before`, above `after`. */
  before?: string
  after?: string
  /** Only the requests networks sent: no operator replays (rows with replay_of). */
  originalsOnly?: boolean
  /** Only repeats not applied because their payout differs from the recorded one. */
  payoutMismatch?: boolean
}

/**
 * Newest first, a page at a time (keyset on id); `oldest-first` pages forward (the live log,
 * replay). Network and outcome use their (x, id) indexes; the time filter the BRIN index.
 */
export async function listLog(
  pool: Pool,
  filter: LogFilter,
  limit: number,
  order: 'newest-first' | 'oldest-first' = 'newest-first',
): Promise<LogEntry[]> {
  const { rows } = await pool.query(
    `${LOG_SELECT}
     WHERE ($1::text IS NULL OR l.network = $1)
       AND ($2::text IS NULL OR l.outcome = $2)
       AND ($3::text IS NULL OR (l.status_code >= 400) = ($3 = 'refused'))
       AND ($4::text IS NULL OR l.tx_id = $4)
       AND ($5::text IS NULL OR l.conversion_id IN (SELECT id FROM conversions WHERE user_id = $5))
       AND ($6::timestamptz IS NULL OR l.received_at >= $6)
       AND ($7::bigint IS NULL OR l.id < $7::bigint)
       AND ($8::bigint IS NULL OR l.id > $8::bigint)
       AND (NOT $9::bool OR l.replay_of IS NULL)
       AND ($11::timestamptz IS NULL OR l.received_at < $11)${filter.payoutMismatch ? '\n       AND l.mismatched_payout IS NOT NULL' : ''}
     ORDER BY l.id ${order === 'oldest-first' ? 'ASC' : 'DESC'} LIMIT $10`,
    [
      filter.network ?? null,
      filter.outcome ?? null,
      filter.result ?? null,
      filter.txId ?? null,
      filter.userId ?? null,
      filter.since ?? null,
      filter.before ?? null,
      filter.after ?? null,
      filter.originalsOnly ?? false,
      limit,
      filter.until ?? null,
    ],
  )
  return rows.map(toLogEntry)
}

export async function getLogEntry(pool: Pool, id: string): Promise<LogEntry | null> {
  const { rows } = await pool.query(`${LOG_SELECT} WHERE l.id = $1`, [id])
  return rows[0] ? toLogEntry(rows[0]) : null
}

/** Every postback that touched a conversion, oldest first (at most `limit`). */
export async function logOfConversion(
  pool: Pool,
  conversionId: string,
  limit = 200,
): Promise<LogEntry[]> {
  const { rows } = await pool.query(
    `${LOG_SELECT} WHERE l.conversion_id = $1 ORDER BY l.id LIMIT $2`,
    [conversionId, limit],
  )
  return rows.map(toLogEntry)
}
