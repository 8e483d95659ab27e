import { z } from 'zod'
import { parseRow } from '../db/row-schema.js'
import { normalizeDecimal } from '../ledger/decimal.js'
import type { LogWarning } from '../postbacks/log.js'

// The postback_log table as every reader sees it: the admin API (JSON), the dashboard (HTML),
// replay and doctor. One column list, one row schema (nullability as the migrations leave it;
// the jsonb columns checked for the shape the writer gives them), one mapper. The writer is
// src/postbacks/log.ts.

const bigintId = z.string().regex(/^\d+$/, 'must be a numeric id')
const optional = z.string().nullable()

/** A row as selected with LOG_SELECT's table columns; test/postback-log checks it against the table. */
export const postbackLogRowSchema = z.object({
  id: bigintId,
  received_at: z.date(),
  network: optional,
  method: z.string(),
  path: z.string(),
  query: optional,
  body: optional,
  headers: z.record(z.string(), z.string()),
  source_ip: optional,
  status_code: z.number().int(),
  outcome: z.string(),
  message: optional,
  tx_id: optional,
  conversion_id: bigintId.nullable(),
  replay_of: bigintId.nullable(),
  replayed_by: optional,
  caller_verified: z.boolean(),
  warnings: z
    .array(z.object({ field: z.string(), code: z.string(), message: z.string() }))
    .nullable(),
  mismatched_payout: z.string().nullable(),
})

/**
 * With the row's first accepted replay, if any (a LEFT JOIN, so both or neither), and who, what
 * and how much its conversion records (a LEFT JOIN too: refusals have no conversion).
 */
const logEntryRowSchema = postbackLogRowSchema.extend({
  accepted_replay_id: bigintId.nullable(),
  accepted_replay_outcome: optional,
  conversion_user_id: optional,
  conversion_offer_id: optional,
  conversion_payout: optional,
  conversion_currency: optional,
})

/**
 * `SELECT ... FROM postback_log l`, with the first accepted replay of each row (the partial
 * replay_of index). No casts on ids: `ORDER BY l.id` must sort numbers; pg gives bigint as text.
 */
export const LOG_SELECT = `SELECT l.id, l.received_at, l.network, l.method, l.path, l.query, l.body,
  l.headers, l.source_ip, l.status_code, l.outcome, l.message, l.tx_id, l.conversion_id,
  l.replay_of, l.replayed_by, l.caller_verified, l.warnings, l.mismatched_payout::text,
  a.id AS accepted_replay_id, a.outcome AS accepted_replay_outcome,
  c.user_id AS conversion_user_id, c.offer_id AS conversion_offer_id,
  c.payout::text AS conversion_payout, c.currency AS conversion_currency
  FROM postback_log l
  LEFT JOIN conversions c ON c.id = l.conversion_id
  LEFT JOIN LATERAL (SELECT r.id, r.outcome FROM postback_log r
                     WHERE r.replay_of = l.id AND r.status_code = 200
                     ORDER BY r.id LIMIT 1) a ON true`

export type LogEntry = {
  id: string
  receivedAt: Date
  /** Null when the request named no network the service knows (or none at all). */
  network: string | null
  method: string
  path: string
  query: string | null
  body: string | null
  /** The few headers the log keeps, secrets redacted. */
  headers: Record<string, string>
  /** Null once retention anonymized an address it could not parse. */
  sourceIp: string | null
  statusCode: number
  outcome: string
  message: string | null
  txId: string | null
  conversionId: string | null
  /** A replay: the refused row it re-ran, and who ran it. */
  replayOf: string | null
  replayedBy: string | null
  /** The caller passed verification (secret or signature, source address) when it arrived. */
  callerVerified: boolean
  /** Values stored as sent but flagged (an unreplaced macro in sub2 ...); [] when none. */
  warnings: LogWarning[]
  /** The first later replay of this row that was accepted: replaying again would change nothing. */
  acceptedReplay: { id: string; outcome: string } | null
  /**
   * A repeat answered as a duplicate whose payout differs from the recorded one (not applied):
   * the payout it sent. Null on every other row.
   */
  mismatchedPayout: string | null
  /** What the conversion this row touched records now; null when it touched none (refusals). */
  conversion: ConversionSummary | null
}

/** Payout null: a reward-only network sent points only. */
export type ConversionSummary = {
  userId: string | null
  offerId: string | null
  payout: string | null
  currency: string | null
}

/** A row selected with LOG_SELECT, checked and mapped; a RowShapeError names the column that does not fit. */
export function toLogEntry(raw: unknown): LogEntry {
  const row = parseRow('postback_log', logEntryRowSchema, raw)
  return {
    id: row.id,
    receivedAt: row.received_at,
    network: row.network,
    method: row.method,
    path: row.path,
    query: row.query,
    body: row.body,
    headers: row.headers,
    sourceIp: row.source_ip,
    statusCode: row.status_code,
    outcome: row.outcome,
    message: row.message,
    txId: row.tx_id,
    conversionId: row.conversion_id,
    replayOf: row.replay_of,
    replayedBy: row.replayed_by,
    callerVerified: row.caller_verified,
    warnings: row.warnings ?? [],
    acceptedReplay:
      row.accepted_replay_id !== null && row.accepted_replay_outcome !== null
        ? { id: row.accepted_replay_id, outcome: row.accepted_replay_outcome }
        : null,
    mismatchedPayout: decimalOrNull(row.mismatched_payout),
    conversion:
      row.conversion_id === null
        ? null
        : {
            userId: row.conversion_user_id,
            offerId: row.conversion_offer_id,
            payout: decimalOrNull(row.conversion_payout),
            currency: row.conversion_currency,
          },
  }
}

const decimalOrNull = (text: string | null) => (text === null ? null : normalizeDecimal(text))
