import { addFraction, compareDecimals, normalizeDecimal } from '../ledger/decimal.js'
import type { Postback, RecordPolicy } from './postback.js'
import type { Decision } from './transitions.js'

// What the writer checks beside the transition itself: whether a credit must wait for an
// operator, and how a repeat that disagrees with the record is described.

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
  existing: { payout: string | null; points: bigint; userId: string | null },
  p: Postback,
): Decision {
  const differences: string[] = []
  let mismatchedPayout: string | undefined
  if (
    p.payout !== null &&
    existing.payout !== null &&
    compareDecimals(p.payout, existing.payout) !== 0
  ) {
    mismatchedPayout = p.payout
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
    ...(mismatchedPayout === undefined ? {} : { mismatchedPayout }),
  }
}
