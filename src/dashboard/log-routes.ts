import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { HttpError } from '../http/errors.js'
import { parseInput } from '../http/validate.js'
import { getLogEntry, listLog } from '../postback-log/queries.js'
import { replayFromLog } from './actions.js'
import { csrfOf, type DashboardOptions, sendHtml } from './context.js'
import { page } from './layout.js'
import { noticeOf } from './notices.js'
import { renderEntry } from './postback-entry.js'
import { filterOf, postbacksPage } from './postbacks-page.js'

const PAGE_SIZE = 50
const id = z.string().regex(/^\d{1,18}$/, 'must be a numeric id')
const text = z
  .string()
  .trim()
  .max(255)
  .optional()
  .transform((v) => v || undefined)
const logQuery = z.object({
  network: text,
  outcome: text,
  tx: text,
  user: text,
  period: z.enum(['1h', '24h', '7d', '30d', 'all']).default('7d'),
  before: id.optional(),
  after: id.optional(),
})

export function logRoutes(
  app: FastifyInstance,
  { db, config, networks, deliveries }: DashboardOptions,
) {
  app.get('/dashboard/postbacks', async (request, reply) => {
    const query = parseInput(logQuery, request.query)
    const entries = await listLog(db.pool, filterOf(query, new Date()), PAGE_SIZE)
    const context = { csrf: csrfOf(request), notice: noticeOf(request.query) }
    return sendHtml(reply, postbacksPage(context, networks, query, entries, PAGE_SIZE).text)
  })

  // Live updates: the next rows after `after` (the newest one shown), the oldest of them first
  // a page at a time, so however many arrived between polls none is skipped. X-Last-Id is the
  // page's newest id (the next `after`), X-More: 1 says another page is waiting. The HTML is
  // newest first, to be inserted above what is shown.
  app.get('/dashboard/postbacks/rows', async (request, reply) => {
    const query = parseInput(logQuery, request.query)
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
        .map((e) => renderEntry(e, csrfOf(request), { fresh: true }).text)
        .join(''),
    )
  })

  app.get('/dashboard/postbacks/:id', async (request, reply) => {
    const params = parseInput(z.object({ id }), request.params)
    const entry = await getLogEntry(db.pool, params.id)
    if (!entry) throw new HttpError('NOT_FOUND', `no postback log entry #${params.id}`)
    const context = { csrf: csrfOf(request), notice: noticeOf(request.query) }
    return sendHtml(
      reply,
      page(
        `Postback #${entry.id}`,
        'postbacks',
        context,
        renderEntry(entry, context.csrf, { open: true }),
      ).text,
    )
  })

  app.post('/dashboard/postbacks/:id/replay', async (request, reply) => {
    const params = parseInput(z.object({ id }), request.params)
    const body = (request.body ?? {}) as Record<string, unknown>
    const deps = { pool: db.pool, config, networks, deliveries }
    const result = await replayFromLog(deps, params.id, {
      by: `dashboard from ${request.ip}`,
      includeUnauthorized: body.include_unauthorized === '1',
    })
    if (result.kind === 'replayed')
      return reply.redirect(`/dashboard/postbacks/${result.logId}?notice=replayed`, 303)
    return reply.redirect(`/dashboard/postbacks/${params.id}?notice=${result.reason}`, 303)
  })
}
