import type { Pool } from 'pg'
import { type DeliveryWithAttempts, searchDeliveries, withAttempts } from '../delivery/rows.js'

export type { Attempt } from '../delivery/rows.js'
/** A delivery with its attempts, as the pages show it. */
export type Delivery = DeliveryWithAttempts

/** Dead ones and pending ones that have failed at least once, newest first (state index). */
export async function failingDeliveries(
  pool: Pool,
  state: 'dead' | 'failing',
  before: string | undefined,
  limit: number,
): Promise<Delivery[]> {
  const search = { state: state === 'dead' ? 'dead' : 'pending', failed: true, before } as const
  return withAttempts(pool, await searchDeliveries(pool, search, limit))
}

export async function deliveryCounts(pool: Pool) {
  const { rows } = await pool.query<{ dead: number; failing: number }>(
    `SELECT count(*) FILTER (WHERE state = 'dead')::int AS dead,
            count(*) FILTER (WHERE state = 'pending' AND attempts > 0)::int AS failing
     FROM deliveries WHERE state IN ('dead', 'pending')`,
  )
  return rows[0] ?? { dead: 0, failing: 0 }
}
