import type { Pool } from 'pg'
import { DELIVERY_COLUMNS, type DeliveryRecord, withAttempts } from '../delivery/rows.js'

export type { Attempt } from '../delivery/rows.js'
/** A delivery with its attempts, as the pages show it. */
export type Delivery = Awaited<ReturnType<typeof withAttempts>>[number]

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
