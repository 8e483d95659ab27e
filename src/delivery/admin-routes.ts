import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { authenticateApi } from '../accounts/admin-auth.js'
import { requestActor } from '../accounts/request-actor.js'
import { numericId, timestamp } from '../admin/answers.js'
import { id, page } from '../admin/inputs.js'
import type { Database } from '../db/database.js'
import type { AuthThrottle } from '../http/auth-throttle.js'
import {
  ADMIN,
  ADMIN_REFUSALS,
  BODY_REFUSALS,
  conflict,
  jsonResponse,
  notFound,
} from '../openapi/responses.js'
import { zodRoutes } from '../openapi/zod-routes.js'
import type { DeliveryHooks } from './hooks.js'
import { deliveryNotFound, retryDeadDelivery } from './retry.js'
import { DELIVERY_STATES, deliveriesOfConversion, getDelivery, searchDeliveries } from './rows.js'

const delivery = z.object({
  id: numericId,
  conversionId: numericId,
  rule: z.string(),
  event: z.string(),
  state: z.enum(DELIVERY_STATES),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  nextAttemptAt: timestamp.nullable().describe('set while pending'),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  createdAt: timestamp,
  deliveredAt: timestamp.nullable(),
})

const withAttempts = delivery.extend({
  attemptLog: z.array(
    z.object({
      attempt: z.number().int(),
      startedAt: timestamp,
      url: z.string(),
      statusCode: z.number().int().nullable(),
      latencyMs: z.number().int(),
      responseExcerpt: z.string().nullable(),
      error: z.string().nullable(),
    }),
  ),
})

const byId = z.object({ id })

export type DeliveryAdminOptions = {
  db: Database
  token: string
  deliveries: DeliveryHooks
  throttle?: AuthThrottle
}

/** The outbox for operators: what was sent where, what failed, and a retry for the dead. */
export async function deliveryAdminRoutes(
  fastify: FastifyInstance,
  { db, token, deliveries, throttle }: DeliveryAdminOptions,
) {
  const app = zodRoutes(fastify)
  app.addHook('onRequest', authenticateApi({ db, token, throttle }))

  app.get(
    '/admin/deliveries',
    {
      schema: {
        summary: 'Outgoing deliveries, newest first',
        ...ADMIN,
        querystring: z.object({
          state: z.enum(DELIVERY_STATES).optional(),
          conversionId: id.optional(),
          limit: page.limit,
          before: id.optional().describe('`nextBefore` of the previous page'),
        }),
        response: {
          200: jsonResponse(
            'OK',
            z.object({ items: z.array(delivery), nextBefore: numericId.nullable() }),
          ),
          ...ADMIN_REFUSALS,
        },
      },
    },
    async ({ query }) => {
      const items = await searchDeliveries(db.pool, query, query.limit)
      return { items, nextBefore: items.length === query.limit ? (items.at(-1)?.id ?? null) : null }
    },
  )

  app.get(
    '/admin/deliveries/:id',
    {
      schema: {
        summary: 'One delivery and its attempt log',
        ...ADMIN,
        params: byId,
        response: {
          200: jsonResponse('OK', withAttempts),
          404: notFound('DELIVERY_NOT_FOUND'),
          ...ADMIN_REFUSALS,
        },
      },
    },
    async ({ params }) => {
      const found = await getDelivery(db.pool, params.id)
      if (!found) throw deliveryNotFound(params.id)
      return found
    },
  )

  app.get(
    '/admin/conversions/:id/deliveries',
    {
      schema: {
        summary: "A conversion's deliveries and their attempts",
        ...ADMIN,
        params: byId,
        response: {
          200: jsonResponse('OK', z.object({ items: z.array(withAttempts) })),
          ...ADMIN_REFUSALS,
        },
      },
    },
    async ({ params }) => ({ items: await deliveriesOfConversion(db.pool, params.id) }),
  )

  app.post(
    '/admin/deliveries/:id/retry',
    {
      config: { permission: 'retry' },
      schema: {
        summary: 'Retry a dead delivery from its first attempt',
        ...ADMIN,
        params: byId,
        response: {
          200: jsonResponse('OK', delivery),
          404: notFound('DELIVERY_NOT_FOUND'),
          409: conflict('Only dead deliveries can be retried.', 'NOT_DEAD'),
          ...ADMIN_REFUSALS,
          ...BODY_REFUSALS,
        },
      },
    },
    async (request) => {
      const actor = requestActor(request, 'admin-api')
      const retried = await retryDeadDelivery(db.pool, request.params.id, actor)
      deliveries.wake()
      return retried
    },
  )
}
