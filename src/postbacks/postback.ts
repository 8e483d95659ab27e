import type { DeliveryRules } from '../delivery/rules.js'
import type { PostbackLogEntry } from './log.js'
import type { NetworkStatus, Outcome } from './transitions.js'

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
