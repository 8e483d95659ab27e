import { z } from 'zod'
import type { Database } from '../db/database.js'
import {
  ADMIN,
  ADMIN_REFUSALS,
  BODY_REFUSALS,
  conflict,
  jsonResponse,
} from '../openapi/responses.js'
import type { ZodApp } from '../openapi/zod-routes.js'
import { adjustBalance, MAX_ADJUSTMENT, userSeen } from '../operations/adjust.js'
import { exportConversions } from '../operations/export-conversions.js'
import { actorFor, onBehalfOf } from './actor-for.js'
import { adjustmentAnswer } from './answers.js'
import { sendCsv } from './export-routes.js'
import { localTime, text, timeZone } from './inputs.js'

// The admin API's counterparts of CLI commands: the conversions of a period as CSV, and a
// manual ledger adjustment. Registered inside adminRoutes, behind the same Bearer token.

const points = z
  .union([z.number().int(), z.string().regex(/^-?\d{1,16}$/)])
  .transform((value, ctx) => {
    const parsed = BigInt(value)
    if (parsed === 0n || parsed > MAX_ADJUSTMENT || parsed < -MAX_ADJUSTMENT) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a non-zero whole number within ±${MAX_ADJUSTMENT}`,
      })
      return z.NEVER
    }
    return parsed
  })

export function adminOperationRoutes(app: ZodApp, { db }: { db: Database }) {
  app.get(
    '/admin/conversions.csv',
    {
      schema: {
        summary: 'Conversions of a period as CSV (streamed)',
        ...ADMIN,
        querystring: z.object({
          from: localTime.optional().describe('local date or date-time; default 24 h ago'),
          to: localTime.optional().describe('local date or date-time; default now'),
          tz: timeZone('UTC'),
          network: text(64).optional(),
        }),
        response: {
          200: {
            description: 'One header line, then one line per conversion.',
            // JSON Schema, not zod: the answer is a stream of text, not a value to type.
            content: { 'text/csv': { schema: { type: 'string' } } },
          },
          ...ADMIN_REFUSALS,
        },
      },
    },
    async (request, reply) => {
      const { query } = request
      const lines = await exportConversions(db.pool, { ...query, timeZone: query.tz })
      return sendCsv(reply, 'conversions.csv', lines)
    },
  )

  app.post(
    '/admin/users/:userId/adjustments',
    {
      config: { permission: 'adjust' },
      schema: {
        summary:
          'Add or take points by hand (a ledger adjustment); `newUser` warns of a user never seen before',
        ...ADMIN,
        params: z.object({ userId: text(255) }),
        body: z.object({
          points,
          reason: text(500),
          reference: text(255).optional().describe('makes a retried request apply once'),
          by: onBehalfOf,
        }),
        response: {
          200: jsonResponse('The same reference again: nothing changed.', adjustmentAnswer),
          201: jsonResponse('Applied.', adjustmentAnswer),
          409: conflict('The reference was already used for another adjustment.', 'REFERENCE_USED'),
          ...ADMIN_REFUSALS,
          ...BODY_REFUSALS,
        },
      },
    },
    async (request, reply) => {
      const { params, body } = request
      const seen = await userSeen(db.pool, params.userId)
      const result = await adjustBalance(db.pool, {
        userId: params.userId,
        points: body.points,
        reason: body.reason,
        reference: body.reference ?? null,
        actor: actorFor(request, body.by),
      })
      return reply.code(result.duplicate ? 200 : 201).send({
        ...result,
        points: Number(result.points),
        balance: Number(result.balance),
        newUser: !seen,
      })
    },
  )
}
