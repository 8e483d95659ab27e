import { z } from 'zod'
import { CONVERSION_STATUSES } from '../conversions/rows.js'
import { LEDGER_KINDS } from '../ledger/rows.js'
import { DOCTOR_CODES } from '../operations/doctor/diagnose.js'

// What the admin API answers, as the response schemas of its routes (src/admin/routes.ts):
// the handlers' return types and the OpenAPI document come from these.

export const numericId = z.string().regex(/^\d+$/)
/** A Date in the handler; ISO 8601 (UTC) in the JSON answer. */
export const timestamp = z.date().describe('ISO 8601, UTC')
const nextBefore = numericId
  .optional()
  .describe('pass as `before` for the next page; absent on the last')
const decimal = z.string().regex(/^-?\d+(\.\d+)?$/)

export const conversionAnswer = z.object({
  id: numericId,
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
      id: numericId,
      conversionId: numericId.nullable(),
      kind: z.enum(LEDGER_KINDS),
      points: z.number().int(),
      createdAt: timestamp,
    }),
  ),
  nextBefore,
})

export const conversionsAnswer = z.object({ items: z.array(conversionAnswer), nextBefore })

export const postbackLogAnswer = z.object({
  items: z.array(
    z.object({
      id: numericId,
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
      conversionId: numericId.nullable(),
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
      mismatchedPayout: decimal
        .nullable()
        .describe(
          'a duplicate whose payout differs from the recorded conversion’s (not applied): the payout it sent; null otherwise',
        ),
      conversion: z
        .object({
          userId: z.string().nullable(),
          offerId: z.string().nullable(),
          payout: decimal.nullable().describe('as recorded; null for reward-only networks'),
          currency: z.string().nullable(),
        })
        .nullable()
        .describe('what the conversion this postback touched records now; null for refusals'),
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
  conversion: conversionAnswer,
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

export const networkAnswer = z.object({
  name: z.string(),
  source: z
    .enum(['environment', 'file', 'database'])
    .nullable()
    .describe('where its profile comes from: NETWORKS_FILE wins over the database'),
  preset: z.string().nullable(),
  signature: z.string().nullable(),
  allowedIps: z.array(z.string()).describe('empty: any address'),
  statuses: z
    .object({
      approved: z.array(z.string()),
      pending: z.array(z.string()),
      reversed: z.array(z.string()),
    })
    .describe("the network's status values and what each means"),
  secrets: z.number().int().describe('how many secrets it has (never which)'),
  shadowed: z
    .boolean()
    .describe('the database defines it too, but NETWORKS_FILE (or the environment) wins'),
  editable: z.boolean().describe('stored in the database: editable in the dashboard and API'),
})

export const networksAnswer = z.object({ items: z.array(networkAnswer) })

export const networkChangeAnswer = networkAnswer.extend({
  profile: z
    .record(z.string(), z.unknown())
    .describe('the stored NETWORKS_FILE-shaped entry, without its secrets'),
  secretsChanged: z.boolean(),
  updatedAt: timestamp,
  updatedBy: z.string(),
})

export const offersAnswer = z.object({
  items: z.array(offerAnswer),
  nextAfter: z
    .string()
    .optional()
    .describe('pass as `after` for the next page; absent on the last'),
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
  url: z
    .string()
    .describe(
      'contains the network secret (for a network stored in the database, YOUR_SECRET in its place): treat the answer as a secret',
    ),
  notes: z.array(z.string()),
})

export const adjustmentAnswer = z.object({
  entryId: numericId,
  userId: z.string(),
  points: z.number().int(),
  reason: z.string(),
  reference: z.string().nullable(),
  balance: z.number().int().describe('the balance after the adjustment'),
  duplicate: z.boolean().describe('true: this reference was applied before, nothing changed'),
  newUser: z
    .boolean()
    .describe(
      'true: the user had no balance and no conversions before this adjustment (check the user id)',
    ),
})
