import type { Pool } from 'pg'
import type { StoredPostbackLogRow } from '../postbacks/log.js'
import type { StoredRequest } from './replay.js'

export type ReplayFilter =
  | { id: string }
  | { since: Date; outcome?: string; network?: string; limit: number }

export type ReplayCandidate = StoredRequest & {
  network: string | null
  txId: string | null
  /** An earlier replay of this row that was accepted: replaying again would change nothing. */
  acceptedReplay: { id: string; outcome: string } | null
}

type Row = Omit<StoredPostbackLogRow, 'message' | 'conversion_id' | 'replay_of' | 'replayed_by'> & {
  accepted_id: string | null
  accepted_outcome: string | null
}

const COLUMNS = `p.id, p.received_at, p.method, p.path, p.query, p.body, p.headers, p.source_ip,
  p.status_code, p.outcome, p.network, p.tx_id, p.caller_verified, a.id AS accepted_id, a.outcome AS accepted_outcome
  FROM postback_log p
  LEFT JOIN LATERAL (SELECT id, outcome FROM postback_log r
                     WHERE r.replay_of = p.id AND r.status_code = 200 ORDER BY id LIMIT 1) a ON true`

const PAGE = 100

/**
 * The stored refusals a replay selects, oldest first, a page at a time. One id (a replay row
 * leads to the row it re-ran), or every refusal since a time, optionally by outcome and network;
 * rows that are replays themselves are not selected again.
 */
export async function* selectRefusals(
  pool: Pool,
  filter: ReplayFilter,
): AsyncGenerator<ReplayCandidate> {
  if ('id' in filter) {
    const { rows } = await pool.query<Row>(
      `SELECT ${COLUMNS}
       WHERE p.id = COALESCE((SELECT replay_of FROM postback_log WHERE id = $1), $1)`,
      [filter.id],
    )
    for (const row of rows) yield toCandidate(row)
    return
  }
  let after = '0'
  let left = filter.limit
  while (left > 0) {
    const { rows } = await pool.query<Row>(
      `SELECT ${COLUMNS}
       WHERE p.id > $1 AND p.received_at >= $2 AND p.status_code >= 400 AND p.replay_of IS NULL
         AND ($3::text IS NULL OR p.outcome = $3) AND ($4::text IS NULL OR p.network = $4)
       ORDER BY p.id LIMIT $5`,
      [after, filter.since, filter.outcome ?? null, filter.network ?? null, Math.min(PAGE, left)],
    )
    for (const row of rows) yield toCandidate(row)
    if (rows.length < Math.min(PAGE, left)) return
    left -= rows.length
    after = rows[rows.length - 1]?.id ?? after
  }
}

function toCandidate(row: Row): ReplayCandidate {
  return {
    id: row.id,
    receivedAt: row.received_at,
    method: row.method,
    path: row.path,
    query: row.query,
    body: row.body,
    headers: row.headers,
    sourceIp: row.source_ip,
    statusCode: row.status_code,
    outcome: row.outcome,
    callerVerified: row.caller_verified,
    network: row.network,
    txId: row.tx_id,
    acceptedReplay:
      row.accepted_id && row.accepted_outcome
        ? { id: row.accepted_id, outcome: row.accepted_outcome }
        : null,
  }
}
