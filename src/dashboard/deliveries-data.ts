import type { Pool } from 'pg'
import { DELIVERY_COLUMNS, type DeliveryRecord } from '../delivery/rows.js'

export type Attempt = {
  attempt: number
  startedAt: Date
  url: string
  statusCode: number | null
  latencyMs: number
  responseExcerpt: string | null
  error: string | null
}

export type Delivery = {
  id: string
  conversionId: string
  rule: string
  event: string
  state: string
  attempts: number
  maxAttempts: number
  nextAttemptAt: Date
  lastStatus: number | null
  lastError: string | null
  createdAt: Date
  deliveredAt: Date | null
  attemptLog: Attempt[]
}

/** Dead ones and pending ones that have failed at least once, newest first (state index). */
export async function failingDeliveries(
  pool: Pool,
  state: 'dead' | 'failing',
  before: string | undefined,
  limit: number,
) {
  const { rows } = await pool.query<DeliveryRecord>(
    `SELECT ${DELIVERY_COLUMNS} FROM deliveries
     WHERE state = $1 AND ($1 = 'dead' OR attempts > 0) AND ($2::bigint IS NULL OR id < $2::bigint)
     ORDER BY id DESC LIMIT $3`,
    [state === 'dead' ? 'dead' : 'pending', before ?? null, limit],
  )
  return withAttempts(pool, rows)
}

export async function deliveriesOfConversion(pool: Pool, conversionId: string) {
  const { rows } = await pool.query<DeliveryRecord>(
    `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE conversion_id = $1 ORDER BY id LIMIT 100`,
    [conversionId],
  )
  return withAttempts(pool, rows)
}

export async function deliveryCounts(pool: Pool) {
  const { rows } = await pool.query<{ dead: number; failing: number }>(
    `SELECT count(*) FILTER (WHERE state = 'dead')::int AS dead,
            count(*) FILTER (WHERE state = 'pending' AND attempts > 0)::int AS failing
     FROM deliveries WHERE state IN ('dead', 'pending')`,
  )
  return rows[0] ?? { dead: 0, failing: 0 }
}

async function withAttempts(pool: Pool, rows: DeliveryRecord[]): Promise<Delivery[]> {
  const { rows: attempts } = await pool.query<{
    delivery_id: string
    attempt: number
    started_at: Date
    url: string
    status_code: number | null
    latency_ms: number
    response_excerpt: string | null
    error: string | null
  }>(
    `SELECT delivery_id::text, attempt, started_at, url, status_code, latency_ms, response_excerpt, error
     FROM delivery_attempts WHERE delivery_id = ANY($1::bigint[]) ORDER BY id`,
    [rows.map((row) => row.id)],
  )
  return rows.map((row) => ({
    id: row.id,
    conversionId: row.conversion_id,
    rule: row.rule,
    event: row.event,
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    nextAttemptAt: row.next_attempt_at,
    lastStatus: row.last_status,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
    attemptLog: attempts
      .filter((a) => a.delivery_id === row.id)
      .map((a) => ({
        attempt: a.attempt,
        startedAt: a.started_at,
        url: a.url,
        statusCode: a.status_code,
        latencyMs: a.latency_ms,
        responseExcerpt: a.response_excerpt,
        error: a.error,
      })),
  }))
}
