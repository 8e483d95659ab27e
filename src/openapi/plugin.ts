import { readFileSync } from 'node:fs'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance, FastifySchema } from 'fastify'
import type { Config } from '../config.js'
import { defaultProfile } from '../networks/profile.js'
import { type OperationDoc, postbackBody, postbackDoc } from './postback-docs.js'
import { documentedSchema } from './zod-routes.js'

const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string }

export const UNDOCUMENTED_TAG = 'undocumented'

/**
 * GET /openapi.json and the docs page at /docs, on the root instance (not as an encapsulated
 * plugin, whose hooks would not see sibling routes). Call before the routes: @fastify/swagger
 * collects them as they are added. Each route's operation comes from its own zod schema
 * (src/openapi/zod-routes.ts); only the postback routes, which parse their input themselves
 * and so declare no schema, are described here by URL (postback-docs.ts), attached in the
 * transform so that Fastify never validates or serializes with that description.
 */
export async function registerOpenapiDocs(app: FastifyInstance, config: Config) {
  const profile = defaultProfile(config, [])
  const fields = {
    params: profile.params,
    required: profile.required,
    statuses: profile.statuses.keys(),
  }
  const handWritten: Record<string, OperationDoc> = {
    '/api/postback': postbackDoc(fields, false),
    '/api/postback/:network': postbackDoc(fields, true),
  }
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
      if (schema?.hide || isBrowserUi(url)) return { schema: { hide: true }, url }
      const doc = handWritten[url]
      if (doc) return { schema: doc as FastifySchema, url }
      if (!schema?.summary)
        return {
          url,
          schema: {
            summary: `${url} declares no schema with a summary`,
            tags: [UNDOCUMENTED_TAG],
          },
        }
      return { schema: documentedSchema(schema), url }
    },
    transformObject: (documentObject) =>
      withPostbackBodies(
        (documentObject as { openapiObject: Document }).openapiObject,
        handWritten['/api/postback']?.querystring,
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

/** The postback body goes on the POST operations only (a route schema would put it on GET too). */
function withPostbackBodies(document: Document, fieldsSchema: unknown) {
  for (const path of ['/api/postback', '/api/postback/{network}']) {
    const post = document.paths?.[path]?.post
    if (post) post.requestBody = postbackBody(fieldsSchema)
  }
  return document
}
