import type { Pool } from 'pg'
import { z } from 'zod'
import { parseRow } from '../db/row-schema.js'

// The outbox as operators read it, shared by the admin API (JSON) and the dashboard (HTML): one
// column list, one row schema per table (deliveries, delivery_attempts), one mapper each.

export const DELIVERY_STATES = ['pending', 'delivered', 'dead'] as const

/**
 * Named columns, no casts: `ORDER BY id` must sort numbers (a text alias `id::text` put '9'
 * before '10' and made keyset pages skip rows); pg gives bigint as text anyway.
 */
export const DELIVERY_COLUMNS = `id, conversion_id, rule, event, state, attempts, max_attempts,
  next_attempt_at, last_status, last_error, created_at, delivered_at`

const bigintId = z.string().regex(/^\d+$/, 'must be a numeric id')
const count = z.number().int()

/** A row as selected with DELIVERY_COLUMNS; test/delivery checks it against the table. */
export const deliveryRowSchema = z.object({
  id: bigintId,
  conversion_id: bigintId,
  rule: z.string(),
  event: z.string(),
  state: z.enum(DELIVERY_STATES),
  attempts: count,
  max_attempts: count,
  next_attempt_at: z.date(),
  last_status: count.nullable(),
  last_error: z.string().nullable(),
  created_at: z.date(),
  delivered_at: z.date().nullable(),
})

/** A delivery_attempts row as withAttempts selects it. */
export const attemptRowSchema = z.object({
  delivery_id: bigintId,
  attempt: count,
  started_at: z.date(),
  url: z.string(),
  status_code: count.nullable(),
  latency_ms: count,
  response_excerpt: z.string().nullable(),
  error: z.string().nullable(),
})

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
  state: (typeof DELIVERY_STATES)[number]
  attempts: number
  maxAttempts: number
  /** When it is next due (pending), or null once delivered or dead. */
  nextAttemptAt: Date | null
  lastStatus: number | null
  lastError: string | null
  createdAt: Date
  deliveredAt: Date | null
}

export type DeliveryWithAttempts = Delivery & { attemptLog: Attempt[] }

export function toDelivery(raw: unknown): Delivery {
  const row = parseRow('deliveries', deliveryRowSchema, raw)
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
  deliveries: readonly Delivery[],
): Promise<DeliveryWithAttempts[]> {
  const { rows } = await pool.query(
    `SELECT delivery_id, attempt, started_at, url, status_code, latency_ms, response_excerpt, error
     FROM delivery_attempts WHERE delivery_id = ANY($1::bigint[]) ORDER BY id`,
    [deliveries.map((delivery) => delivery.id)],
  )
  const byDelivery = new Map<string, Attempt[]>()
  for (const raw of rows) {
    const a = parseRow('delivery_attempts', attemptRowSchema, raw)
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
  return deliveries.map((delivery) => ({
    ...delivery,
    attemptLog: byDelivery.get(delivery.id) ?? [],
  }))
}

export type DeliverySearch = {
  state?: (typeof DELIVERY_STATES)[number]
  conversionId?: string
  /** Only those that failed at least once (a pending one being retried, or a dead one). */
  failed?: boolean
  /** Keyset page: ids below this one. */
  before?: string
}

/** Newest first, without attempt logs (state and conversion use their (x, id) indexes). */
export async function searchDeliveries(
  pool: Pool,
  search: DeliverySearch,
  limit: number,
): Promise<Delivery[]> {
  const { rows } = await pool.query(
    `SELECT ${DELIVERY_COLUMNS} FROM deliveries
     WHERE ($1::text IS NULL OR state = $1)
       AND ($2::bigint IS NULL OR conversion_id = $2)
       AND (NOT $3::bool OR state = 'dead' OR attempts > 0)
       AND ($4::bigint IS NULL OR id < $4)
     ORDER BY id DESC LIMIT $5`,
    [
      search.state ?? null,
      search.conversionId ?? null,
      search.failed ?? false,
      search.before ?? null,
      limit,
    ],
  )
  return rows.map(toDelivery)
}

export async function getDelivery(pool: Pool, id: string): Promise<DeliveryWithAttempts | null> {
  const { rows } = await pool.query(`SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE id = $1`, [
    id,
  ])
  if (!rows[0]) return null
  const [delivery] = await withAttempts(pool, [toDelivery(rows[0])])
  return delivery ?? null
}

/** A conversion's deliveries with their attempt logs, oldest first (at most `limit`, if given). */
export async function deliveriesOfConversion(
  pool: Pool,
  conversionId: string,
  limit?: number,
): Promise<DeliveryWithAttempts[]> {
  const { rows } = await pool.query(
    `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE conversion_id = $1 ORDER BY id LIMIT $2`,
    [conversionId, limit ?? null],
  )
  return withAttempts(pool, rows.map(toDelivery))
}
