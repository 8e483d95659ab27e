import type { Pool, PoolClient } from 'pg'
import { withTransaction } from '../db/transaction.js'
import { enqueueDeliveries } from '../delivery/outbox.js'
import type { DeliveryRules } from '../delivery/rules.js'
import { addFraction, compareDecimals, normalizeDecimal } from '../ledger/decimal.js'
import { creditConversion, reverseConversion } from '../ledger/ledger.js'
import { insertPostbackLog, type PostbackLogEntry } from './log.js'
import {
  type ConversionStatus,
  type Current,
  type Decision,
  decideTransition,
  type NetworkStatus,
  type Outcome,
} from './transitions.js'

/** A verified, validated postback in canonical form. */
export type Postback = {
  network: string
  txId: string
  offerId: string | null
  /** Money the network reports, unsigned; null when the network sends none (reward-only). */
  payout: string | null
  /** Whole points this postback is worth, computed exactly from payout or reward. */
  points: bigint
  status: NetworkStatus
  networkStatus: string | null
  userId: string | null
  clickId: string | null
  currency: string | null
  subs: [string | null, string | null, string | null, string | null, string | null]
  ip: string | null
  datetime: string | null
  reward: string | null
  /** A test postback (the network's debug flag): recorded in the log only, never credited. */
  test: boolean
}

export type RecordPolicy = {
  creditPending: boolean
  maxPayout: string | undefined
  payoutTolerance: string
  /** Forwarding and notifications queued in the same commit (the outbox). */
  deliveries?: DeliveryRules
}

export type RecordResult = {
  outcome: Outcome
  conversionId: string
  /** Points added (credit) or removed (reversal, negative) by this postback. */
  points: bigint
  message: string
  logId: string
  /** Deliveries queued by this postback. */
  deliveries: number
}

export type LogContext = Omit<
  PostbackLogEntry,
  'statusCode' | 'outcome' | 'message' | 'conversionId' | 'txId'
>

/**
 * Applies one postback in one transaction: the unique (network, tx_id) key decides whether it
 * is new, a row lock serializes transitions of an existing conversion, and the ledger's unique
 * index makes a second credit or reversal impossible. The log row commits with it.
 */
export async function recordPostback(
  pool: Pool,
  postback: Postback,
  policy: RecordPolicy,
  log: LogContext,
): Promise<RecordResult> {
  return withTransaction(pool, async (client) => {
    // Review whatever may be credited now: approvals, and pending ones under CREDIT_PENDING.
    // The offer's expected payout comes back with the insert or the lock: no extra round trip.
    const creditable =
      postback.status === 'approved' || (postback.status === 'pending' && policy.creditPending)
    const review = (expected: string | null) =>
      creditable ? reviewPayout(postback, policy, expected) : null
    const points = postback.points
    const situation = {
      incoming: postback.status,
      hasUser: postback.userId !== null,
      creditPending: policy.creditPending,
      holdReason: review(null),
    }

    let decision = decideTransition(null, situation)
    const inserted = await insertConversion(
      client,
      postback,
      points,
      decision.status ?? 'pending',
      situation.holdReason,
    )
    let conversionId: string
    let existing: Existing | null = null
    if (inserted) {
      conversionId = inserted.id
      const holdReason = review(inserted.expected)
      if (holdReason !== situation.holdReason) {
        // Only the offer's expected payout (read in the same statement) can add a hold here.
        decision = decideTransition(null, { ...situation, holdReason })
        await holdConversion(client, conversionId, decision, holdReason)
      }
    } else {
      existing = await lockConversion(client, postback)
      conversionId = existing.id
      const holdReason = review(existing.expected)
      // The user may have come with an earlier postback (pending with user, approval without).
      const hasUser = existing.userId !== null || postback.userId !== null
      decision = decideTransition(existing, { ...situation, hasUser, holdReason })
      if (decision.outcome === 'duplicate') decision = withMismatch(decision, existing, postback)
      else if (decision.status && decision.status !== existing.status) {
        await updateConversion(client, existing.id, decision, postback, points, holdReason)
      }
    }

    // A credit always comes with the postback that earns it, so it uses that postback's points.
    const userId = existing?.userId ?? postback.userId
    const moved = await moveMoney(client, decision, conversionId, userId, points)
    const deliveries = QUEUED_OUTCOMES.has(decision.outcome)
      ? await enqueueDeliveries(
          client,
          policy.deliveries,
          { id: conversionId, network: postback.network },
          decision.outcome,
        )
      : 0
    const logId = await insertPostbackLog(client, {
      ...log,
      statusCode: 200,
      outcome: decision.outcome,
      message: decision.message,
      txId: postback.txId,
      conversionId,
    })
    return {
      outcome: decision.outcome,
      conversionId,
      points: moved,
      message: decision.message,
      logId,
      deliveries,
    }
  })
}

// A repeat changes nothing, so it notifies no one.
export const QUEUED_OUTCOMES: ReadonlySet<Outcome> = new Set([
  'credited',
  'reversed',
  'held',
  'recorded',
])

type Existing = Current & {
  id: string
  userId: string | null
  payout: string | null
  points: bigint
  /** The offer's expected payout, if the operator set one. */
  expected: string | null
}

async function insertConversion(
  client: PoolClient,
  p: Postback,
  points: bigint,
  status: ConversionStatus,
  holdReason: string | null,
): Promise<{ id: string; expected: string | null } | null> {
  const { rows } = await client.query<{ id: string; expected: string | null }>({
    name: 'insert-conversion',
    text: `INSERT INTO conversions
       (network, tx_id, offer_id, user_id, click_id, payout, currency, points, status, network_status,
        hold_reason, sub1, sub2, sub3, sub4, sub5, ip, network_datetime, reward)
     VALUES ($1, $2, $3, $4, $5, $6::numeric, $7, $8::bigint, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
     ON CONFLICT (network, tx_id) DO NOTHING
     RETURNING id, (SELECT expected_payout::text FROM offers o WHERE o.network = $1 AND o.offer_id = $3) AS expected`,
    values: [
      p.network,
      p.txId,
      p.offerId,
      p.userId,
      p.clickId,
      p.payout,
      p.currency,
      points.toString(),
      status,
      p.networkStatus,
      status === 'held' ? holdReason : null,
      ...p.subs,
      p.ip,
      p.datetime,
      p.reward,
    ],
  })
  return rows[0] ?? null // null: we have seen this transaction before
}

/** A new conversion whose payout turned out to need review. */
async function holdConversion(
  client: PoolClient,
  id: string,
  decision: Decision,
  holdReason: string | null,
) {
  await client.query('UPDATE conversions SET status = $2, hold_reason = $3 WHERE id = $1', [
    id,
    decision.status,
    decision.status === 'held' ? holdReason : null,
  ])
}

async function lockConversion(client: PoolClient, p: Postback): Promise<Existing> {
  const { rows } = await client.query<{
    id: string
    status: ConversionStatus
    user_id: string | null
    payout: string | null
    points: string
    credited: boolean
    expected: string | null
  }>(
    // Decide only from this row: FOR UPDATE re-reads it once the lock is granted, but a
    // subquery on another table (the ledger) would keep the statement's older snapshot.
    `SELECT id, status, user_id, payout::text, points::text,
            credit_points IS NOT NULL AS credited,
            (SELECT expected_payout::text FROM offers o WHERE o.network = $1 AND o.offer_id = $3) AS expected
     FROM conversions c
     WHERE network = $1 AND tx_id = $2
     FOR UPDATE OF c`,
    [p.network, p.txId, p.offerId],
  )
  const row = rows[0]
  if (!row) throw new Error(`conversion ${p.network}/${p.txId} vanished after a conflicting insert`)
  return {
    id: row.id,
    status: row.status,
    credited: row.credited,
    userId: row.user_id,
    payout: row.payout,
    points: BigInt(row.points),
    expected: row.expected,
  }
}

async function updateConversion(
  client: PoolClient,
  id: string,
  decision: Decision,
  p: Postback,
  points: bigint,
  holdReason: string | null,
) {
  // An approval carries the network's final payout; other transitions keep the recorded one.
  const approving = p.status === 'approved'
  await client.query(
    `UPDATE conversions SET
       status = $2,
       network_status = $3,
       hold_reason = $4,
       payout = CASE WHEN $5 THEN COALESCE($6::numeric, payout) ELSE payout END,
       points = CASE WHEN $5 THEN $7::bigint ELSE points END,
       user_id = COALESCE(user_id, $8),
       updated_at = now()
     WHERE id = $1`,
    [
      id,
      decision.status,
      p.networkStatus,
      decision.status === 'held' ? holdReason : null,
      approving,
      p.payout,
      points.toString(),
      p.userId,
    ],
  )
}

async function moveMoney(
  client: PoolClient,
  decision: Decision,
  conversionId: string,
  userId: string | null,
  points: bigint,
): Promise<bigint> {
  if (decision.money === 'reverse') return -(await reverseConversion(client, conversionId))
  if (decision.money === 'credit' && userId !== null) {
    return (await creditConversion(client, conversionId, userId, points)) ? points : 0n
  }
  return 0n
}

/** Why a credit must wait for an operator, or null when it may be credited. */
export function reviewPayout(
  p: Postback,
  policy: RecordPolicy,
  expected: string | null,
): string | null {
  if (p.payout === null) return null // reward-only networks: nothing to compare
  if (policy.maxPayout !== undefined && compareDecimals(p.payout, policy.maxPayout) > 0) {
    return `payout ${p.payout} exceeds MAX_PAYOUT ${policy.maxPayout}: held for review`
  }
  if (expected === null || p.offerId === null) return null
  const limit = addFraction(expected, policy.payoutTolerance)
  if (compareDecimals(p.payout, limit) <= 0) return null
  return `payout ${p.payout} exceeds offer ${p.offerId}'s expected ${normalizeDecimal(expected)} by more than ${policy.payoutTolerance} (limit ${limit}): held for review`
}

/** A repeat whose payout or user differs is not applied; the log says what differed. */
export function withMismatch(
  decision: Decision,
  existing: Pick<Existing, 'payout' | 'points' | 'userId'>,
  p: Postback,
): Decision {
  const differences: string[] = []
  if (
    p.payout !== null &&
    existing.payout !== null &&
    compareDecimals(p.payout, existing.payout) !== 0
  ) {
    differences.push(
      `payout ${p.payout} differs from the recorded ${normalizeDecimal(existing.payout)}`,
    )
  } else if (p.points !== existing.points) {
    differences.push(`points ${p.points} differ from the recorded ${existing.points}`)
  }
  if (p.userId !== null && existing.userId !== null && p.userId !== existing.userId) {
    differences.push(`user_id ${p.userId} differs from the recorded ${existing.userId}`)
  }
  if (differences.length === 0) return decision
  return {
    ...decision,
    message: `${decision.message}; MISMATCH: ${differences.join('; ')} (not applied)`,
  }
}
