import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { Database } from '../db/database.js'
import type { AuthThrottle } from '../http/auth-throttle.js'
import { requireBearerToken } from '../http/bearer-token.js'
import { parseInput } from '../http/validate.js'
import type { DeliveryHooks } from './hooks.js'
import { deliveryNotFound, retryDeadDelivery } from './retry.js'
import { DELIVERY_STATES, deliveriesOfConversion, getDelivery, searchDeliveries } from './rows.js'

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
        state: z.enum(DELIVERY_STATES).optional(),
        conversionId: id.optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50),
        before: id.optional(),
      }),
      request.query,
    )
    const items = await searchDeliveries(db.pool, query, query.limit)
    return { items, nextBefore: items.length === query.limit ? items.at(-1)?.id : null }
  })

  app.get('/admin/deliveries/:id', async (request) => {
    const params = parseInput(z.object({ id }), request.params)
    const delivery = await getDelivery(db.pool, params.id)
    if (!delivery) throw deliveryNotFound(params.id)
    return delivery
  })

  app.get('/admin/conversions/:id/deliveries', async (request) => {
    const params = parseInput(z.object({ id }), request.params)
    return { items: await deliveriesOfConversion(db.pool, params.id) }
  })

  app.post('/admin/deliveries/:id/retry', async (request) => {
    const params = parseInput(z.object({ id }), request.params)
    const delivery = await retryDeadDelivery(db.pool, params.id)
    deliveries.wake()
    return delivery
  })
}
