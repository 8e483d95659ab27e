import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Config } from './config.js'
import type { Database } from './db/database.js'
import { healthRoutes } from './health/routes.js'
import { handleError, handleNotFound } from './http/errors.js'

export type AppDependencies = { db: Database; logger: Logger }

/** Builds the HTTP application. Never listens: server.ts does that, tests use inject(). */
export async function buildApp(_config: Config, deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Let in-flight requests finish on close, but drop idle keep-alive sockets at once.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  })
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(handleNotFound)
  await app.register(healthRoutes, { db: deps.db })
  return app
}
