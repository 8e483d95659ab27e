import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { z } from 'zod'
import { authenticateApi } from '../accounts/admin-auth.js'
import type { Database } from '../db/database.js'
import type { AuthThrottle } from '../http/auth-throttle.js'
import { HttpError } from '../http/errors.js'
import type { NetworkRegistry } from '../networks/registry.js'
import {
  ADMIN,
  ADMIN_REFUSALS,
  BODY_REFUSALS,
  errorResponse,
  notFound,
} from '../openapi/responses.js'
import { zodRoutes } from '../openapi/zod-routes.js'
import { exportLog } from '../operations/export-log.js'
import { reconcileStream } from '../operations/reconcile/stream.js'
import { resolveRange } from '../operations/time-range.js'
import { logExportQuery, logFilterOf, reconcileJob, reconcileQuery } from './export-inputs.js'
import { name } from './inputs.js'

// CSV exports of the admin API beside GET /admin/conversions.csv: the postback log of a range,
// and reconcile's differences for a network's report sent as the body. Both stream: one page
// (or one cursor batch) in memory at a time. The dashboard's buttons (dashboard/export-routes)
// answer the same from the signed-in session.

export type ExportAdminOptions = {
  db: Database
  token: string
  networks: NetworkRegistry
  throttle?: AuthThrottle
  /** REPORT_TIMEZONE: the zone of from/to and of the local times unless ?tz= names one. */
  reportTimeZone: string
}

const CSV = { 'text/csv': { schema: { type: 'string' } } }

/**
 * Answers with a stream of CSV text as a download (chunked: its length is not known). One page
 * is read ahead at most: the next is read when the client has taken the last (backpressure).
 */
export function sendCsv(
  reply: FastifyReply,
  filename: string,
  lines: AsyncIterable<string> | Readable,
) {
  return reply
    .type('text/csv; charset=utf-8')
    .header('content-disposition', `attachment; filename="${filename}"`)
    .send(lines instanceof Readable ? lines : Readable.from(lines, { highWaterMark: 1 }))
}

/** A request body left as the stream it is (a report of any size), for text/csv. */
export function streamCsvBodies(app: FastifyInstance) {
  app.addContentTypeParser(['text/csv', 'text/plain'], (_request, payload, done) =>
    done(null, payload),
  )
}

export async function exportAdminRoutes(
  fastify: FastifyInstance,
  { db, token, networks, throttle, reportTimeZone }: ExportAdminOptions,
) {
  const app = zodRoutes(fastify)
  app.addHook('onRequest', authenticateApi({ db, token, throttle }))
  streamCsvBodies(app)

  app.get(
    '/admin/postbacks.csv',
    {
      schema: {
        summary: 'The postback log of a period as CSV (streamed, secrets redacted)',
        ...ADMIN,
        querystring: logExportQuery(reportTimeZone),
        response: {
          200: {
            description: 'One header line, then one line per log row, oldest first.',
            content: CSV,
          },
          ...ADMIN_REFUSALS,
        },
      },
    },
    async ({ query }, reply) => {
      const range = await resolveRange(db.pool, {
        from: query.from,
        to: query.to,
        timeZone: query.tz,
      })
      const since = new Date(range.since ?? Date.now() - 86_400_000)
      const lines = await exportLog(db.pool, {
        ...logFilterOf(query),
        since,
        until: range.until ? new Date(range.until) : undefined,
        timeZone: query.tz,
      })
      return sendCsv(reply, 'postbacks.csv', lines)
    },
  )

  app.post(
    '/admin/networks/:network/reconcile.csv',
    {
      // A comparison: it reads, and changes nothing.
      config: { permission: 'read' },
      schema: {
        summary:
          "Reconcile a network's report (the body, text/csv) with our conversions: the differences as CSV",
        ...ADMIN,
        params: z.object({ network: name }),
        querystring: reconcileQuery(reportTimeZone),
        response: {
          200: {
            description: 'One header line, then one line per difference (kind, line, tx_id ...).',
            content: CSV,
          },
          404: notFound('UNKNOWN_NETWORK'),
          ...BODY_REFUSALS,
          ...ADMIN_REFUSALS,
          400: errorResponse('A parameter is invalid, or the report cannot be read as asked.', [
            'INVALID_FIELD',
            'INVALID_REPORT',
          ]),
        },
      },
    },
    async (request, reply) => {
      const { params, query, body } = request
      if (!(body instanceof Readable))
        throw new HttpError(
          'UNSUPPORTED_MEDIA_TYPE',
          'send the report as the body, Content-Type: text/csv',
        )
      const job = reconcileJob(networks, params.network, query, body)
      return sendCsv(reply, `${job.network}-differences.csv`, await reconcileStream(db.pool, job))
    },
  )
}
