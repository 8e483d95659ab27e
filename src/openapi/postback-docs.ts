import { z } from 'zod'
import { CODES, codesOn, type ErrorCode } from '../http/codes.js'
import { BODY_LIMIT } from '../postbacks/routes.js'
import { errorBodySchema, RETRY_AFTER } from './responses.js'
import { jsonSchema } from './zod-routes.js'

// GET/POST /api/postback[/:network], the one route documented by hand: it parses its input
// itself (raw bytes, each network's own parameter names and signature), so it declares no
// schema for Fastify to validate with. The fields shown are the `default` network's; every
// other network reads its own (docs/NETWORKS.md).

type ResponseDoc = {
  description: string
  content: Record<string, { schema: unknown }>
  headers?: Record<string, { description: string; type: string }>
}
export type OperationDoc = {
  summary: string
  description: string
  tags: string[]
  params?: unknown
  querystring: unknown
  response: Record<string, ResponseDoc>
}

const POSTBACK_OUTCOMES = [
  'credited',
  'recorded',
  'reversed',
  'held',
  'duplicate',
  'ignored',
  'test',
] as const

const postbackAnswer = z.object({
  status: z.literal('ok'),
  outcome: z.enum(POSTBACK_OUTCOMES),
  conversionId: z.string().nullable(),
  points: z.number().int().describe('points moved: positive credited, negative reversed'),
  message: z.string(),
})

export type DefaultFields = {
  params: Record<string, readonly string[]>
  required: readonly string[]
  statuses: Iterable<string>
}

/** The codes a postback route answers with this status, from the code registry. */
export function postbackErrorCodes(status: number): [ErrorCode, ...ErrorCode[]] {
  const [first, ...rest] = codesOn('postback').filter((code) => CODES[code].status === status)
  if (!first) throw new Error(`no postback refusal is answered ${status}`)
  return [first, ...rest]
}

const DESCRIPTIONS: Record<string, string> = {
  tx_id: "The network's transaction id: the deduplication key, per network.",
  offer_id: 'The offer converted.',
  payout:
    'A plain decimal (3.50, 0, 12): at most 6 decimal places; no sign, exponent or comma. Stored exactly.',
  user_id: 'The user to credit; when absent, sub1 is used.',
  status: 'Absent means approved.',
}

function fieldsQuery(fields: DefaultFields) {
  const shape: Record<string, z.ZodType> = {}
  for (const [field, names] of Object.entries(fields.params)) {
    const [name, ...aliases] = names
    if (!name) continue
    let schema: z.ZodType =
      field === 'payout'
        ? z.string().regex(/^\d{1,14}(\.\d{1,6})?$/)
        : field === 'status'
          ? z.enum([...fields.statuses] as [string, ...string[]])
          : z.string().max(255)
    const aka = aliases.length > 0 ? ` Also accepted as ${aliases.join(', ')}.` : ''
    schema = schema.describe(`${DESCRIPTIONS[field] ?? 'Optional; stored as sent.'}${aka}`)
    shape[name] = fields.required.includes(field) ? schema : schema.optional()
  }
  shape.secret = z
    .string()
    .optional()
    .describe('One of the active secrets (or send the X-Postback-Secret header).')
  shape.network = z
    .string()
    .optional()
    .describe('The network, when the path does not name it; default: `default`.')
  return jsonSchema(z.object(shape), 'input')
}

/** A refusal: JSON with Accept: application/json, else text `CODE: message` (or the profile's). */
function refusal(status: number, description: string): ResponseDoc {
  const retry: ResponseDoc['headers'] =
    status === 503 || status === 429 ? { 'retry-after': RETRY_AFTER } : {}
  return {
    description,
    headers: { 'x-postback-outcome': { description: 'the error code', type: 'string' }, ...retry },
    content: {
      'application/json': { schema: jsonSchema(errorBodySchema(postbackErrorCodes(status))) },
      'text/plain': { schema: { type: 'string', examples: ['BAD_SECRET: the secret is wrong'] } },
    },
  }
}

export function postbackDoc(fields: DefaultFields, withNetworkInPath: boolean): OperationDoc {
  return {
    summary: withNetworkInPath ? "A named network's postback" : "The default network's postback",
    description: [
      'Networks call this server-to-server when a user converts. GET with query parameters, or',
      `POST with the same fields as a form or JSON body (at most ${BODY_LIMIT} bytes); query`,
      'parameters count too. The answer is plain text (`OK` for the default network, each',
      'profile its own) unless the request sends `Accept: application/json`. Every answer',
      'carries `X-Postback-Outcome`. A network profile may answer refusals with its own status',
      'and body (Tapjoy: 403, Kiwiwall: `0`); the JSON body keeps the refusal code, and its',
      '`statusCode` is the status sent. HEAD is answered 405 (`Allow: GET, POST`), never recorded.',
      'The parameters below are those of the `default` network.',
    ].join(' '),
    tags: ['postbacks'],
    ...(withNetworkInPath
      ? {
          params: jsonSchema(
            z.object({ network: z.string().describe('a configured network, e.g. tapjoy') }),
            'input',
          ),
        }
      : {}),
    querystring: fieldsQuery(fields),
    response: {
      200: {
        description: 'Committed: the outcome is durable (`duplicate` and `ignored` included).',
        headers: { 'x-postback-outcome': { description: 'the outcome', type: 'string' } },
        content: {
          'application/json': { schema: jsonSchema(postbackAnswer) },
          'text/plain': { schema: { type: 'string', examples: ['OK'] } },
        },
      },
      400: refusal(400, 'A field is missing, invalid, ambiguous or an unreplaced macro.'),
      403: refusal(403, 'Not authorized: secret, signature, source address or HTTPS.'),
      404: refusal(404, 'No such network.'),
      413: refusal(413, 'The body is too large.'),
      415: refusal(415, 'The body is neither a form nor JSON.'),
      429: refusal(429, 'Too many postbacks from this address (not stored).'),
      503: refusal(503, 'The database did not answer in time; nothing is claimed recorded.'),
    },
  }
}

/** POST bodies carry the same fields as the query string, as a form or as JSON. */
export function postbackBody(fieldsSchema: unknown) {
  const media = { schema: fieldsSchema as object }
  return {
    required: false,
    content: { 'application/x-www-form-urlencoded': media, 'application/json': media },
  }
}
