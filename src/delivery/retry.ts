import type { Pool } from 'pg'
import { HttpError } from '../http/errors.js'
import { DELIVERY_COLUMNS, type Delivery, toDelivery } from './rows.js'

/**
 * A dead delivery gets a fresh set of attempts, due now (the attempt log keeps the earlier
 * ones); the admin API and the dashboard. Anything but a dead one is a 409. Wake the worker after.
 */
export async function retryDeadDelivery(pool: Pool, id: string): Promise<Delivery> {
  const { rows } = await pool.query(
    `UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(),
       claim = NULL, updated_at = now()
     WHERE id = $1 AND state = 'dead'
     RETURNING ${DELIVERY_COLUMNS}`,
    [id],
  )
  if (rows[0]) return toDelivery(rows[0])
  const { rows: found } = await pool.query<{ state: string }>(
    'SELECT state FROM deliveries WHERE id = $1',
    [id],
  )
  if (!found[0]) throw deliveryNotFound(id)
  throw new HttpError(
    'NOT_DEAD',
    `delivery ${id} is ${found[0].state}; only dead deliveries can be retried`,
  )
}

export function deliveryNotFound(id: string): HttpError {
  return new HttpError('DELIVERY_NOT_FOUND', `no delivery with id ${id}`)
}
