import { Readable } from 'node:stream'
import {
  logExportQuery,
  logFilterOf,
  reconcileJob,
  reconcileQuery,
} from '../admin/export-inputs.js'
import { sendCsv, streamCsvBodies } from '../admin/export-routes.js'
import { name } from '../admin/inputs.js'
import { HttpError } from '../http/errors.js'
import type { ZodApp } from '../openapi/zod-routes.js'
import { exportConversions } from '../operations/export-conversions.js'
import { exportLog } from '../operations/export-log.js'
import { reconcileStream } from '../operations/reconcile/stream.js'
import { resolveRange } from '../operations/time-range.js'
import { type DashboardOptions, pageContext, sendHtml } from './context.js'
import { reconcilePage } from './export-page.js'
import { noticeQuery } from './notices.js'

// The CSV buttons, on the dashboard's session (its cookie): the same exports as the admin API's
// GET /admin/conversions.csv, GET /admin/postbacks.csv and POST /admin/networks/:n/reconcile.csv.

export function exportRoutes(app: ZodApp, { db, networks, config }: DashboardOptions) {
  const zone = config.REPORT_TIMEZONE
  streamCsvBodies(app)

  app.get(
    '/dashboard/conversions.csv',
    {
      schema: {
        querystring: logExportQuery(zone).pick({ from: true, to: true, tz: true, network: true }),
      },
    },
    async ({ query }, reply) => {
      const lines = await exportConversions(db.pool, { ...query, timeZone: query.tz })
      return sendCsv(reply, 'conversions.csv', lines)
    },
  )

  app.get(
    '/dashboard/postbacks.csv',
    { schema: { querystring: logExportQuery(zone) } },
    async ({ query }, reply) => {
      const range = await resolveRange(db.pool, {
        from: query.from,
        to: query.to,
        timeZone: query.tz,
      })
      const lines = await exportLog(db.pool, {
        ...logFilterOf(query),
        since: new Date(range.since ?? Date.now() - 86_400_000),
        until: range.until ? new Date(range.until) : undefined,
        timeZone: query.tz,
      })
      return sendCsv(reply, 'postbacks.csv', lines)
    },
  )

  app.get(
    '/dashboard/reconcile',
    { schema: { querystring: noticeQuery } },
    async (request, reply) =>
      sendHtml(reply, reconcilePage(pageContext(request), networks, zone).text),
  )

  // The page's script sends the file as the body (text/csv) and the CSRF token in a header.
  app.post(
    '/dashboard/reconcile.csv',
    {
      config: { permission: 'read' },
      schema: { querystring: reconcileQuery(zone).extend({ network: name }) },
    },
    async (request, reply) => {
      const { query, body } = request
      if (!(body instanceof Readable))
        throw new HttpError(
          'UNSUPPORTED_MEDIA_TYPE',
          'send the report as the body, Content-Type: text/csv',
        )
      const job = reconcileJob(networks, query.network, query, body)
      return sendCsv(reply, `${job.network}-differences.csv`, await reconcileStream(db.pool, job))
    },
  )
}
