import { z } from 'zod'
import { requestActor } from '../accounts/request-actor.js'
import { id } from '../admin/inputs.js'
import { recordAudit } from '../audit/record.js'
import { retryDeadDelivery } from '../delivery/retry.js'
import { HttpError } from '../http/errors.js'
import type { ZodApp } from '../openapi/zod-routes.js'
import { runDoctor } from '../operations/doctor/run.js'
import { sendTestPostback } from './actions.js'
import { type DashboardOptions, pageContext, sendHtml } from './context.js'
import { deliveryCounts, failingDeliveries } from './deliveries-data.js'
import { deliveriesPage } from './deliveries-page.js'
import { networksPage } from './networks-page.js'
import { notice, noticeQuery } from './notices.js'
import { loadOverview, OVERVIEW_PERIODS } from './overview-data.js'
import { overviewPage } from './overview-page.js'

const PAGE_SIZE = 30
const byNetwork = z.object({ network: z.string().max(64) })

export function opsRoutes(app: ZodApp, options: DashboardOptions) {
  const { db, config, networks, baseUrl, deliveries } = options

  app.get(
    '/dashboard',
    {
      schema: {
        querystring: z.object({
          period: z.enum(['1h', '24h', '7d', '30d']).default('24h'),
          notice,
        }),
      },
    },
    async (request, reply) => {
      const q = request.query
      const period = OVERVIEW_PERIODS.find((p) => p.key === q.period) ?? OVERVIEW_PERIODS[1]
      const overview = await loadOverview(
        db.pool,
        period ?? { key: '24h', seconds: 86_400, bucketSeconds: 3600 },
        new Date(),
      )
      return sendHtml(reply, overviewPage(pageContext(request), overview).text)
    },
  )

  // Without PUBLIC_URL, the address the operator reached us at beats localhost:PORT.
  const hostOf = (request: { protocol: string; host: string }) =>
    config.PUBLIC_URL ? baseUrl : `${request.protocol}://${request.host}`

  app.get('/dashboard/networks', { schema: { querystring: noticeQuery } }, async (request, reply) =>
    sendHtml(reply, networksPage(pageContext(request), networks, hostOf(request)).text),
  )

  app.get(
    '/dashboard/networks/:network/doctor',
    { schema: { params: byNetwork, querystring: noticeQuery } },
    async (request, reply) => {
      const { network } = request.params
      const profile = networks.get(network)
      if (!profile) throw new HttpError('UNKNOWN_NETWORK', `unknown network "${network}"`)
      const diagnosis = await runDoctor(db.pool, config, profile)
      return sendHtml(
        reply,
        networksPage(pageContext(request), networks, hostOf(request), undefined, diagnosis).text,
      )
    },
  )

  app.post(
    '/dashboard/networks/:network/test',
    {
      schema: {
        params: byNetwork,
        querystring: noticeQuery,
        body: z.object({
          user: z.string().trim().min(1).max(255).default('test-user'),
          status: z.enum(['approved', 'pending', 'reversed']).default('approved'),
        }),
      },
    },
    async (request, reply) => {
      const { params, body } = request
      const result = await sendTestPostback(app, { config, networks }, params.network, {
        userId: body.user,
        status: body.status,
      })
      // The test postback is recorded like any other (postback log, conversion, ledger);
      // the audit row says who sent it.
      await recordAudit(db.pool, {
        actor: requestActor(request, 'dashboard'),
        action: 'network.test',
        subject: { type: 'network', id: result.network },
        userId: body.user,
        after: { txId: result.txId, statusCode: result.statusCode, outcome: result.outcome },
      })
      return sendHtml(
        reply,
        networksPage(pageContext(request), networks, hostOf(request), result).text,
      )
    },
  )

  app.get(
    '/dashboard/deliveries',
    {
      schema: {
        querystring: z.object({
          state: z.enum(['failing', 'dead']).default('failing'),
          before: id.optional(),
          notice,
        }),
      },
    },
    async (request, reply) => {
      const q = request.query
      const items = await failingDeliveries(db.pool, q.state, q.before, PAGE_SIZE)
      const counts = await deliveryCounts(db.pool)
      return sendHtml(
        reply,
        deliveriesPage(pageContext(request), q.state, items, counts, PAGE_SIZE).text,
      )
    },
  )

  app.post(
    '/dashboard/deliveries/:id/retry',
    { config: { permission: 'retry' }, schema: { params: z.object({ id }) } },
    async (request, reply) => {
      const { params } = request
      let notice = 'retried'
      try {
        await retryDeadDelivery(db.pool, params.id, requestActor(request, 'dashboard'))
        deliveries.wake()
      } catch (error) {
        if (!(error instanceof HttpError && error.code === 'NOT_DEAD')) throw error
        notice = 'not-dead'
      }
      return reply.redirect(
        `/dashboard/deliveries?state=${notice === 'retried' ? 'failing' : 'dead'}&notice=${notice}`,
        303,
      )
    },
  )
}
