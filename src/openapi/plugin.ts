import { readFileSync } from 'node:fs'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'
import { OFFER_BODY } from './admin-docs.js'
import { operationDocs, UNDOCUMENTED_TAG } from './operations.js'
import { ADJUSTMENT_BODY } from './operations-docs.js'
import { postbackBody } from './postback-docs.js'

const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string }

/**
 * GET /openapi.json and the docs page at /docs, on the root instance (not as an encapsulated
 * plugin, whose hooks would not see sibling routes). Call before the routes: @fastify/swagger
 * collects them as they are added. The documentation is attached in `transform`, so no route
 * gains validation or response serialization from it (the postback routes parse their input
 * themselves, and a response schema would strip fields it does not list).
 */
export async function registerOpenapiDocs(app: FastifyInstance, config: Config) {
  const docs = operationDocs(config)
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'postback-receiver',
        version,
        description:
          'Receives CPA network and offerwall postbacks: verifies, deduplicates and credits user balances exactly once. The operator dashboard (/dashboard) is a browser UI and not described here.',
      },
      tags: [
        { name: 'postbacks', description: 'Called by networks, server to server' },
        { name: 'health', description: 'For load balancers and container health checks' },
        { name: 'metrics', description: 'Prometheus' },
        { name: 'admin', description: 'Operator API (ADMIN_TOKEN)' },
      ],
      components: {
        securitySchemes: {
          adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
          metricsToken: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN' },
        },
      },
    },
    transform: ({ schema, url }) => {
      if ((schema as { hide?: boolean } | undefined)?.hide || isBrowserUi(url))
        return { schema: { hide: true }, url }
      const doc = docs[url]
      return {
        url,
        schema: (doc ?? {
          summary: `${url} is not documented (src/openapi/operations.ts)`,
          tags: [UNDOCUMENTED_TAG],
        }) as never,
      }
    },
    transformObject: (documentObject) =>
      withRequestBodies(
        (documentObject as { openapiObject: Document }).openapiObject,
        docs['/api/postback']?.querystring,
      ),
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}

/** The operator dashboard is HTML pages and forms for a browser, not an API to call. */
function isBrowserUi(url: string) {
  return url === '/dashboard' || url.startsWith('/dashboard/')
}

type Document = { paths?: Record<string, Record<string, { requestBody?: unknown }>> }

/** Bodies go on the POST/PUT operations only (a route schema would put them on GET too). */
function withRequestBodies(document: Document, fieldsSchema: unknown) {
  for (const path of ['/api/postback', '/api/postback/{network}']) {
    const post = document.paths?.[path]?.post
    if (post) post.requestBody = postbackBody(fieldsSchema)
  }
  const adjust = document.paths?.['/admin/users/{userId}/adjustments']?.post
  if (adjust) adjust.requestBody = { content: { 'application/json': { schema: ADJUSTMENT_BODY } } }
  const put = document.paths?.['/admin/offers/{offerId}']?.put
  if (put)
    put.requestBody = {
      content: { 'application/json': { schema: OFFER_BODY } },
    }
  return document
}
