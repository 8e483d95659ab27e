import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { authenticateApi } from '../accounts/admin-auth.js'
import { adminAccountRoutes } from '../accounts/admin-routes.js'
import { requestActor } from '../accounts/request-actor.js'
import type { Config } from '../config.js'
import { reviewConversion } from '../conversions/review.js'
import { CONVERSION_STATUSES } from '../conversions/rows.js'
import type { Database } from '../db/database.js'
import type { DeliveryHooks } from '../delivery/hooks.js'
import type { AuthThrottle } from '../http/auth-throttle.js'
import { DEFAULT_NETWORK } from '../networks/profile.js'
import type { NetworkRegistry } from '../networks/registry.js'
import {
  ADMIN,
  ADMIN_REFUSALS,
  ADMIN_TOKEN_REFUSALS,
  BODY_REFUSALS,
  conflict,
  DATABASE_REFUSAL,
  INVALID_INPUT,
  jsonResponse,
  notFound,
} from '../openapi/responses.js'
import { zodRoutes } from '../openapi/zod-routes.js'
import {
  conversionsAnswer,
  offerAnswer,
  offersAnswer,
  postbackLogAnswer,
  reviewAnswer,
  statsAnswer,
  userAnswer,
} from './answers.js'
import { flag, id, localTime, name, page, timeZone } from './inputs.js'
import { adminMaintenanceRoutes } from './maintenance-routes.js'
import { adminNetworkRoutes } from './network-routes.js'
import { adminOperationRoutes } from './operations-routes.js'
import {
  getUser,
  listConversions,
  listOffers,
  listPostbacks,
  reviewAnswerOf,
  upsertOffer,
} from './queries.js'
import { adminReplayRoutes } from './replay-routes.js'
import { adminReportRoutes } from './report-routes.js'
import { conversionStats } from './stats.js'

export type AdminRoutesOptions = {
  db: Database
  config: Config
  /** PUBLIC_URL as configured: `doctor` compares it with the address networks called. */
  publicUrl?: string
  token: string
  networks: NetworkRegistry
  /** Where networks reach this service, for the postback URLs shown. */
  baseUrl: string
  /** Approving a held conversion notifies like a credit from a postback would. */
  deliveries?: DeliveryHooks
  /** Wrong tokens per source address: 429 after too many. */
  throttle?: AuthThrottle
  /** REPORT_TIMEZONE: the zone of a report's days unless the request names one. */
  reportTimeZone?: string
}

/**
 * The operator API, behind `Authorization: Bearer <ADMIN_TOKEN or an API token>`; each route
 * declares the permission it needs (accounts/permissions.ts).
 */
export async function adminRoutes(
  fastify: FastifyInstance,
  {
    db,
    config,
    token,
    networks,
    baseUrl,
    publicUrl,
    deliveries,
    throttle,
    reportTimeZone,
  }: AdminRoutesOptions,
) {
  const app = zodRoutes(fastify)
  app.addHook('onRequest', authenticateApi({ db, token, throttle }))
  adminOperationRoutes(app, { db })
  adminAccountRoutes(app, { db })
  adminMaintenanceRoutes(app, { db, config, networks, deliveries })
  adminNetworkRoutes(app, { db, config, networks, baseUrl, publicUrl })
  adminReplayRoutes(app, { db, config, networks, deliveries })
  adminReportRoutes(app, { db, reportTimeZone: reportTimeZone ?? 'UTC' })

  app.get(
    '/admin/users/:userId',
    {
      // The one route a balances:read token (an app's backend) may call.
      config: { permission: 'balances:read' },
      schema: {
        summary: 'A user’s balance and ledger entries',
        ...ADMIN,
        params: z.object({ userId: name }),
        querystring: z.object(page),
        response: {
          200: jsonResponse('OK', userAnswer),
          404: notFound('USER_NOT_FOUND'),
          // Every token may read balances: no 403 here.
          ...INVALID_INPUT,
          ...ADMIN_TOKEN_REFUSALS,
          ...DATABASE_REFUSAL,
        },
      },
    },
    async (request) => getUser(db.pool, request.params.userId, request.query),
  )

  app.get(
    '/admin/conversions',
    {
      schema: {
        summary: 'Conversions, newest first',
        ...ADMIN,
        querystring: z.object({
          ...page,
          network: name.optional(),
          txId: name.optional(),
          userId: name.optional(),
          status: z.enum(CONVERSION_STATUSES).optional(),
        }),
        response: { 200: jsonResponse('OK', conversionsAnswer), ...ADMIN_REFUSALS },
      },
    },
    async ({ query }) => listConversions(db.pool, query, query),
  )

  app.get(
    '/admin/postbacks',
    {
      schema: {
        summary: 'The raw postback log (secrets redacted)',
        ...ADMIN,
        querystring: z.object({
          ...page,
          outcome: name.optional().describe('an outcome or error code, e.g. BAD_SECRET'),
          network: name.optional(),
          payoutMismatch: flag.describe(
            'true: only duplicates whose payout differs from the recorded conversion’s',
          ),
        }),
        response: { 200: jsonResponse('OK', postbackLogAnswer), ...ADMIN_REFUSALS },
      },
    },
    async ({ query }) => listPostbacks(db.pool, query, query),
  )

  app.put(
    '/admin/offers/:offerId',
    {
      schema: {
        summary: 'Set an offer’s expected payout (payout review)',
        ...ADMIN,
        params: z.object({ offerId: name }),
        body: z.object({
          expectedPayout: z
            .string()
            .regex(/^\d{1,14}(\.\d{1,6})?$/, 'must be a plain decimal string such as "3.50"'),
          network: name.default(DEFAULT_NETWORK),
        }),
        response: { 200: jsonResponse('OK', offerAnswer), ...ADMIN_REFUSALS, ...BODY_REFUSALS },
      },
    },
    async (request) => {
      const { params, body } = request
      const actor = requestActor(request, 'admin-api')
      return upsertOffer(db.pool, body.network, params.offerId, body.expectedPayout, actor)
    },
  )

  app.get(
    '/admin/offers',
    {
      schema: {
        summary: 'Offers and their expected payouts (payout review), by network and offer id',
        ...ADMIN,
        querystring: z.object({
          limit: page.limit,
          after: z.string().max(1000).optional().describe('`nextAfter` of the previous page'),
          network: name.optional(),
          offerId: name.optional(),
        }),
        response: { 200: jsonResponse('OK', offersAnswer), ...ADMIN_REFUSALS },
      },
    },
    async ({ query }) => listOffers(db.pool, query),
  )

  app.get(
    '/admin/stats',
    {
      schema: {
        summary: 'Conversions per network, offer or local day',
        ...ADMIN,
        querystring: z.object({
          from: localTime.optional().describe('local date or date-time; default 24 h ago'),
          to: localTime.optional().describe('local date or date-time; default now'),
          by: z.enum(['network', 'offer', 'day']).default('network'),
          tz: timeZone('UTC or Europe/Berlin'),
        }),
        response: { 200: jsonResponse('OK', statsAnswer), ...ADMIN_REFUSALS },
      },
    },
    async ({ query }) =>
      conversionStats(db.pool, {
        from: query.from,
        to: query.to,
        by: query.by,
        timeZone: query.tz,
      }),
  )

  for (const verdict of ['approve', 'reject'] as const) {
    app.post(
      `/admin/conversions/:id/${verdict}`,
      {
        config: { permission: 'review' },
        schema: {
          summary:
            verdict === 'approve'
              ? 'Approve (credit) a conversion held for review'
              : 'Reject a held conversion (final, nothing credited)',
          ...ADMIN,
          params: z.object({ id }),
          response: {
            200: jsonResponse('OK', reviewAnswer),
            404: notFound('CONVERSION_NOT_FOUND'),
            409: conflict('The conversion is not held for review.', 'NOT_HELD'),
            ...ADMIN_REFUSALS,
            ...BODY_REFUSALS,
          },
        },
      },
      async (request) => {
        const actor = requestActor(request, 'admin-api')
        const { id } = request.params
        const result = await reviewConversion(db.pool, id, verdict, deliveries?.rules, actor)
        deliveries?.wake()
        return reviewAnswerOf(result)
      },
    )
  }
}
