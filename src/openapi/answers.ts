import { z } from 'zod'
import { CONVERSION_STATUSES } from '../conversions/rows.js'
import type { ErrorCode } from '../http/codes.js'
import { LEDGER_KINDS } from '../ledger/rows.js'
import { DOCTOR_CODES } from '../operations/doctor/diagnose.js'

// The bodies the service answers, as zod schemas. They exist for the OpenAPI document only
// (routes build their answers themselves); test/openapi.test.ts checks real answers against them.

/** JSON Schema (2020-12, which OpenAPI 3.1 uses) of a zod schema, without the $schema tag. */
export function jsonSchema(
  schema: z.ZodType,
  io: 'input' | 'output' = 'output',
): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' })
  return rest
}

const fieldProblem = z.object({
  field: z.string().describe('the parameter as the network names it'),
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

export const POSTBACK_OUTCOMES = [
  'credited',
  'recorded',
  'reversed',
  'held',
  'duplicate',
  'ignored',
  'test',
] as const

export const postbackAnswer = z.object({
  status: z.literal('ok'),
  outcome: z.enum(POSTBACK_OUTCOMES),
  conversionId: z.string().nullable(),
  points: z.number().int().describe('points moved: positive credited, negative reversed'),
  message: z.string(),
})

export const healthAnswer = z.object({ status: z.literal('ok') })
export const readyAnswer = z.object({
  status: z.literal('ok'),
  database: z.enum(['postgres', 'embedded']),
})

const id = z.string().regex(/^\d+$/)
const timestamp = z.string().describe('ISO 8601, UTC')
const nextBefore = id.optional().describe('pass as `before` for the next page; absent on the last')
const decimal = z.string().regex(/^-?\d+(\.\d+)?$/)

export const conversion = z.object({
  id,
  network: z.string(),
  txId: z.string(),
  offerId: z
    .string()
    .nullable()
    .describe('null when the network sends none (most reward networks)'),
  userId: z.string().nullable(),
  clickId: z.string().nullable(),
  payout: decimal
    .nullable()
    .describe('null for reward-only networks (Tapjoy, BitLabs without raw, ...): points only'),
  currency: z.string().nullable(),
  points: z.number().int(),
  status: z.enum(CONVERSION_STATUSES),
  networkStatus: z.string().nullable(),
  holdReason: z.string().nullable(),
  subs: z.array(z.string().nullable()).length(5).describe('sub1 to sub5'),
  createdAt: timestamp,
  updatedAt: timestamp,
})

export const userAnswer = z.object({
  userId: z.string(),
  balance: z.number().int(),
  entries: z.array(
    z.object({
      id,
      conversionId: id.nullable(),
      kind: z.enum(LEDGER_KINDS),
      points: z.number().int(),
      createdAt: timestamp,
    }),
  ),
  nextBefore,
})

export const conversionsAnswer = z.object({ items: z.array(conversion), nextBefore })

export const postbackLogAnswer = z.object({
  items: z.array(
    z.object({
      id,
      receivedAt: timestamp,
      network: z.string().nullable(),
      method: z.string(),
      path: z.string(),
      query: z.string().nullable().describe('secret values replaced by [REDACTED]'),
      body: z.string().nullable().describe('secret values replaced by [REDACTED]'),
      headers: z.record(z.string(), z.string()),
      sourceIp: z.string().nullable(),
      statusCode: z.number().int(),
      outcome: z.string(),
      message: z.string().nullable(),
      txId: z.string().nullable(),
      conversionId: id.nullable(),
      callerVerified: z
        .boolean()
        .describe(
          'the caller passed verification (secret or signature, source address) before this row was written; replay trusts only these by default',
        ),
      warnings: z
        .array(z.object({ field: z.string(), code: z.string(), message: z.string() }))
        .describe(
          'values stored as sent but flagged, e.g. UNREPLACED_MACRO in sub2 (a macro in a field that decides a credit is refused instead)',
        ),
    }),
  ),
  nextBefore,
})

export const offerAnswer = z.object({
  network: z.string(),
  offerId: z.string(),
  expectedPayout: decimal,
  updatedAt: timestamp,
})

export const reviewAnswer = z.object({
  outcome: z.enum(['credited', 'recorded', 'rejected']),
  points: z.number().int(),
  conversion,
})

export const statsAnswer = z.object({
  by: z.enum(['network', 'offer', 'day']),
  timeZone: z.string(),
  rows: z.array(
    z.object({
      key: z
        .string()
        .describe(
          'network, "network / offer" ("network / -" without an offer id) or local date YYYY-MM-DD',
        ),
      conversions: z.number().int(),
      approved: z.number().int(),
      pending: z.number().int(),
      held: z.number().int(),
      rejected: z.number().int(),
      reversed: z.number().int(),
      approvedPayout: decimal,
      approvedPoints: z.number().int(),
    }),
  ),
})

export const networksAnswer = z.object({
  items: z.array(
    z.object({
      name: z.string(),
      preset: z.string().nullable(),
      signature: z.string().optional(),
      allowedIps: z.array(z.string()).optional(),
    }),
  ),
})

export const doctorAnswer = z.object({
  network: z.string(),
  checked: z.number().int().describe('how many of the newest postback log rows were read'),
  accepted: z.number().int(),
  lastAcceptedAt: z.string().nullable(),
  healthy: z.boolean().describe('false when any finding is a problem'),
  findings: z.array(
    z.object({
      code: z.enum(DOCTOR_CODES),
      severity: z.enum(['problem', 'warning', 'ok']),
      message: z.string().describe('what is wrong and what to do, in plain words'),
      logIds: z.array(z.string()).describe('postback log rows it rests on, newest first'),
    }),
  ),
})

export const postbackUrlAnswer = z.object({
  network: z.string(),
  url: z.string().describe('contains the network secret: treat the answer as a secret'),
  notes: z.array(z.string()),
})
