import { z } from 'zod'
import { requestActor } from '../accounts/request-actor.js'
import { id } from '../admin/inputs.js'
import { HttpError } from '../http/errors.js'
import type { ZodApp } from '../openapi/zod-routes.js'
import { getLogEntry, listLog } from '../postback-log/queries.js'
import { replayFromLog } from './actions.js'
import { type DashboardOptions, filterText, pageContext, sendHtml } from './context.js'
import { page } from './layout.js'
import { notice, noticeQuery } from './notices.js'
import { renderEntry } from './postback-entry.js'
import { filterOf, postbacksPage } from './postbacks-page.js'

const PAGE_SIZE = 50
const logQuery = z.object({
  network: filterText,
  outcome: filterText,
  tx: filterText,
  user: filterText,
  period: z.enum(['1h', '24h', '7d', '30d', 'all']).default('7d'),
  // The checkbox: '1' when ticked, absent (or anything else) otherwise.
  mismatch: z
    .unknown()
    .optional()
    .transform((v) => (v === '1' ? ('1' as const) : undefined)),
  before: id.optional(),
  after: id.optional(),
  notice,
})
const byId = z.object({ id })

export function logRoutes(app: ZodApp, { db, config, networks, deliveries }: DashboardOptions) {
  app.get('/dashboard/postbacks', { schema: { querystring: logQuery } }, async (request, reply) => {
    const { query } = request
    const entries = await listLog(db.pool, filterOf(query, new Date()), PAGE_SIZE)
    const context = pageContext(request)
    return sendHtml(
      reply,
      postbacksPage(context, networks, query, entries, PAGE_SIZE, config.REPORT_TIMEZONE).text,
    )
  })

  // Live updates: the next rows after `after` (the newest one shown), the oldest of them first
  // a page at a time, so however many arrived between polls none is skipped. X-Last-Id is the
  // page's newest id (the next `after`), X-More: 1 says another page is waiting. The HTML is
  // newest first, to be inserted above what is shown.
  app.get(
    '/dashboard/postbacks/rows',
    { schema: { querystring: logQuery } },
    async (request, reply) => {
      const { query } = request
      const after = query.after ?? '0'
      const filter = { ...filterOf(query, new Date()), after }
      const entries = await listLog(db.pool, filter, PAGE_SIZE + 1, 'oldest-first')
      const page = entries.slice(0, PAGE_SIZE)
      reply.header('x-last-id', page.at(-1)?.id ?? after)
      if (entries.length > PAGE_SIZE) reply.header('x-more', '1')
      return sendHtml(
        reply,
        page
          .reverse()
          .map((e) => renderEntry(e, pageContext(request), { fresh: true }).text)
          .join(''),
      )
    },
  )

  app.get(
    '/dashboard/postbacks/:id',
    { schema: { params: byId, querystring: noticeQuery } },
    async (request, reply) => {
      const { params } = request
      const entry = await getLogEntry(db.pool, params.id)
      if (!entry) throw new HttpError('NOT_FOUND', `no postback log entry #${params.id}`)
      const context = pageContext(request)
      return sendHtml(
        reply,
        page(
          `Postback #${entry.id}`,
          'postbacks',
          context,
          renderEntry(entry, context, { open: true }),
        ).text,
      )
    },
  )

  app.post(
    '/dashboard/postbacks/:id/replay',
    {
      config: { permission: 'replay' },
      schema: {
        params: byId,
        // The checkbox "the network really sent it": '1' when ticked, absent otherwise.
        body: z.object({
          include_unauthorized: z
            .unknown()
            .optional()
            .transform((v) => v === '1'),
        }),
      },
    },
    async (request, reply) => {
      const { params, body } = request
      const deps = { pool: db.pool, config, networks, deliveries }
      const result = await replayFromLog(deps, params.id, {
        actor: requestActor(request, 'dashboard'),
        includeUnauthorized: body.include_unauthorized,
      })
      if (result.kind === 'replayed')
        return reply.redirect(`/dashboard/postbacks/${result.logId}?notice=replayed`, 303)
      return reply.redirect(`/dashboard/postbacks/${params.id}?notice=${result.reason}`, 303)
    },
  )
}
