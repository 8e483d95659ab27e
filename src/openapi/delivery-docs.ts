import { z } from 'zod'
import { admin, page, query } from './admin-docs.js'
import type { OperationDoc } from './operation.js'

// The delivery outbox's admin routes (src/delivery/admin-routes.ts).

const id = z.string().regex(/^\d+$/)
const timestamp = z.string().describe('ISO 8601, UTC')

const delivery = z.object({
  id,
  conversionId: id,
  rule: z.string(),
  event: z.string(),
  state: z.enum(['pending', 'delivered', 'dead']),
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

const byId = query({ id: z.string().regex(/^\d{1,18}$/) })

export const DELIVERY_DOCS: Record<string, OperationDoc> = {
  '/admin/deliveries': admin(
    'Outgoing deliveries, newest first',
    z.object({ items: z.array(delivery), nextBefore: id.nullable() }),
    {
      querystring: query({
        ...page,
        state: z.enum(['pending', 'delivered', 'dead']).optional(),
        conversionId: z.string().regex(/^\d+$/).optional(),
      }),
    },
  ),
  '/admin/deliveries/:id': admin('One delivery and its attempt log', withAttempts, {
    params: byId,
    notFound: ['DELIVERY_NOT_FOUND'],
  }),
  '/admin/conversions/:id/deliveries': admin(
    "A conversion's deliveries and their attempts",
    z.object({ items: z.array(withAttempts) }),
    { params: byId },
  ),
  '/admin/deliveries/:id/retry': admin('Retry a dead delivery from its first attempt', delivery, {
    params: byId,
    notFound: ['DELIVERY_NOT_FOUND'],
    conflict: ['Only dead deliveries can be retried.', 'NOT_DEAD'],
  }),
}
