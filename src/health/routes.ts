import type { FastifyInstance } from 'fastify'
import type { Database } from '../db/database.js'
import { errorBody, HttpError, RETRY_AFTER_SECONDS } from '../http/errors.js'
import { withDeadline } from '../lib/deadline.js'

const READY_TIMEOUT_MS = 2000

/** /healthz: the process answers. /readyz: the database answers too (load balancers route on it). */
export async function healthRoutes(app: FastifyInstance, { db }: { db: Database }) {
  app.get('/healthz', async () => ({ status: 'ok' }))

  app.get('/readyz', async (request, reply) => {
    try {
      await withDeadline(
        db.pool.query('SELECT 1'),
        READY_TIMEOUT_MS,
        () => new Error(`no answer within ${READY_TIMEOUT_MS} ms`),
      )
      return { status: 'ok', database: db.kind }
    } catch (error) {
      request.log.warn({ err: { message: (error as Error).message } }, 'readiness check failed')
      const unavailable = new HttpError('DATABASE_UNAVAILABLE', 'the database does not answer')
      return reply
        .code(unavailable.statusCode)
        .header('retry-after', String(RETRY_AFTER_SECONDS))
        .send(errorBody(unavailable))
    }
  })
}
