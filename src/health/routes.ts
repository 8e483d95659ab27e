import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { Database } from '../db/database.js'
import { errorBody, HttpError, RETRY_AFTER_SECONDS } from '../http/errors.js'
import { withDeadline } from '../lib/deadline.js'
import { errorResponse, jsonResponse, RETRY_AFTER } from '../openapi/responses.js'
import { zodRoutes } from '../openapi/zod-routes.js'

const READY_TIMEOUT_MS = 2000
const tags = ['health']

/** /healthz: the process answers. /readyz: the database answers too (load balancers route on it). */
export async function healthRoutes(fastify: FastifyInstance, { db }: { db: Database }) {
  const app = zodRoutes(fastify)
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process answers',
        tags,
        response: { 200: jsonResponse('The process runs.', z.object({ status: z.literal('ok') })) },
      },
    },
    async () => ({ status: 'ok' as const }),
  )

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the database answers within 2 s (route load balancers here)',
        tags,
        response: {
          200: jsonResponse(
            'Ready.',
            z.object({ status: z.literal('ok'), database: z.enum(['postgres', 'embedded']) }),
          ),
          503: errorResponse('The database does not answer.', ['DATABASE_UNAVAILABLE'], {
            'retry-after': RETRY_AFTER,
          }),
        },
      },
    },
    async (request, reply) => {
      try {
        await withDeadline(
          db.pool.query('SELECT 1'),
          READY_TIMEOUT_MS,
          () => new Error(`no answer within ${READY_TIMEOUT_MS} ms`),
        )
        return { status: 'ok' as const, database: db.kind }
      } catch (error) {
        request.log.warn({ err: { message: (error as Error).message } }, 'readiness check failed')
        const unavailable = new HttpError('DATABASE_UNAVAILABLE', 'the database does not answer')
        return reply
          .code(503)
          .header('retry-after', String(RETRY_AFTER_SECONDS))
          .send({ ...errorBody(unavailable), code: 'DATABASE_UNAVAILABLE' })
      }
    },
  )
}
