import { z } from 'zod'
import { admin, query } from './admin-docs.js'
import { jsonResponse, type OperationDoc } from './operation.js'

// The admin counterparts of CLI commands (src/admin/operations-routes.ts).

const adjustment = z.object({
  entryId: z.string().regex(/^\d+$/),
  userId: z.string(),
  points: z.number().int(),
  reason: z.string(),
  reference: z.string().nullable(),
  balance: z.number().int().describe('the balance after the adjustment'),
  duplicate: z.boolean().describe('true: this reference was applied before, nothing changed'),
})

const csv = admin('Conversions of a period as CSV (streamed)', z.string(), {
  querystring: query({
    from: z.string().optional().describe('local date or date-time; default 24 h ago'),
    to: z.string().optional().describe('local date or date-time; default now'),
    tz: z.string().default('UTC').describe('IANA time zone'),
    network: z.string().optional(),
  }),
})
csv.response[200] = {
  description: 'One header line, then one line per conversion.',
  content: { 'text/csv': { schema: { type: 'string' } } },
}

const adjust = admin('Add or take points by hand (a ledger adjustment)', adjustment, {
  params: query({ userId: z.string().min(1).max(255) }),
  conflict: ['The reference was already used for another adjustment.', 'REFERENCE_USED'],
})
adjust.response[201] = jsonResponse('Applied.', adjustment)
adjust.response[200] = jsonResponse('The same reference again: nothing changed.', adjustment)

export const OPERATIONS_DOCS: Record<string, OperationDoc> = {
  '/admin/conversions.csv': csv,
  '/admin/users/:userId/adjustments': adjust,
}

/** POST /admin/users/:userId/adjustments' JSON body. */
export const ADJUSTMENT_BODY = query({
  points: z.union([z.number().int(), z.string().regex(/^-?\d{1,16}$/)]),
  reason: z.string().min(1).max(500),
  reference: z.string().min(1).max(255).optional().describe('makes a retried request apply once'),
})
