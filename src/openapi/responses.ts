import { z } from 'zod'
import type { ErrorCode } from '../http/codes.js'

// Answers as route schemas declare them: `{ description, headers?, content: { type: { schema } } }`,
// zod schemas inside (documentedSchema turns them into JSON Schema for the document).

type Headers = Record<string, { description: string; type: string }>
export const RETRY_AFTER = { description: 'seconds to wait before retrying', type: 'integer' }

export function jsonResponse<S extends z.ZodType>(
  description: string,
  schema: S,
  headers?: Headers,
) {
  return {
    description,
    content: { 'application/json': { schema } },
    ...(headers ? { headers } : {}),
  }
}

const fieldProblem = z.object({
  field: z.string().describe('the parameter as the request names it'),
  code: z.string(),
  message: z.string(),
})

/** `{ statusCode, code, error, message, fields? }`: Fastify's error shape with a stable code. */
export function errorBodySchema(codes: readonly [ErrorCode, ...ErrorCode[]]) {
  return z.object({
    statusCode: z.number().int(),
    code: z.enum(codes),
    error: z.string().describe('the HTTP reason phrase'),
    message: z.string().describe('what went wrong and what to do; never echoes a secret'),
    fields: z.array(fieldProblem).optional().describe('every offending field (400 only)'),
  })
}

export function errorResponse(
  description: string,
  codes: readonly [ErrorCode, ...ErrorCode[]],
  headers?: Headers,
) {
  return jsonResponse(description, errorBodySchema(codes), headers)
}

/** The 401 and 429 of a Bearer-token route (the admin API, /metrics). */
export function tokenRefusals(setting: 'ADMIN_TOKEN' | 'METRICS_TOKEN') {
  return {
    401: errorResponse(
      setting === 'ADMIN_TOKEN'
        ? 'Missing or wrong token: ADMIN_TOKEN, or an API token that is neither revoked nor expired.'
        : `Missing or wrong ${setting}.`,
      ['UNAUTHORIZED'],
      {
        'www-authenticate': { description: 'Bearer', type: 'string' },
      },
    ),
    429: errorResponse(
      'Too many wrong tokens from this address (AUTH_FAILURE_MAX per AUTH_FAILURE_WINDOW): every token-checked request from it is refused until the window ends.',
      ['TOO_MANY_AUTH_FAILURES'],
      { 'retry-after': RETRY_AFTER },
    ),
  }
}

export const DATABASE_UNAVAILABLE = errorResponse(
  'The database is unavailable.',
  ['DATABASE_UNAVAILABLE'],
  { 'retry-after': RETRY_AFTER },
)

/** Every admin route: its tag and token. */
export const ADMIN = { tags: ['admin'], security: [{ adminToken: [] }] }

// An admin route's `response` spreads the refusals it can really give beside its own answers
// (test/openapi.test.ts fails on a documented answer no request produces).

/** A route that reads its parameters or body: a bad one is a 400 naming it. */
export const INVALID_INPUT = {
  400: errorResponse('A parameter or the body is invalid; `fields` names each.', [
    'INVALID_FIELD',
    'INVALID_BODY',
  ]),
}

/** A POST or PUT: Fastify reads a body of JSON (or plain text), 1 MiB at most. */
export const BODY_REFUSALS = {
  413: errorResponse('The body is larger than 1 MiB.', ['BODY_TOO_LARGE']),
  415: errorResponse('The body is neither JSON nor plain text.', ['UNSUPPORTED_MEDIA_TYPE']),
}

export const ADMIN_TOKEN_REFUSALS = tokenRefusals('ADMIN_TOKEN')

/** The token's scope does not include the route's permission (accounts/permissions.ts). */
export const FORBIDDEN = {
  403: errorResponse(
    "The token's scope does not allow this route (a balances:read token only reads balances; viewer tokens only read; operator tokens also review, replay, retry and adjust).",
    ['FORBIDDEN'],
  ),
}

/** A route that reads the database. */
export const DATABASE_REFUSAL = { 503: DATABASE_UNAVAILABLE }

/** Most admin routes: bad input, the token and its scope, the database. */
export const ADMIN_REFUSALS = {
  ...INVALID_INPUT,
  ...ADMIN_TOKEN_REFUSALS,
  ...FORBIDDEN,
  ...DATABASE_REFUSAL,
}

export const notFound = (...codes: [ErrorCode, ...ErrorCode[]]) =>
  errorResponse('Not found.', codes)

export const conflict = (description: string, code: ErrorCode) => errorResponse(description, [code])
