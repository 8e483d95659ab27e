import type { Pool, PoolClient } from 'pg'

// "Retry all dead deliveries" of a rule (or every rule), by event and creation time: what a
// preview says, and one step of a run. A step is one short transaction: it gives up to a batch
// of dead deliveries a fresh set of attempts (only those still dead: a concurrent retry of the
// same one changes nothing) and moves the run's cursor past them, so a run whose process dies
// never retries a delivery twice.

export type RetryFilter = {
  rule?: string
  /** credited, reversed, held, recorded or rejected. */
  event?: string
  /** Created at or after / before (ISO times). */
  since?: string
  until?: string
}

const MATCHES = `d.state = 'dead'
  AND ($1::text IS NULL OR d.rule = $1) AND ($2::text IS NULL OR d.event = $2)
  AND ($3::timestamptz IS NULL OR d.created_at >= $3)
  AND ($4::timestamptz IS NULL OR d.created_at < $4)`

const params = (f: RetryFilter) => [
  f.rule ?? null,
  f.event ?? null,
  f.since ?? null,
  f.until ?? null,
]

export type RetryPreview = {
  dead: number
  willRetry: number
  cap: number
  byRule: { rule: string; dead: number }[]
}

export async function previewRetry(
  pool: Pool,
  filter: RetryFilter,
  cap: number,
): Promise<RetryPreview> {
  const { rows } = await pool.query<{ rule: string; dead: number }>(
    `SELECT d.rule, count(*)::int AS dead FROM deliveries d WHERE ${MATCHES}
     GROUP BY d.rule ORDER BY count(*) DESC, d.rule`,
    params(filter),
  )
  const dead = rows.reduce((total, r) => total + r.dead, 0)
  return { dead, willRetry: Math.min(dead, cap), cap, byRule: rows }
}

export async function deliveryHighWater(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    'SELECT COALESCE(max(id), 0)::text AS id FROM deliveries',
  )
  return rows[0]?.id ?? '0'
}

export type RetryCounts = { processed: number; retried: number }

/**
 * Inside the step's transaction: the next `limit` matching dead deliveries after the cursor go
 * back to pending with a fresh set of attempts, due now. The new cursor, or null when none is left.
 */
export async function retryBatch(
  client: PoolClient,
  filter: RetryFilter,
  run: { upToId: string; cursorId: string },
  limit: number,
): Promise<{ cursorId: string; retried: number; deliveryIds: string[] } | null> {
  const { rows } = await client.query<{
    cursor: string | null
    retried: number
    ids: string[] | null
  }>(
    `WITH picked AS (SELECT d.id FROM deliveries d
                     WHERE ${MATCHES} AND d.id > $5 AND d.id <= $6
                     ORDER BY d.id LIMIT $7),
          retried AS (UPDATE deliveries SET state = 'pending', attempts = 0,
                        next_attempt_at = now(), claim = NULL, updated_at = now()
                      WHERE id IN (SELECT id FROM picked) AND state = 'dead'
                      RETURNING id)
     SELECT (SELECT max(id) FROM picked)::text AS cursor,
            (SELECT count(*) FROM retried)::int AS retried,
            (SELECT array_agg(id::text ORDER BY id) FROM retried) AS ids`,
    [...params(filter), run.cursorId, run.upToId, limit],
  )
  const row = rows[0]
  return row?.cursor
    ? { cursorId: row.cursor, retried: row.retried, deliveryIds: row.ids ?? [] }
    : null
}
