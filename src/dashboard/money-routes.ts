import { z } from 'zod'
import { requestActor } from '../accounts/request-actor.js'
import { id } from '../admin/inputs.js'
import { listAudit } from '../audit/rows.js'
import { reviewConversion } from '../conversions/review.js'
import { getConversion, searchConversions } from '../conversions/rows.js'
import { deliveriesOfConversion } from '../delivery/rows.js'
import { HttpError } from '../http/errors.js'
import { balanceOf, ledgerOfConversion, ledgerOfUser } from '../ledger/rows.js'
import type { ZodApp } from '../openapi/zod-routes.js'
import { logOfConversion } from '../postback-log/queries.js'
import { listUsers } from '../reports/users.js'
import { type DashboardOptions, filterText, pageContext, sendHtml } from './context.js'
import {
  conversionPage,
  conversionsPage,
  reviewPage,
  STATUSES,
  userPage,
} from './conversions-page.js'
import { notice, noticeQuery } from './notices.js'
import { USER_SORTS, usersListPage } from './users-page.js'

const PAGE_SIZE = 50
const USERS_PAGE = 50
const byId = z.object({ id })

export function moneyRoutes(app: ZodApp, { db, deliveries, config }: DashboardOptions) {
  app.get(
    '/dashboard/conversions',
    {
      schema: {
        querystring: z.object({
          tx: filterText,
          user: filterText,
          offer: filterText,
          network: filterText,
          status: z
            .enum(['', ...STATUSES])
            .optional()
            .transform((v) => v || undefined),
          before: id.optional(),
          notice,
        }),
      },
    },
    async (request, reply) => {
      const q = request.query
      const search = {
        txId: q.tx,
        userId: q.user,
        offerId: q.offer,
        network: q.network,
        status: q.status,
        before: q.before,
      }
      const items = await searchConversions(db.pool, search, PAGE_SIZE)
      return sendHtml(
        reply,
        conversionsPage(pageContext(request), search, items, PAGE_SIZE, config.REPORT_TIMEZONE)
          .text,
      )
    },
  )

  app.get(
    '/dashboard/conversions/:id',
    { schema: { params: byId, querystring: noticeQuery } },
    async (request, reply) => {
      const { params } = request
      const conversion = await getConversion(db.pool, params.id)
      if (!conversion) throw new HttpError('NOT_FOUND', `no conversion #${params.id}`)
      const [log, ledger, sent] = [
        await logOfConversion(db.pool, params.id),
        await ledgerOfConversion(db.pool, params.id),
        await deliveriesOfConversion(db.pool, params.id, 100),
      ]
      const audit = await listAudit(db.pool, { conversionId: params.id }, 100)
      return sendHtml(
        reply,
        conversionPage(pageContext(request), conversion, log, ledger, sent, audit).text,
      )
    },
  )

  for (const verdict of ['approve', 'reject'] as const) {
    app.post(
      `/dashboard/conversions/:id/${verdict}`,
      { config: { permission: 'review' }, schema: { params: byId } },
      async (request, reply) => {
        const { params } = request
        try {
          const actor = requestActor(request, 'dashboard')
          await reviewConversion(db.pool, params.id, verdict, deliveries.rules, actor)
        } catch (error) {
          if (error instanceof HttpError && error.code === 'NOT_HELD')
            return reply.redirect(`/dashboard/conversions/${params.id}?notice=not-held`, 303)
          throw error
        }
        deliveries.wake()
        const notice = verdict === 'approve' ? 'approved' : 'rejected'
        return reply.redirect(`/dashboard/conversions/${params.id}?notice=${notice}`, 303)
      },
    )
  }

  app.get('/dashboard/review', { schema: { querystring: noticeQuery } }, async (request, reply) => {
    const held = await searchConversions(db.pool, { status: 'held' }, 100)
    return sendHtml(reply, reviewPage(pageContext(request), held).text)
  })

  app.get(
    '/dashboard/users',
    {
      schema: {
        querystring: z.object({
          user: filterText,
          before: id.optional(),
          notice,
          // Without a user: the list of users, searched and sorted.
          search: filterText,
          sort: z.enum(USER_SORTS).default('balance'),
          order: z.enum(['asc', 'desc']).default('desc'),
          offset: z.coerce.number().int().min(0).max(100_000).default(0),
        }),
      },
    },
    async (request, reply) => {
      const q = request.query
      const ctx = pageContext(request)
      if (!q.user) {
        const list = { search: q.search, sort: q.sort, order: q.order, offset: q.offset }
        const { items, more } = await listUsers(db.pool, { ...list, limit: USERS_PAGE })
        const zone = config.REPORT_TIMEZONE
        return sendHtml(reply, usersListPage(ctx, list, items, more, zone, USERS_PAGE).text)
      }
      const account = {
        balance: await balanceOf(db.pool, q.user),
        entries: await ledgerOfUser(db.pool, q.user, q.before, PAGE_SIZE),
      }
      const conversions = q.before ? [] : await searchConversions(db.pool, { userId: q.user }, 20)
      const next = account.entries.length === PAGE_SIZE ? account.entries.at(-1)?.id : undefined
      const audit = q.before ? [] : await listAudit(db.pool, { userId: q.user }, 20)
      return sendHtml(reply, userPage(ctx, q.user, account, conversions, next, audit).text)
    },
  )
}
