import type { Config } from '../config.js'
import { defaultProfile } from '../networks/profile.js'
import { ADMIN_DOCS } from './admin-docs.js'
import { healthAnswer, readyAnswer } from './answers.js'
import { DELIVERY_DOCS } from './delivery-docs.js'
import { errorResponse, jsonResponse, type OperationDoc, RETRY_AFTER } from './operation.js'
import { OPERATIONS_DOCS } from './operations-docs.js'
import { postbackDoc } from './postback-docs.js'

// Every route's documentation by its Fastify URL. A route missing here shows in the document
// with tag "undocumented", and test/openapi.test.ts fails until it is described.

export function operationDocs(config: Config): Record<string, OperationDoc> {
  const profile = defaultProfile(config, [])
  const fields = {
    params: profile.params,
    required: profile.required,
    statuses: profile.statuses.keys(),
  }
  return {
    '/api/postback': postbackDoc(fields, false),
    '/api/postback/:network': postbackDoc(fields, true),
    '/healthz': {
      summary: 'Liveness: the process answers',
      tags: ['health'],
      response: { 200: jsonResponse('The process runs.', healthAnswer) },
    },
    '/readyz': {
      summary: 'Readiness: the database answers within 2 s (route load balancers here)',
      tags: ['health'],
      response: {
        200: jsonResponse('Ready.', readyAnswer),
        503: errorResponse('The database does not answer.', ['DATABASE_UNAVAILABLE'], {
          'retry-after': RETRY_AFTER,
        }),
      },
    },
    '/metrics': {
      summary: 'Prometheus metrics (when METRICS_TOKEN is set)',
      tags: ['metrics'],
      security: [{ metricsToken: [] }],
      response: {
        200: {
          description: 'Prometheus text exposition format.',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
        401: errorResponse('Missing or wrong metrics token.', ['UNAUTHORIZED']),
        429: errorResponse(
          'Too many wrong tokens from this address (AUTH_FAILURE_MAX per AUTH_FAILURE_WINDOW).',
          ['TOO_MANY_AUTH_FAILURES'],
          { 'retry-after': RETRY_AFTER },
        ),
      },
    },
    ...ADMIN_DOCS,
    ...DELIVERY_DOCS,
    ...OPERATIONS_DOCS,
  }
}

export const UNDOCUMENTED_TAG = 'undocumented'
