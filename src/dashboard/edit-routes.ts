import { z } from 'zod'
import { requestActor } from '../accounts/request-actor.js'
import { listOffers, upsertOffer } from '../admin/queries.js'
import { createNetwork, editNetwork, type NetworkEntry } from '../networks/edit.js'
import type { ZodApp } from '../openapi/zod-routes.js'
import { adjustBalance, MAX_ADJUSTMENT, userSeen } from '../operations/adjust.js'
import { type DashboardOptions, filterText, pageContext, sendHtml } from './context.js'
import { confirmAdjustPage, offersPage } from './edit-pages.js'
import { notice } from './notices.js'

// The dashboard's day-to-day edits, each the twin of an admin API route: a balance adjustment
// (POST /admin/users/:userId/adjustments), an offer's expected payout (PUT /admin/offers/:id),
// adding and editing a network (POST /admin/networks, PATCH /admin/networks/:network). The
// same operations run below both, with the signed-in person as the audit actor.

const field = (max: number) => z.string().trim().min(1).max(max)
const decimal = z
  .string()
  .trim()
  .regex(/^\d{1,14}(\.\d{1,6})?$/, 'must be a plain decimal such as 3.50 (up to 6 decimals)')
/** A textarea of IPs/CIDRs: one per line or comma-separated. */
const ipLines = z
  .string()
  .default('')
  .transform((text) => text.split(/[\s,]+/).filter(Boolean))
/** Comma-separated status values. */
const values = z
  .string()
  .default('')
  .transform((text) =>
    text
      .split(',')
      .map((value) => value.trim())
      .filter(Boolean),
  )
/** A new secret, or blank to keep the current ones. */
const newSecret = z
  .string()
  .default('')
  .transform((text) => text.trim() || undefined)

export function editRoutes(app: ZodApp, options: DashboardOptions) {
  const { db, config, networks } = options
  const deps = { pool: db.pool, config, networks }

  app.post(
    '/dashboard/users/adjust',
    {
      config: { permission: 'adjust' },
      schema: {
        body: z.object({
          user: field(255),
          points: z
            .string()
            .trim()
            .regex(/^-?\d{1,16}$/, 'must be a whole number such as -500 or 250')
            .refine((p) => {
              const n = BigInt(p)
              return n !== 0n && n <= MAX_ADJUSTMENT && n >= -MAX_ADJUSTMENT
            }, `must be a non-zero whole number within ±${MAX_ADJUSTMENT}`),
          reason: field(500),
          reference: field(255),
          newUser: z.literal('yes').optional(),
        }),
      },
    },
    async (request, reply) => {
      const { body } = request
      if (!body.newUser && !(await userSeen(db.pool, body.user))) {
        const { dashboardSession, principal } = request
        const context = pageContext({ dashboardSession, principal, query: {} })
        return sendHtml(reply, confirmAdjustPage(context, body).text)
      }
      const result = await adjustBalance(db.pool, {
        userId: body.user,
        points: BigInt(body.points),
        reason: body.reason,
        reference: body.reference,
        actor: requestActor(request, 'dashboard'),
      })
      const shown = result.duplicate ? 'adjust-duplicate' : 'adjusted'
      return reply.redirect(
        `/dashboard/users?user=${encodeURIComponent(body.user)}&notice=${shown}`,
        303,
      )
    },
  )

  app.get(
    '/dashboard/offers',
    {
      schema: {
        querystring: z.object({
          network: filterText,
          offer: filterText,
          after: z.string().max(1000).optional(),
          notice,
        }),
      },
    },
    async (request, reply) => {
      const q = request.query
      const offers = await listOffers(db.pool, {
        network: q.network,
        offerId: q.offer,
        after: q.after,
        limit: 100,
      })
      const filter = { network: q.network, offer: q.offer }
      return sendHtml(
        reply,
        offersPage(pageContext(request), filter, offers, networks.names()).text,
      )
    },
  )

  app.post(
    '/dashboard/offers',
    {
      schema: {
        body: z.object({
          network: field(255),
          offerId: field(255),
          expectedPayout: decimal,
        }),
      },
    },
    async (request, reply) => {
      const { network, offerId, expectedPayout } = request.body
      const actor = requestActor(request, 'dashboard')
      await upsertOffer(db.pool, network, offerId, expectedPayout, actor)
      return reply.redirect(
        `/dashboard/offers?network=${encodeURIComponent(network)}&notice=offer-saved`,
        303,
      )
    },
  )

  app.post(
    '/dashboard/networks/add',
    {
      schema: {
        body: z.object({
          name: field(64),
          preset: field(64),
          secret: newSecret,
          allowedIps: ipLines,
        }),
      },
    },
    async (request, reply) => {
      const { name, preset, secret, allowedIps } = request.body
      const entry: NetworkEntry = { preset, ...(secret ? { secrets: [secret] } : {}) }
      if (allowedIps.length) entry.allowedIps = allowedIps
      await createNetwork(deps, name, entry, requestActor(request, 'dashboard'))
      return reply.redirect(`/dashboard/networks?notice=network-added#network-${name}`, 303)
    },
  )

  app.post(
    '/dashboard/networks/:network/edit',
    {
      schema: {
        params: z.object({ network: z.string().max(64) }),
        body: z.object({
          allowedIps: ipLines,
          approved: values,
          pending: values,
          reversed: values,
          secret: newSecret,
        }),
      },
    },
    async (request, reply) => {
      const { params, body } = request
      const changes: Partial<NetworkEntry> = { allowedIps: body.allowedIps }
      const { approved, pending, reversed } = body
      // All three blank: the statuses stay as they are (a cleared form never wipes them).
      if (approved.length + pending.length + reversed.length > 0)
        changes.statuses = { approved, pending, reversed }
      if (body.secret) changes.secrets = [body.secret]
      await editNetwork(deps, params.network, changes, requestActor(request, 'dashboard'))
      return reply.redirect(
        `/dashboard/networks?notice=network-saved#network-${params.network}`,
        303,
      )
    },
  )
}
