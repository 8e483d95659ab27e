import type { FastifyInstance } from 'fastify'
import type { AuthThrottle } from '../http/auth-throttle.js'
import { requireBearerToken } from '../http/bearer-token.js'
import type { Metrics } from './metrics.js'

/** GET /metrics in Prometheus text format, behind `Authorization: Bearer <METRICS_TOKEN>`. */
export async function metricsRoutes(
  app: FastifyInstance,
  { metrics, token, throttle }: { metrics: Metrics; token: string; throttle?: AuthThrottle },
) {
  app.addHook('onRequest', requireBearerToken(token, 'METRICS_TOKEN', throttle))
  app.get('/metrics', async (_request, reply) => {
    reply.type(metrics.registry.contentType)
    return metrics.registry.metrics()
  })
}
