import type { Pool } from 'pg'
import { type Actor, actorText } from '../audit/actor.js'
import { recordAudit } from '../audit/record.js'
import { withTransaction } from '../db/transaction.js'
import { HttpError } from '../http/errors.js'

// A manual ledger adjustment: one 'adjustment' entry (no conversion, a reason, who made it)
// and the balance, in one statement, like credits. An optional reference makes a retried
// request (CLI re-run, HTTP retry) apply at most once. The audit row commits with the entry;
// a repeated reference changes nothing and writes none.

export type Adjustment = {
  userId: string
  /** Signed whole points: positive adds, negative takes away. */
  points: bigint
  reason: string
  reference: string | null
  /** Who made it: the audit row's actor; ledger_entries.created_by keeps its short text. */
  actor: Actor
}

export type AdjustmentResult = {
  entryId: string
  userId: string
  points: bigint
  reason: string
  reference: string | null
  /** The balance after the adjustment (now, for a repeated reference). */
  balance: bigint
  /** True when the reference had been applied before: nothing changed this time. */
  duplicate: boolean
}

export const MAX_ADJUSTMENT = 10n ** 15n

export async function adjustBalance(pool: Pool, adjustment: Adjustment): Promise<AdjustmentResult> {
  const { userId, points, reason, reference, actor } = adjustment
  if (points === 0n || points > MAX_ADJUSTMENT || points < -MAX_ADJUSTMENT) {
    throw new HttpError(
      'INVALID_FIELD',
      `points must be a non-zero whole number within ±${MAX_ADJUSTMENT}`,
    )
  }
  const applied = await withTransaction(pool, async (client) => {
    const { rows } = await client.query<{ id: string | null; balance: string | null }>(
      `WITH entry AS (
       INSERT INTO ledger_entries (user_id, kind, points, reason, reference, created_by)
       VALUES ($1, 'adjustment', $2::bigint, $3, $4, $5)
       ON CONFLICT (reference) WHERE kind = 'adjustment' AND reference IS NOT NULL DO NOTHING
       RETURNING id, user_id, points
     ), balance AS (
       INSERT INTO balances AS b (user_id, points)
       SELECT user_id, points FROM entry
       ON CONFLICT (user_id) DO UPDATE SET points = b.points + EXCLUDED.points, updated_at = now()
       RETURNING points
     )
     SELECT (SELECT id FROM entry) AS id, (SELECT points::text FROM balance) AS balance`,
      [userId, points.toString(), reason, reference, actorText(actor)],
    )
    const row = rows[0]
    if (!row?.id || row.balance === null) return null
    const balance = BigInt(row.balance)
    await recordAudit(client, {
      actor,
      action: 'balance.adjust',
      subject: { type: 'user', id: userId },
      userId,
      before: { balance: balance - points },
      after: { balance, points, reason, reference, entryId: row.id },
    })
    const result = { entryId: row.id, userId, points, reason, reference }
    return { ...result, balance, duplicate: false }
  })
  return applied ?? earlierAdjustment(pool, adjustment)
}

/** The adjustment that already used this reference; refused if it was a different one. */
async function earlierAdjustment(pool: Pool, adjustment: Adjustment): Promise<AdjustmentResult> {
  const { rows } = await pool.query<{
    id: string
    user_id: string
    points: string
    reason: string
    balance: string
  }>(
    `SELECT l.id, l.user_id, l.points::text, l.reason,
            COALESCE((SELECT points FROM balances b WHERE b.user_id = l.user_id), 0)::text AS balance
     FROM ledger_entries l WHERE kind = 'adjustment' AND reference = $1`,
    [adjustment.reference],
  )
  const row = rows[0]
  if (!row) throw new Error(`adjustment ${adjustment.reference} neither applied nor found`)
  if (row.user_id !== adjustment.userId || BigInt(row.points) !== adjustment.points) {
    throw new HttpError(
      'REFERENCE_USED',
      `reference ${adjustment.reference} was already used for ${row.points} points to user ${row.user_id} (entry ${row.id}); choose a new reference`,
    )
  }
  return {
    entryId: row.id,
    userId: row.user_id,
    points: BigInt(row.points),
    reason: row.reason,
    reference: adjustment.reference,
    balance: BigInt(row.balance),
    duplicate: true,
  }
}

/**
 * Whether the service has seen this user: a balance row or a conversion. An adjustment for a
 * user never seen is most often a mistyped id; the dashboard asks first, the API says so.
 */
export async function userSeen(pool: Pool, userId: string): Promise<boolean> {
  const { rows } = await pool.query<{ seen: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM balances WHERE user_id = $1)
         OR EXISTS (SELECT 1 FROM conversions WHERE user_id = $1) AS seen`,
    [userId],
  )
  return rows[0]?.seen === true
}
