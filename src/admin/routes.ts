import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { reviewConversion } from '../conversions/review.js'
import { CONVERSION_STATUSES } from '../conversions/rows.js'
import type { Database } from '../db/database.js'
import type { DeliveryHooks } from '../delivery/hooks.js'
import type { AuthThrottle } from '../http/auth-throttle.js'
import { requireBearerToken } from '../http/bearer-token.js'
import { HttpError } from '../http/errors.js'
import { parseInput } from '../http/validate.js'
import { networkPostbackUrl } from '../networks/postback-url.js'
import { DEFAULT_NETWORK, type NetworkProfile } from '../networks/profile.js'
import type { NetworkRegistry } from '../networks/registry.js'
import { DOCTOR_DEFAULT_ROWS, DOCTOR_MAX_ROWS, runDoctor } from '../operations/doctor/run.js'
import { adminOperationRoutes } from './operations-routes.js'
import { getUser, listConversions, listPostbacks, reviewAnswer, upsertOffer } from './queries.js'
import { conversionStats } from './stats.js'

const page = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z
    .string()
    .regex(/^\d{1,18}$/, 'must be an id from a previous page')
    .optional(),
}
const id = z.string().regex(/^\d{1,18}$/, 'must be a numeric id')
const name = z
  .string()
  .min(1)
  .max(255)
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), 'must not contain control characters')

export type AdminRoutesOptions = {
  db: Database
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
}

/** The operator API, behind `Authorization: Bearer <ADMIN_TOKEN>`. */
export async function adminRoutes(
  app: FastifyInstance,
  { db, token, networks, baseUrl, publicUrl, deliveries, throttle }: AdminRoutesOptions,
) {
  const requireNetwork = (network: string): NetworkProfile => {
    const profile = networks.get(network)
    if (!profile)
      throw new HttpError(
        'UNKNOWN_NETWORK',
        `unknown network "${network}"; configured: ${networks.names().join(', ')}`,
      )
    return profile
  }

  app.addHook('onRequest', requireBearerToken(token, 'ADMIN_TOKEN', throttle))
  adminOperationRoutes(app, { db })

  app.get('/admin/users/:userId', async (request) => {
    const { userId } = parseInput(z.object({ userId: name }), request.params)
    return getUser(db.pool, userId, parseInput(z.object(page), request.query))
  })

  app.get('/admin/conversions', async (request) => {
    const query = parseInput(
      z.object({
        ...page,
        network: name.optional(),
        txId: name.optional(),
        userId: name.optional(),
        status: z.enum(CONVERSION_STATUSES).optional(),
      }),
      request.query,
    )
    return listConversions(db.pool, query, query)
  })

  app.get('/admin/postbacks', async (request) => {
    const query = parseInput(
      z.object({ ...page, outcome: name.optional(), network: name.optional() }),
      request.query,
    )
    return listPostbacks(db.pool, query, query)
  })

  app.put('/admin/offers/:offerId', async (request) => {
    const { offerId } = parseInput(z.object({ offerId: name }), request.params)
    const body = parseInput(
      z.object({
        expectedPayout: z
          .string()
          .regex(/^\d{1,14}(\.\d{1,6})?$/, 'must be a plain decimal string such as "3.50"'),
        network: name.default(DEFAULT_NETWORK),
      }),
      request.body,
    )
    return upsertOffer(db.pool, body.network, offerId, body.expectedPayout)
  })

  app.get('/admin/stats', async (request) => {
    const localTime = z
      .string()
      .regex(
        /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/,
        'must be a local date or date-time such as 2026-11-25 or 2026-11-25T08:00',
      )
    const query = parseInput(
      z.object({
        from: localTime.optional(),
        to: localTime.optional(),
        by: z.enum(['network', 'offer', 'day']).default('network'),
        tz: z
          .string()
          .default('UTC')
          .refine(isTimeZone, 'must be an IANA time zone such as UTC or Europe/Berlin'),
      }),
      request.query,
    )
    return conversionStats(db.pool, {
      from: query.from,
      to: query.to,
      by: query.by,
      timeZone: query.tz,
    })
  })

  app.get('/admin/networks', async () => ({
    items: networks.names().map((name) => {
      const profile = networks.get(name)
      return {
        name,
        preset: profile?.preset ?? null,
        signature: profile?.signature.kind,
        allowedIps: profile?.allowedIps.entries,
      }
    }),
  }))

  app.get('/admin/networks/:network/postback-url', async (request) => {
    const { network } = parseInput(z.object({ network: name }), request.params)
    const { base } = parseInput(
      z.object({
        base: z
          .string()
          .regex(
            /^https?:\/\/[^/?#\s]+$/,
            'must be a scheme and host such as https://pb.example.com',
          )
          .optional(),
      }),
      request.query,
    )
    return networkPostbackUrl(requireNetwork(network), base ?? baseUrl)
  })

  app.get('/admin/networks/:network/doctor', async (request) => {
    const { network } = parseInput(z.object({ network: name }), request.params)
    const { rows } = parseInput(
      z.object({
        rows: z.coerce.number().int().min(1).max(DOCTOR_MAX_ROWS).default(DOCTOR_DEFAULT_ROWS),
      }),
      request.query,
    )
    return runDoctor(db.pool, { PUBLIC_URL: publicUrl }, requireNetwork(network), rows)
  })

  for (const verdict of ['approve', 'reject'] as const) {
    app.post(`/admin/conversions/:id/${verdict}`, async (request) => {
      const params = parseInput(z.object({ id }), request.params)
      const result = await reviewConversion(db.pool, params.id, verdict, deliveries?.rules)
      deliveries?.wake()
      return reviewAnswer(result)
    })
  }
}

function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name })
    return true
  } catch {
    return false
  }
}
