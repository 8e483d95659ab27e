import { z } from 'zod'
import type { Database } from '../db/database.js'
import { ADMIN, ADMIN_REFUSALS, jsonResponse } from '../openapi/responses.js'
import type { ZodApp } from '../openapi/zod-routes.js'
import { BREAKDOWNS, SORTS } from '../reports/breakdown.js'
import { checkRange, rangeFields } from '../reports/inputs.js'
import { resolveRange } from '../reports/range.js'
import { loadReportSummary } from '../reports/report.js'
import { breakdownOf } from '../reports/service.js'
import { listUsers } from '../reports/users.js'
import { breakdownAnswer, reportAnswer, usersAnswer } from './report-answers.js'

// Reports (the dashboard's Reports page and user list, as JSON): conversions, revenue per
// currency and points of whole local days in REPORT_TIMEZONE (or ?tz=), and refusals per network
// and day. Registered inside adminRoutes, behind the same Bearer token.

const order = z.enum(['asc', 'desc'])
const pageFields = {
  limit: z.coerce.number().int().min(1).max(500).default(50).describe('rows per page'),
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(100_000)
    .default(0)
    .describe('`nextOffset` of the previous page'),
}

export function adminReportRoutes(
  app: ZodApp,
  { db, reportTimeZone }: { db: Database; reportTimeZone: string },
) {
  const range = rangeFields(reportTimeZone)
  const rangeInput = (q: {
    range: 'today' | 'yesterday' | '7d' | '30d' | 'custom'
    from?: string
    to?: string
    tz: string
  }) => ({
    range: q.range,
    from: q.from,
    to: q.to,
    timeZone: q.tz,
  })

  app.get(
    '/admin/reports',
    {
      schema: {
        summary: 'Totals (revenue per currency, points) and refusals per network and local day',
        ...ADMIN,
        querystring: z.object(range).superRefine(checkRange),
        response: { 200: jsonResponse('OK', reportAnswer), ...ADMIN_REFUSALS },
      },
    },
    async ({ query }) => {
      const resolved = await resolveRange(db.pool, rangeInput(query), new Date())
      const { byNetwork: _, ...summary } = await loadReportSummary(db.pool, resolved)
      return summary
    },
  )

  app.get(
    '/admin/reports/:by',
    {
      schema: {
        summary: 'Conversions, revenue and points per network, offer, local day or user, sorted',
        ...ADMIN,
        params: z.object({ by: z.enum(BREAKDOWNS) }),
        querystring: z
          .object({
            ...range,
            sort: z.enum(SORTS).optional().describe('default: key for days, revenue for the rest'),
            order: order.optional().describe('default: asc for days by key, desc otherwise'),
            currency: z
              .string()
              .min(1)
              .max(16)
              .optional()
              .describe('the currency a revenue sort compares; default the range’s main one'),
            ...pageFields,
          })
          .superRefine(checkRange),
        response: { 200: jsonResponse('OK', breakdownAnswer), ...ADMIN_REFUSALS },
      },
    },
    async ({ params, query }) => {
      const resolved = await resolveRange(db.pool, rangeInput(query), new Date())
      const { more, ...result } = await breakdownOf(db.pool, resolved, {
        by: params.by,
        sort: query.sort,
        order: query.order,
        currency: query.currency,
        limit: query.limit,
        offset: query.offset,
      })
      return {
        range: resolved,
        ...result,
        nextOffset: more ? query.offset + query.limit : undefined,
      }
    },
  )

  app.get(
    '/admin/users',
    {
      schema: {
        summary: 'Users with a balance: search by id, sort by balance or last activity',
        ...ADMIN,
        querystring: z.object({
          search: z
            .string()
            .trim()
            .min(1)
            .max(255)
            .optional()
            .describe('part of the user id, any case'),
          sort: z.enum(['balance', 'activity', 'user']).default('balance'),
          order: order.default('desc'),
          ...pageFields,
        }),
        response: { 200: jsonResponse('OK', usersAnswer), ...ADMIN_REFUSALS },
      },
    },
    async ({ query }) => {
      const { items, more } = await listUsers(db.pool, query)
      return { items, nextOffset: more ? query.offset + query.limit : undefined }
    },
  )
}
