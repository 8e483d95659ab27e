import type { FastifyInstance } from 'fastify'
import type { Database } from '../db/database.js'
import { errorBody } from '../http/errors.js'

const READY_TIMEOUT_MS = 2000

/** /healthz: the process answers. /readyz: the database answers too (load balancers route on it). */
export async function healthRoutes(app: FastifyInstance, { db }: { db: Database }) {
  app.get('/healthz', async () => ({ status: 'ok' }))

  app.get('/readyz', async (request, reply) => {
    try {
      await withTimeout(db.pool.query('SELECT 1'), READY_TIMEOUT_MS)
      return { status: 'ok', database: db.kind }
    } catch (error) {
      request.log.warn({ err: { message: (error as Error).message } }, 'readiness check failed')
      return reply
        .code(503)
        .header('retry-after', '5')
        .send(errorBody(503, 'DATABASE_UNAVAILABLE', 'the database does not answer'))
    }
  })
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
