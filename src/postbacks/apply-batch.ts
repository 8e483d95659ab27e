import type { PoolClient } from 'pg'
import { type DeliveryRow, deliveryRowsFor, enqueueDeliveryRows } from '../delivery/outbox.js'
import { insertPostbackLogs } from './log.js'
import {
  type LogContext,
  type Postback,
  QUEUED_OUTCOMES,
  type RecordPolicy,
  type RecordResult,
  reviewPayout,
  withMismatch,
} from './record.js'
import { type ConversionStatus, type Decision, decideTransition } from './transitions.js'

// Many postbacks in one transaction and a fixed number of statements, whatever the batch size:
// lock what exists, decide every postback in arrival order in memory (with the same pure
// transition function as the one-at-a-time path), then write conversions, ledger, outbox and
// log as arrays. A postback for a transaction seen earlier in the batch sees its effect, so
// duplicates and conflicting transitions resolve exactly as they would one after another.

export type BatchItem = { postback: Postback; policy: RecordPolicy; log: LogContext }

/** Another writer inserted a conversion this batch thought new: apply the batch one by one. */
export class BatchConflict extends Error {
  override name = 'BatchConflict'
}

/** One conversion as this batch sees it: locked from the database, or new in this batch. */
type Row = {
  id: string | null
  network: string
  txId: string
  /** The postback that creates it (new rows): its fields are what gets inserted. */
  first: Postback | null
  changed: boolean
  status: ConversionStatus
  userId: string | null
  payout: string | null
  points: bigint
  networkStatus: string | null
  holdReason: string | null
  creditUser: string | null
  creditPoints: bigint | null
  reversed: boolean
}

type Effect = { row: Row; decision: Decision; moved: bigint; statusAfter: ConversionStatus }

const keyOf = (network: string, id: string) => `${network}\u0000${id}`

export async function applyBatch(
  client: PoolClient,
  items: readonly BatchItem[],
): Promise<RecordResult[]> {
  const expected = await offersExpected(client, items)
  const rows = await lockExisting(client, items)
  const ledger: { row: Row; kind: 'credit' | 'reversal'; user: string; points: bigint }[] = []

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
        // The same change updateConversion makes on the one-at-a-time path.
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

    let moved = 0n
    if (decision.money === 'reverse' && row.creditPoints !== null && !row.reversed) {
      row.reversed = true
      moved = -row.creditPoints
      ledger.push({ row, kind: 'reversal', user: row.creditUser ?? '', points: moved })
    } else if (decision.money === 'credit' && moneyUser !== null && row.creditPoints === null) {
      row.creditUser = moneyUser
      row.creditPoints = p.points
      moved = p.points
      ledger.push({ row, kind: 'credit', user: moneyUser, points: moved })
    }
    return { row, decision, moved, statusAfter: row.status }
  })

  await insertNew(
    client,
    [...rows.values()].filter((row) => row.id === null),
  )
  await updateChanged(
    client,
    [...rows.values()].filter((row) => row.changed),
  )
  await writeLedger(client, ledger)

  const deliveries: DeliveryRow[][] = effects.map(({ row, decision, statusAfter }, i) =>
    QUEUED_OUTCOMES.has(decision.outcome)
      ? deliveryRowsFor(
          items[i]?.policy.deliveries,
          { id: row.id ?? '', network: row.network, status: statusAfter },
          decision.outcome,
        )
      : [],
  )
  await enqueueDeliveryRows(client, deliveries.flat())

  const logIds = await insertPostbackLogs(
    client,
    effects.map(({ row, decision }, i) => ({
      ...(items[i] as BatchItem).log,
      statusCode: 200,
      outcome: decision.outcome,
      message: decision.message,
      txId: row.txId,
      conversionId: row.id,
    })),
  )
  return effects.map(({ row, decision, moved }, i) => ({
    outcome: decision.outcome,
    conversionId: row.id ?? '',
    points: moved,
    message: decision.message,
    logId: logIds[i] ?? '',
    deliveries: deliveries[i]?.length ?? 0,
  }))
}

async function offersExpected(
  client: PoolClient,
  items: readonly BatchItem[],
): Promise<Map<string, string>> {
  const pairs = new Map<string, [string, string]>()
  for (const { postback: p } of items) {
    if (p.offerId !== null && p.payout !== null) {
      pairs.set(keyOf(p.network, p.offerId), [p.network, p.offerId])
    }
  }
  if (pairs.size === 0) return new Map()
  const { rows } = await client.query<{ network: string; offer_id: string; expected: string }>({
    name: 'batch-offers-expected',
    text: `SELECT o.network, o.offer_id, o.expected_payout::text AS expected
           FROM offers o JOIN unnest($1::text[], $2::text[]) AS k(network, offer_id)
             ON o.network = k.network AND o.offer_id = k.offer_id`,
    values: [[...pairs.values()].map(([n]) => n), [...pairs.values()].map(([, o]) => o)],
  })
  return new Map(rows.map((row) => [keyOf(row.network, row.offer_id), row.expected]))
}

/** Locks every conversion the batch names that already exists, in one consistent order. */
async function lockExisting(client: PoolClient, items: readonly BatchItem[]) {
  const keys = new Map<string, [string, string]>()
  for (const { postback: p } of items) keys.set(keyOf(p.network, p.txId), [p.network, p.txId])
  const { rows } = await client.query<{
    id: string
    network: string
    tx_id: string
    status: ConversionStatus
    user_id: string | null
    payout: string | null
    points: string
    network_status: string | null
    hold_reason: string | null
    credit_user: string | null
    credit_points: string | null
    reversed: boolean
  }>({
    name: 'batch-lock-conversions',
    text: `SELECT c.id::text, c.network, c.tx_id, c.status, c.user_id, c.payout::text, c.points::text,
                  c.network_status, c.hold_reason, cr.user_id AS credit_user,
                  cr.points::text AS credit_points,
                  EXISTS (SELECT 1 FROM ledger_entries r
                          WHERE r.conversion_id = c.id AND r.kind = 'reversal') AS reversed
           FROM conversions c
           JOIN unnest($1::text[], $2::text[]) AS k(network, tx_id)
             ON c.network = k.network AND c.tx_id = k.tx_id
           LEFT JOIN LATERAL (SELECT user_id, points FROM ledger_entries l
                              WHERE l.conversion_id = c.id AND l.kind = 'credit') cr ON true
           ORDER BY c.network, c.tx_id
           FOR UPDATE OF c`,
    values: [[...keys.values()].map(([n]) => n), [...keys.values()].map(([, t]) => t)],
  })
  const found = new Map<string, Row>()
  for (const row of rows) {
    found.set(keyOf(row.network, row.tx_id), {
      id: row.id,
      network: row.network,
      txId: row.tx_id,
      first: null,
      changed: false,
      status: row.status,
      userId: row.user_id,
      payout: row.payout,
      points: BigInt(row.points),
      networkStatus: row.network_status,
      holdReason: row.hold_reason,
      creditUser: row.credit_user,
      creditPoints: row.credit_points === null ? null : BigInt(row.credit_points),
      reversed: row.reversed,
    })
  }
  return found
}

async function insertNew(client: PoolClient, rows: Row[]) {
  if (rows.length === 0) return
  const column = <T>(pick: (row: Row, first: Postback) => T) =>
    rows.map((row) => pick(row, row.first as Postback))
  const { rows: inserted } = await client.query<{ id: string; network: string; tx_id: string }>({
    name: 'batch-insert-conversions',
    text: `INSERT INTO conversions
             (network, tx_id, offer_id, user_id, click_id, payout, currency, points, status,
              network_status, hold_reason, sub1, sub2, sub3, sub4, sub5, ip, network_datetime, reward)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
             $6::numeric[], $7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[],
             $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
             $18::text[], $19::text[])
           ON CONFLICT (network, tx_id) DO NOTHING
           RETURNING id::text, network, tx_id`,
    values: [
      column((r) => r.network),
      column((r) => r.txId),
      column((_, p) => p.offerId),
      column((r) => r.userId),
      column((_, p) => p.clickId),
      column((r) => r.payout),
      column((_, p) => p.currency),
      column((r) => r.points.toString()),
      column((r) => r.status),
      column((r) => r.networkStatus),
      column((r) => r.holdReason),
      ...[0, 1, 2, 3, 4].map((i) => column((_, p) => p.subs[i] ?? null)),
      column((_, p) => p.ip),
      column((_, p) => p.datetime),
      column((_, p) => p.reward),
    ],
  })
  const byKey = new Map(rows.map((row) => [keyOf(row.network, row.txId), row]))
  for (const row of inserted) {
    const target = byKey.get(keyOf(row.network, row.tx_id))
    if (target) target.id = row.id
  }
  if (inserted.length !== rows.length) {
    throw new BatchConflict('a conversion this batch created was inserted concurrently')
  }
}

async function updateChanged(client: PoolClient, rows: Row[]) {
  if (rows.length === 0) return
  await client.query({
    name: 'batch-update-conversions',
    text: `UPDATE conversions c SET
             status = u.status, network_status = u.network_status, hold_reason = u.hold_reason,
             payout = u.payout, points = u.points, user_id = u.user_id, updated_at = now()
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::numeric[],
                       $6::bigint[], $7::text[])
             AS u(id, status, network_status, hold_reason, payout, points, user_id)
           WHERE c.id = u.id`,
    values: [
      rows.map((r) => r.id),
      rows.map((r) => r.status),
      rows.map((r) => r.networkStatus),
      rows.map((r) => r.holdReason),
      rows.map((r) => r.payout),
      rows.map((r) => r.points.toString()),
      rows.map((r) => r.userId),
    ],
  })
}

/** Ledger entries and the balances they move, in one statement; users locked in order. */
async function writeLedger(
  client: PoolClient,
  entries: { row: Row; kind: 'credit' | 'reversal'; user: string; points: bigint }[],
) {
  if (entries.length === 0) return
  const { rows } = await client.query<{ written: number }>({
    name: 'batch-write-ledger',
    text: `WITH entry AS (
             INSERT INTO ledger_entries (user_id, conversion_id, kind, points)
             SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[])
             ON CONFLICT DO NOTHING
             RETURNING user_id, points
           ), balance AS (
             INSERT INTO balances AS b (user_id, points)
             SELECT user_id, sum(points) FROM entry GROUP BY user_id ORDER BY user_id
             ON CONFLICT (user_id) DO UPDATE SET points = b.points + EXCLUDED.points, updated_at = now()
           )
           SELECT count(*)::int AS written FROM entry`,
    values: [
      entries.map((e) => e.user),
      entries.map((e) => e.row.id),
      entries.map((e) => e.kind),
      entries.map((e) => e.points.toString()),
    ],
  })
  // Rows are locked and their ledger read under the lock: a conflict means our view was wrong.
  if (rows[0]?.written !== entries.length) {
    throw new BatchConflict('a ledger entry this batch wrote already existed')
  }
}
