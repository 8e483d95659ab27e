import { Readable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { Database } from '../db/database.js'
import { parseInput } from '../http/validate.js'
import { adjustBalance, MAX_ADJUSTMENT } from '../operations/adjust.js'
import { exportConversions } from '../operations/export-conversions.js'

// The admin API's counterparts of CLI commands: the conversions of a period as CSV, and a
// manual ledger adjustment. Registered inside adminRoutes, behind the same Bearer token.

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
const CONTROL = /[\u0000-\u001f\u007f]/
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters')
const localTime = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/,
    'must be a local date or date-time such as 2026-11-25 or 2026-11-25T08:00',
  )
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

export function adminOperationRoutes(app: FastifyInstance, { db }: { db: Database }) {
  app.get('/admin/conversions.csv', async (request, reply) => {
    const query = parseInput(
      z.object({
        from: localTime.optional(),
        to: localTime.optional(),
        tz: z.string().default('UTC').refine(isTimeZone, 'must be an IANA time zone such as UTC'),
        network: text(64).optional(),
      }),
      request.query,
    )
    const lines = await exportConversions(db.pool, { ...query, timeZone: query.tz })
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="conversions.csv"')
      .send(Readable.from(lines))
  })

  app.post('/admin/users/:userId/adjustments', async (request, reply) => {
    const { userId } = parseInput(z.object({ userId: text(255) }), request.params)
    const body = parseInput(
      z.object({ points, reason: text(500), reference: text(255).optional() }),
      request.body,
    )
    const result = await adjustBalance(db.pool, {
      userId,
      points: body.points,
      reason: body.reason,
      reference: body.reference ?? null,
      by: `admin-api from ${request.ip}`,
    })
    return reply.code(result.duplicate ? 200 : 201).send({
      ...result,
      points: Number(result.points),
      balance: Number(result.balance),
    })
  })
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name })
    return true
  } catch {
    return false
  }
}
