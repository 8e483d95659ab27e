import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { AuthThrottle } from '../http/auth-throttle.js'
import { requireBearerToken } from '../http/bearer-token.js'
import { tokenRefusals } from '../openapi/responses.js'
import { zodRoutes } from '../openapi/zod-routes.js'
import type { Metrics } from './metrics.js'

/** GET /metrics in Prometheus text format, behind `Authorization: Bearer <METRICS_TOKEN>`. */
export async function metricsRoutes(
  fastify: FastifyInstance,
  { metrics, token, throttle }: { metrics: Metrics; token: string; throttle?: AuthThrottle },
) {
  const app = zodRoutes(fastify)
  app.addHook('onRequest', requireBearerToken(token, 'METRICS_TOKEN', throttle))
  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics (when METRICS_TOKEN is set)',
        tags: ['metrics'],
        security: [{ metricsToken: [] }],
        response: {
          200: {
            description: 'Prometheus text exposition format.',
            content: { 'text/plain': { schema: z.string() } },
          },
          ...tokenRefusals('METRICS_TOKEN'),
        },
      },
    },
    async (_request, reply) => {
      reply.type(metrics.registry.contentType)
      return metrics.registry.metrics()
    },
  )
}
