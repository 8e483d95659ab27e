import type { PoolClient } from 'pg'
import { type DeliveryRow, deliveryRowsFor, enqueueDeliveryRows } from '../delivery/outbox.js'
import {
  type BatchRow,
  type BatchState,
  keyOf,
  type LedgerWrite,
  type OfferExpectation,
  readBatchState,
  writeBatch,
} from './batch-sql.js'
import type { LogContext, Postback, RecordPolicy, RecordResult } from './postback.js'
import { reviewPayout, withMismatch } from './review.js'
import {
  type ConversionStatus,
  type Decision,
  decideTransition,
  type Outcome,
} from './transitions.js'

// Postbacks in a fixed number of statements, whatever their number: read (and lock) what exists,
// decide every postback in arrival order in memory (the pure transition function), then write
// conversions, ledger and log in one statement (and the outbox in another when a delivery rule
// matched). A postback for a transaction seen earlier in the batch sees its effect, so
// duplicates and conflicting transitions resolve exactly as one after another would.

export type BatchItem = { postback: Postback; policy: RecordPolicy; log: LogContext }

// A repeat changes nothing, so it notifies no one.
export const QUEUED_OUTCOMES: ReadonlySet<Outcome> = new Set([
  'credited',
  'reversed',
  'held',
  'recorded',
])

type Row = BatchRow
type Effect = { row: Row; decision: Decision; moved: bigint; statusAfter: ConversionStatus }

/** What a batch will write: its rows as they end, the money it moves, each postback's effect. */
export type BatchPlan = {
  items: readonly BatchItem[]
  rows: readonly BatchRow[]
  ledger: readonly LedgerWrite[]
  effects: readonly Effect[]
  /** The expected payouts it was decided with: the write checks they still hold. */
  offers: readonly OfferExpectation[]
}

/** Reads and locks what exists, decides, writes: inside the caller's transaction. */
export async function applyBatch(
  client: PoolClient,
  items: readonly BatchItem[],
): Promise<RecordResult[]> {
  const state = await readBatchState(client, postbacksOf(items), 'lock')
  return writePlan(client, decideBatch(items, state), true)
}

export const postbacksOf = (items: readonly BatchItem[]) => items.map((item) => item.postback)

/** Decides every postback in arrival order, each seeing the effect of those before it. */
export function decideBatch(items: readonly BatchItem[], state: BatchState): BatchPlan {
  const { rows, offers } = state
  const expected = new Map(offers.map((o) => [keyOf(o.network, o.offerId), o.expected]))
  const ledger: LedgerWrite[] = []

  const effects: Effect[] = items.map(({ postback: p, policy }) => {
    const creditable = p.status === 'approved' || (p.status === 'pending' && policy.creditPending)
    const offerExpected = p.offerId ? (expected.get(keyOf(p.network, p.offerId)) ?? null) : null
    const holdReason = creditable ? reviewPayout(p, policy, offerExpected) : null
    const situation = {
      incoming: p.status,
      hasUser: p.userId !== null,
      creditPending: policy.creditPending,
      holdReason,
    }
    let row = rows.get(keyOf(p.network, p.txId))
    let decision: Decision
    let moneyUser: string | null
    if (!row) {
      decision = decideTransition(null, situation)
      const status = decision.status ?? 'pending'
      row = {
        id: null,
        network: p.network,
        txId: p.txId,
        first: p,
        changed: false,
        status,
        userId: p.userId,
        payout: p.payout,
        points: p.points,
        networkStatus: p.networkStatus,
        holdReason: status === 'held' ? holdReason : null,
        creditUser: null,
        creditPoints: null,
        reversed: false,
      }
      rows.set(keyOf(p.network, p.txId), row)
      moneyUser = p.userId
    } else {
      const current = { status: row.status, credited: row.creditPoints !== null }
      const hasUser = row.userId !== null || p.userId !== null
      decision = decideTransition(current, { ...situation, hasUser })
      moneyUser = row.userId ?? p.userId
      if (decision.outcome === 'duplicate') decision = withMismatch(decision, row, p)
      else if (decision.status && decision.status !== row.status) {
        // An approval carries the network's final payout; other transitions keep the recorded one.
        row.changed = true
        row.status = decision.status
        row.networkStatus = p.networkStatus
        row.holdReason = decision.status === 'held' ? holdReason : null
        if (p.status === 'approved') {
          row.payout = p.payout ?? row.payout
          row.points = p.points
        }
        row.userId = row.userId ?? p.userId
      }
    }

    // Money moves with the row's own record of it (credit_user, credit_points, reversed).
    let moved = 0n
    if (decision.money === 'reverse' && row.creditPoints !== null && !row.reversed) {
      row.reversed = true
      row.changed = true
      moved = -row.creditPoints
      ledger.push({ row, kind: 'reversal', user: row.creditUser ?? '', points: moved })
    } else if (decision.money === 'credit' && moneyUser !== null && row.creditPoints === null) {
      row.creditUser = moneyUser
      row.creditPoints = p.points
      row.changed = true
      moved = p.points
      ledger.push({ row, kind: 'credit', user: moneyUser, points: moved })
    }
    return { row, decision, moved, statusAfter: row.status }
  })
  return { items, rows: [...rows.values()], ledger, effects, offers }
}

/** Whether a delivery rule matches any outcome of the plan (the outbox needs a transaction). */
export function queuesDeliveries(plan: BatchPlan): boolean {
  return plan.effects.some(
    ({ row, decision }, i) =>
      QUEUED_OUTCOMES.has(decision.outcome) &&
      (plan.items[i]?.policy.deliveries?.matching(row.network, decision.outcome).length ?? 0) > 0,
  )
}

/**
 * Writes a decided batch: one statement for conversions, ledger, balances and log, and the
 * outbox when a rule matched. Outside a transaction (no delivery queued) the write commits on
 * its own.
 */
export async function writePlan(
  db: PoolClient,
  plan: BatchPlan,
  inTransaction: boolean,
): Promise<RecordResult[]> {
  const { items, effects } = plan
  const logIds = await writeBatch(
    db,
    plan.rows,
    plan.ledger,
    effects.map(({ row, decision }, i) => ({
      row,
      entry: {
        ...(items[i] as BatchItem).log,
        statusCode: 200,
        outcome: decision.outcome,
        message: decision.message,
        txId: row.txId,
        conversionId: row.id,
        mismatchedPayout: decision.mismatchedPayout ?? null,
      },
    })),
    plan.offers,
  )

  const deliveries: DeliveryRow[][] = effects.map(({ row, decision, statusAfter }, i) =>
    QUEUED_OUTCOMES.has(decision.outcome)
      ? deliveryRowsFor(
          items[i]?.policy.deliveries,
          { id: row.id ?? '', network: row.network, status: statusAfter },
          decision.outcome,
        )
      : [],
  )
  const queued = deliveries.flat()
  if (queued.length > 0) {
    if (!inTransaction) throw new Error('deliveries are queued inside a transaction')
    await enqueueDeliveryRows(db, queued)
  }

  return effects.map(({ row, decision, moved }, i) => ({
    outcome: decision.outcome,
    conversionId: row.id ?? '',
    points: moved,
    message: decision.message,
    logId: logIds[i] ?? '',
    deliveries: deliveries[i]?.length ?? 0,
  }))
}
