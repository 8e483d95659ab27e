import { z } from 'zod'
import { CONVERSION_STATUSES } from '../conversions/rows.js'
import type { ErrorCode } from '../http/codes.js'
import {
  conversionsAnswer,
  doctorAnswer,
  jsonSchema,
  networksAnswer,
  offerAnswer,
  postbackLogAnswer,
  postbackUrlAnswer,
  reviewAnswer,
  statsAnswer,
  userAnswer,
} from './answers.js'
import { errorResponse, jsonResponse, type OperationDoc, RETRY_AFTER } from './operation.js'

// The admin API (src/admin/routes.ts), behind Authorization: Bearer <ADMIN_TOKEN>.

export const page = {
  limit: z.number().int().min(1).max(500).default(50).describe('items per page'),
  before: z
    .string()
    .regex(/^\d{1,18}$/)
    .optional()
    .describe('`nextBefore` of the previous page'),
}
export const query = (shape: z.ZodRawShape) => jsonSchema(z.object(shape), 'input')
const path = (...names: string[]) =>
  query(Object.fromEntries(names.map((name) => [name, z.string().min(1).max(255)])))

/** An admin operation: its 200 answer plus the 400/401/503 every admin route may give. */
export function admin(
  summary: string,
  answer: z.ZodType,
  extra: Partial<OperationDoc> & {
    notFound?: [ErrorCode, ...ErrorCode[]]
    conflict?: [description: string, code: ErrorCode]
  } = {},
): OperationDoc {
  const { notFound, conflict, ...rest } = extra
  return {
    summary,
    tags: ['admin'],
    security: [{ adminToken: [] }],
    ...rest,
    response: {
      200: jsonResponse('OK', answer),
      400: errorResponse('A parameter or the body is invalid; `fields` names each.', [
        'INVALID_FIELD',
        'INVALID_BODY',
      ]),
      401: errorResponse('Missing or wrong admin token.', ['UNAUTHORIZED'], {
        'www-authenticate': { description: 'Bearer', type: 'string' },
      }),
      429: errorResponse(
        'Too many wrong tokens from this address (AUTH_FAILURE_MAX per AUTH_FAILURE_WINDOW): every token-checked request from it is refused until the window ends.',
        ['TOO_MANY_AUTH_FAILURES'],
        { 'retry-after': RETRY_AFTER },
      ),
      ...(notFound ? { 404: errorResponse('Not found.', notFound) } : {}),
      ...(conflict ? { 409: errorResponse(conflict[0], [conflict[1]]) } : {}),
      503: errorResponse('The database is unavailable.', ['DATABASE_UNAVAILABLE'], {
        'retry-after': RETRY_AFTER,
      }),
    },
  }
}

const review = (verdict: 'approve' | 'reject') =>
  admin(
    verdict === 'approve'
      ? 'Approve (credit) a conversion held for review'
      : 'Reject a held conversion (final, nothing credited)',
    reviewAnswer,
    {
      params: query({ id: z.string().regex(/^\d{1,18}$/) }),
      notFound: ['CONVERSION_NOT_FOUND'],
      conflict: ['The conversion is not held for review.', 'NOT_HELD'],
    },
  )

export const ADMIN_DOCS: Record<string, OperationDoc> = {
  '/admin/users/:userId': admin('A user’s balance and ledger entries', userAnswer, {
    params: path('userId'),
    querystring: query(page),
    notFound: ['USER_NOT_FOUND'],
  }),
  '/admin/conversions': admin('Conversions, newest first', conversionsAnswer, {
    querystring: query({
      ...page,
      network: z.string().optional(),
      txId: z.string().optional(),
      userId: z.string().optional(),
      status: z.enum(CONVERSION_STATUSES).optional(),
    }),
  }),
  '/admin/postbacks': admin('The raw postback log (secrets redacted)', postbackLogAnswer, {
    querystring: query({
      ...page,
      outcome: z.string().optional().describe('an outcome or error code, e.g. BAD_SECRET'),
      network: z.string().optional(),
    }),
  }),
  '/admin/offers/:offerId': admin('Set an offer’s expected payout (payout review)', offerAnswer, {
    params: path('offerId'),
  }),
  '/admin/stats': admin('Conversions per network, offer or local day', statsAnswer, {
    querystring: query({
      from: z.string().optional().describe('local date or date-time; default 24 h ago'),
      to: z.string().optional().describe('local date or date-time; default now'),
      by: z.enum(['network', 'offer', 'day']).default('network'),
      tz: z.string().default('UTC').describe('IANA time zone'),
    }),
  }),
  '/admin/networks': admin('The configured networks', networksAnswer),
  '/admin/networks/:network/postback-url': admin(
    "The URL to paste into a network's dashboard (contains its secret)",
    postbackUrlAnswer,
    {
      params: path('network'),
      querystring: query({ base: z.string().optional().describe('default: PUBLIC_URL') }),
      notFound: ['UNKNOWN_NETWORK'],
    },
  ),
  '/admin/networks/:network/doctor': admin(
    "What is wrong with a network's postbacks, from its newest postback log rows (as `doctor`)",
    doctorAnswer,
    {
      params: path('network'),
      querystring: query({
        rows: z.number().int().min(1).max(1000).default(100).describe('log rows to read'),
      }),
      notFound: ['UNKNOWN_NETWORK'],
    },
  ),
  '/admin/conversions/:id/approve': review('approve'),
  '/admin/conversions/:id/reject': review('reject'),
}

/** PUT /admin/offers/:offerId's JSON body (added to the document, not validated by it). */
export const OFFER_BODY = jsonSchema(
  z.object({
    expectedPayout: z.string().regex(/^\d{1,14}(\.\d{1,6})?$/),
    network: z.string().default('default'),
  }),
  'input',
)
