import type { Pool } from 'pg'

// The outbox as operators read it, shared by the admin API (JSON) and the dashboard (HTML).

/** A deliveries row as selected with DELIVERY_COLUMNS. */
export type DeliveryRecord = {
  id: string
  conversion_id: string
  rule: string
  event: string
  state: string
  attempts: number
  max_attempts: number
  next_attempt_at: Date
  last_status: number | null
  last_error: string | null
  created_at: Date
  delivered_at: Date | null
}

export const DELIVERY_COLUMNS = `id::text, conversion_id::text, rule, event, state, attempts,
  max_attempts, next_attempt_at, last_status, last_error, created_at, delivered_at`

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
  /** When it is next due (pending), or null once delivered or dead. */
  nextAttemptAt: Date | null
  lastStatus: number | null
  lastError: string | null
  createdAt: Date
  deliveredAt: Date | null
}

export function toDelivery(row: DeliveryRecord): Delivery {
  return {
    id: row.id,
    conversionId: row.conversion_id,
    rule: row.rule,
    event: row.event,
    state: row.state,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    nextAttemptAt: row.state === 'pending' ? row.next_attempt_at : null,
    lastStatus: row.last_status,
    lastError: row.last_error,
    createdAt: row.created_at,
    deliveredAt: row.delivered_at,
  }
}

/** The deliveries with their attempt logs, oldest attempt first; one query for all of them. */
export async function withAttempts(
  pool: Pool,
  rows: readonly DeliveryRecord[],
): Promise<(Delivery & { attemptLog: Attempt[] })[]> {
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
  const byDelivery = new Map<string, Attempt[]>()
  for (const a of attempts) {
    const log = byDelivery.get(a.delivery_id) ?? []
    log.push({
      attempt: a.attempt,
      startedAt: a.started_at,
      url: a.url,
      statusCode: a.status_code,
      latencyMs: a.latency_ms,
      responseExcerpt: a.response_excerpt,
      error: a.error,
    })
    byDelivery.set(a.delivery_id, log)
  }
  return rows.map((row) => ({ ...toDelivery(row), attemptLog: byDelivery.get(row.id) ?? [] }))
}
