import type { Pool } from 'pg'
import type { Actor } from '../audit/actor.js'
import { recordAudit } from '../audit/record.js'
import { withTransaction } from '../db/transaction.js'
import { HttpError } from '../http/errors.js'
import { DELIVERY_COLUMNS, type Delivery, toDelivery } from './rows.js'

/**
 * A dead delivery gets a fresh set of attempts, due now (the attempt log keeps the earlier
 * ones), and an audit row, in one transaction; the admin API and the dashboard. Anything but a
 * dead one is a 409. Wake the worker after.
 */
export async function retryDeadDelivery(pool: Pool, id: string, actor: Actor): Promise<Delivery> {
  return withTransaction(pool, async (client) => {
    // The row lock holds the dead state (and its attempts) until the update below.
    const { rows: found } = await client.query<{
      state: string
      attempts: number
      last_error: string | null
    }>('SELECT state, attempts, last_error FROM deliveries WHERE id = $1 FOR UPDATE', [id])
    const before = found[0]
    if (!before) throw deliveryNotFound(id)
    if (before.state !== 'dead') {
      throw new HttpError(
        'NOT_DEAD',
        `delivery ${id} is ${before.state}; only dead deliveries can be retried`,
      )
    }
    const { rows } = await client.query(
      `UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(),
         claim = NULL, updated_at = now()
       WHERE id = $1
       RETURNING ${DELIVERY_COLUMNS}`,
      [id],
    )
    const delivery = toDelivery(rows[0])
    await recordAudit(client, {
      actor,
      action: 'delivery.retry',
      subject: { type: 'delivery', id },
      conversionId: delivery.conversionId,
      before: { state: before.state, attempts: before.attempts, lastError: before.last_error },
      after: { state: delivery.state, attempts: delivery.attempts },
    })
    return delivery
  })
}

export function deliveryNotFound(id: string): HttpError {
  return new HttpError('DELIVERY_NOT_FOUND', `no delivery with id ${id}`)
}
