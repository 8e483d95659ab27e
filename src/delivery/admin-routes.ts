import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { requireBearerToken } from '../admin/auth.js'
import type { Database } from '../db/database.js'
import type { AuthThrottle } from '../http/auth-throttle.js'
import { HttpError } from '../http/errors.js'
import { parseInput } from '../http/validate.js'
import type { DeliveryHooks } from './hooks.js'
import { DELIVERY_COLUMNS, type DeliveryRecord, toDelivery, withAttempts } from './rows.js'

const id = z.string().regex(/^\d{1,18}$/, 'must be a numeric id')

export type DeliveryAdminOptions = {
  db: Database
  token: string
  deliveries: DeliveryHooks
  throttle?: AuthThrottle
}

/** The outbox for operators: what was sent where, what failed, and a retry for the dead. */
export async function deliveryAdminRoutes(
  app: FastifyInstance,
  { db, token, deliveries, throttle }: DeliveryAdminOptions,
) {
  app.addHook('onRequest', requireBearerToken(token, 'ADMIN_TOKEN', throttle))

  app.get('/admin/deliveries', async (request) => {
    const query = parseInput(
      z.object({
        state: z.enum(['pending', 'delivered', 'dead']).optional(),
        conversionId: id.optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50),
        before: id.optional(),
      }),
      request.query,
    )
    const { rows } = await db.pool.query<DeliveryRecord>(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries
       WHERE ($1::text IS NULL OR state = $1)
         AND ($2::bigint IS NULL OR conversion_id = $2)
         AND ($3::bigint IS NULL OR id < $3)
       ORDER BY id DESC LIMIT $4`,
      [query.state ?? null, query.conversionId ?? null, query.before ?? null, query.limit],
    )
    const items = rows.map(toDelivery)
    return { items, nextBefore: items.length === query.limit ? items.at(-1)?.id : null }
  })

  app.get('/admin/deliveries/:id', async (request) => {
    const params = parseInput(z.object({ id }), request.params)
    const { rows } = await db.pool.query<DeliveryRecord>(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE id = $1`,
      [params.id],
    )
    if (!rows[0]) throw notFound(params.id)
    const [delivery] = await withAttempts(db.pool, rows)
    return delivery
  })

  app.get('/admin/conversions/:id/deliveries', async (request) => {
    const params = parseInput(z.object({ id }), request.params)
    const { rows } = await db.pool.query<DeliveryRecord>(
      `SELECT ${DELIVERY_COLUMNS} FROM deliveries WHERE conversion_id = $1 ORDER BY id`,
      [params.id],
    )
    return { items: await withAttempts(db.pool, rows) }
  })

  app.post('/admin/deliveries/:id/retry', async (request) => {
    const params = parseInput(z.object({ id }), request.params)
    // A fresh set of attempts; the attempt log keeps the earlier ones.
    const { rows } = await db.pool.query<DeliveryRecord>(
      `UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = now(),
         claim = NULL, updated_at = now()
       WHERE id = $1 AND state = 'dead'
       RETURNING ${DELIVERY_COLUMNS}`,
      [params.id],
    )
    const row = rows[0]
    if (!row) {
      const { rows: found } = await db.pool.query<{ state: string }>(
        'SELECT state FROM deliveries WHERE id = $1',
        [params.id],
      )
      if (!found[0]) throw notFound(params.id)
      throw new HttpError(
        409,
        'NOT_DEAD',
        `delivery ${params.id} is ${found[0].state}; only dead deliveries can be retried`,
      )
    }
    deliveries.wake()
    return toDelivery(row)
  })
}

function notFound(deliveryId: string) {
  return new HttpError(404, 'DELIVERY_NOT_FOUND', `no delivery with id ${deliveryId}`)
}
