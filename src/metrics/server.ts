import Fastify from 'fastify'
import { handleError, handleNotFound } from '../http/errors.js'
import type { Metrics } from './metrics.js'
import { metricsRoutes } from './routes.js'

export type MetricsServer = { url: string; close(): Promise<void> }

/**
 * GET /metrics on a port of its own, for processes that serve nothing else (`npm run worker`):
 * the service's route, behind the same METRICS_TOKEN, so one scrape config fits both.
 */
export async function listenMetrics(
  metrics: Metrics,
  { host, port, token }: { host: string; port: number; token: string },
): Promise<MetricsServer> {
  const app = Fastify({ logger: false, forceCloseConnections: true })
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(handleNotFound)
  await app.register(metricsRoutes, { metrics, token })
  const address = await app.listen({ host, port })
  return { url: `${address}/metrics`, close: () => app.close() }
}
