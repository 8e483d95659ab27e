import { z } from 'zod'
import { requestActor } from '../accounts/request-actor.js'
import { id } from '../admin/inputs.js'
import { previewReplay, type ReplayFilter } from '../bulk/replay.js'
import { previewRetry } from '../bulk/retry.js'
import { DEFAULT_CAP } from '../bulk/runner.js'
import { type BulkKind, getBulkRun, runningRun } from '../bulk/runs.js'
import { HttpError } from '../http/errors.js'
import type { ZodApp } from '../openapi/zod-routes.js'
import { replayPreviewPage, retryPreviewPage, runCard, runPage } from './bulk-page.js'
import { type DashboardOptions, filterText, pageContext, sendHtml } from './context.js'
import { notice, noticeQuery } from './notices.js'
import { PERIODS } from './postbacks-page.js'

// The dashboard's bulk buttons: "Replay all matching" from the postback log's filter, "Retry
// all dead" from the dead deliveries, each a preview then a run whose page follows its
// progress. The admin API's twins (src/bulk/admin-routes.ts) use the same runner.

const logFilter = z.object({
  network: filterText,
  outcome: filterText,
  tx: filterText,
  period: z.enum(['1h', '24h', '7d', '30d', 'all']).default('7d'),
})
const ruleFilter = z.object({ rule: filterText })
const byId = z.object({ id })

/** The log page's filter as a bulk replay takes it ('refused' is every refusal code). */
function replayFilterOf(q: z.output<typeof logFilter>, now: Date): ReplayFilter {
  const seconds = PERIODS[q.period]
  return {
    network: q.network,
    outcome: q.outcome === 'refused' ? undefined : q.outcome,
    txId: q.tx,
    since: seconds ? new Date(now.getTime() - seconds * 1000).toISOString() : undefined,
  }
}

export function bulkRoutes(app: ZodApp, { db, bulk }: DashboardOptions) {
  /** A start refused because one runs: its page, saying so. */
  const started = async (kind: BulkKind, start: () => Promise<{ id: string }>) => {
    try {
      return `/dashboard/bulk/${(await start()).id}`
    } catch (error) {
      if (!(error instanceof HttpError && error.code === 'BULK_RUN_ACTIVE')) throw error
      const running = await runningRun(db.pool, kind)
      if (!running) throw error
      return `/dashboard/bulk/${running.id}?notice=bulk-running`
    }
  }

  app.get(
    '/dashboard/postbacks/bulk-replay',
    { schema: { querystring: logFilter.extend({ notice }) } },
    async (request, reply) => {
      const { notice: _, ...filter } = request.query
      const preview = await previewReplay(db.pool, replayFilterOf(filter, new Date()), DEFAULT_CAP)
      return sendHtml(reply, replayPreviewPage(pageContext(request), filter, preview).text)
    },
  )

  app.post(
    '/dashboard/postbacks/bulk-replay',
    { config: { permission: 'replay' }, schema: { body: logFilter } },
    async (request, reply) => {
      const filter = replayFilterOf(request.body, new Date())
      const actor = requestActor(request, 'dashboard')
      const to = await started('replay', () => bulk.startReplay(filter, DEFAULT_CAP, actor))
      return reply.redirect(to, 303)
    },
  )

  app.get(
    '/dashboard/deliveries/bulk-retry',
    { schema: { querystring: ruleFilter.extend({ notice }) } },
    async (request, reply) => {
      const { rule } = request.query
      const preview = await previewRetry(db.pool, { rule }, DEFAULT_CAP)
      return sendHtml(reply, retryPreviewPage(pageContext(request), rule, preview).text)
    },
  )

  app.post(
    '/dashboard/deliveries/bulk-retry',
    { config: { permission: 'retry' }, schema: { body: ruleFilter } },
    async (request, reply) => {
      const actor = requestActor(request, 'dashboard')
      const to = await started('retry', () =>
        bulk.startRetry({ rule: request.body.rule }, DEFAULT_CAP, actor),
      )
      return reply.redirect(to, 303)
    },
  )

  app.get(
    '/dashboard/bulk/:id',
    { schema: { params: byId, querystring: noticeQuery } },
    async (request, reply) => {
      const run = await getBulkRun(db.pool, request.params.id)
      if (!run) throw new HttpError('BULK_RUN_NOT_FOUND', `no bulk run #${request.params.id}`)
      return sendHtml(reply, runPage(pageContext(request), run).text)
    },
  )

  // The progress card alone, for the page's script to swap in while the run goes on.
  app.get('/dashboard/bulk/:id/progress', { schema: { params: byId } }, async (request, reply) => {
    const run = await getBulkRun(db.pool, request.params.id)
    if (!run) throw new HttpError('BULK_RUN_NOT_FOUND', `no bulk run #${request.params.id}`)
    const { dashboardSession, principal } = request
    const context = pageContext({ dashboardSession, principal, query: {} })
    return sendHtml(reply, runCard(run, context.can('replay') ? context.csrf : null).text)
  })

  app.post(
    '/dashboard/bulk/:id/resume',
    { config: { permission: 'replay' }, schema: { params: byId } },
    async (request, reply) => {
      const { params } = request
      const run = await getBulkRun(db.pool, params.id)
      if (!run) throw new HttpError('BULK_RUN_NOT_FOUND', `no bulk run #${params.id}`)
      const actor = requestActor(request, 'dashboard')
      const to = await started(run.kind, () => bulk.resume(params.id, actor))
      return reply.redirect(to, 303)
    },
  )
}
