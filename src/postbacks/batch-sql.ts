import type { PoolClient } from 'pg'
import { LOG_COLUMN_TYPES, LOG_COLUMNS, logValues, type PostbackLogEntry } from './log.js'
import type { Postback } from './record.js'
import type { ConversionStatus } from './transitions.js'

// The two round trips of a group commit besides BEGIN and COMMIT: one read (lock what exists,
// and the offers' expected payouts), one write (every insert and update as data-modifying CTEs).
// Round trips, not rows, are what a batch pays for on this path.

/** One conversion as a batch sees it: locked from the database, or new in this batch. */
export type BatchRow = {
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

export type LedgerWrite = {
  row: BatchRow
  kind: 'credit' | 'reversal'
  user: string
  points: bigint
}

export const keyOf = (network: string, id: string) => `${network}\u0000${id}`

type LockedRow = {
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
}

/** Locks every conversion the batch names that exists (in key order) and reads offers. */
export async function readBatchState(
  client: PoolClient,
  postbacks: readonly Postback[],
): Promise<{ rows: Map<string, BatchRow>; expected: Map<string, string> }> {
  const keys = new Map<string, [string, string]>()
  const offers = new Map<string, [string, string]>()
  for (const p of postbacks) {
    keys.set(keyOf(p.network, p.txId), [p.network, p.txId])
    if (p.offerId !== null && p.payout !== null) {
      offers.set(keyOf(p.network, p.offerId), [p.network, p.offerId])
    }
  }
  const { rows } = await client.query<{
    conversions: LockedRow[]
    offers: { network: string; offer_id: string; expected: string }[]
  }>({
    name: 'batch-read',
    text: `WITH locked AS (
             SELECT c.id::text, c.network, c.tx_id, c.status, c.user_id, c.payout::text,
                    c.points::text, c.network_status, c.hold_reason, cr.user_id AS credit_user,
                    cr.points::text AS credit_points,
                    EXISTS (SELECT 1 FROM ledger_entries r
                            WHERE r.conversion_id = c.id AND r.kind = 'reversal') AS reversed
             FROM conversions c
             JOIN unnest($1::text[], $2::text[]) AS k(network, tx_id)
               ON c.network = k.network AND c.tx_id = k.tx_id
             LEFT JOIN LATERAL (SELECT user_id, points FROM ledger_entries l
                                WHERE l.conversion_id = c.id AND l.kind = 'credit') cr ON true
             ORDER BY c.network, c.tx_id
             FOR UPDATE OF c
           )
           SELECT (SELECT COALESCE(json_agg(locked), '[]') FROM locked) AS conversions,
                  (SELECT COALESCE(json_agg(json_build_object('network', o.network,
                            'offer_id', o.offer_id, 'expected', o.expected_payout::text)), '[]')
                   FROM offers o JOIN unnest($3::text[], $4::text[]) AS f(network, offer_id)
                     ON o.network = f.network AND o.offer_id = f.offer_id) AS offers`,
    values: [
      [...keys.values()].map(([n]) => n),
      [...keys.values()].map(([, t]) => t),
      [...offers.values()].map(([n]) => n),
      [...offers.values()].map(([, o]) => o),
    ],
  })
  const result = rows[0] ?? { conversions: [], offers: [] }
  const found = new Map<string, BatchRow>()
  for (const row of result.conversions) {
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
  const expected = new Map(result.offers.map((o) => [keyOf(o.network, o.offer_id), o.expected]))
  return { rows: found, expected }
}

/** Another writer inserted a conversion this batch thought new: apply the batch one by one. */
export class BatchConflict extends Error {
  override name = 'BatchConflict'
}

/**
 * New conversions, changed conversions, ledger entries with their balances, and the log rows,
 * in one statement. New rows get their ids; returns the log ids in the entries' order.
 */
export async function writeBatch(
  client: PoolClient,
  rows: readonly BatchRow[],
  ledger: readonly LedgerWrite[],
  log: readonly { entry: PostbackLogEntry; row: BatchRow }[],
): Promise<string[]> {
  const fresh = rows.filter((row) => row.id === null)
  const changed = rows.filter((row) => row.id !== null && row.changed)
  const existing = rows.filter((row) => row.id !== null)
  const column = <T>(list: readonly BatchRow[], pick: (row: BatchRow, first: Postback) => T) =>
    list.map((row) => pick(row, row.first as Postback))
  const logRows = log.map(({ entry }) => logValues(entry))
  const logColumns = LOG_COLUMN_TYPES.map((_, i) => logRows.map((values) => values[i]))
  const first = 37 // parameters before the log columns: $1..$36 above
  const { rows: result } = await client.query<{
    inserted: { id: string; network: string; tx_id: string }[] | null
    entries: number
    log_ids: string[] | null
  }>(
    `WITH ins AS (
       INSERT INTO conversions
         (network, tx_id, offer_id, user_id, click_id, payout, currency, points, status,
          network_status, hold_reason, sub1, sub2, sub3, sub4, sub5, ip, network_datetime, reward)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
         $6::numeric[], $7::text[], $8::bigint[], $9::text[], $10::text[], $11::text[],
         $12::text[], $13::text[], $14::text[], $15::text[], $16::text[], $17::text[],
         $18::text[], $19::text[])
       ON CONFLICT (network, tx_id) DO NOTHING
       RETURNING id, network, tx_id
     ), upd AS (
       UPDATE conversions c SET
         status = u.status, network_status = u.network_status, hold_reason = u.hold_reason,
         payout = u.payout, points = u.points, user_id = u.user_id, updated_at = now()
       FROM unnest($20::bigint[], $21::text[], $22::text[], $23::text[], $24::numeric[],
                   $25::bigint[], $26::text[])
         AS u(id, status, network_status, hold_reason, payout, points, user_id)
       WHERE c.id = u.id
       RETURNING c.id
     ), ids AS (
       SELECT id, network, tx_id FROM ins
       UNION ALL
       SELECT * FROM unnest($27::bigint[], $28::text[], $29::text[]) AS e(id, network, tx_id)
     ), entry AS (
       INSERT INTO ledger_entries (user_id, conversion_id, kind, points)
       SELECT l.user_id, ids.id, l.kind, l.points
       FROM unnest($30::text[], $31::text[], $32::text[], $33::text[], $34::bigint[])
         WITH ORDINALITY AS l(user_id, network, tx_id, kind, points, ord)
       JOIN ids ON ids.network = l.network AND ids.tx_id = l.tx_id
       ORDER BY l.ord
       ON CONFLICT DO NOTHING
       RETURNING user_id, points
     ), balance AS (
       INSERT INTO balances AS b (user_id, points)
       SELECT user_id, sum(points) FROM entry GROUP BY user_id ORDER BY user_id
       ON CONFLICT (user_id) DO UPDATE SET points = b.points + EXCLUDED.points, updated_at = now()
     ), logged AS (
       INSERT INTO postback_log (${LOG_COLUMNS})
       SELECT t.network, t.method, t.path, t.query, t.body, t.headers, t.source_ip, t.status_code,
              t.outcome, t.message, t.tx_id, ids.id, t.replay_of, t.replayed_by
       FROM unnest($35::text[], $36::text[], ${LOG_COLUMN_TYPES.map((type, i) => `$${first + i}::${type}[]`).join(', ')})
         WITH ORDINALITY AS t(key_network, key_tx, ${LOG_COLUMNS}, ord)
       LEFT JOIN ids ON ids.network = t.key_network AND ids.tx_id = t.key_tx
       ORDER BY t.ord
       RETURNING id
     )
     SELECT (SELECT json_agg(json_build_object('id', id::text, 'network', network, 'tx_id', tx_id))
             FROM ins) AS inserted,
            (SELECT count(*)::int FROM entry) AS entries,
            (SELECT array_agg(id::text ORDER BY id) FROM logged) AS log_ids`,
    [
      column(fresh, (r) => r.network),
      column(fresh, (r) => r.txId),
      column(fresh, (_, p) => p.offerId),
      column(fresh, (r) => r.userId),
      column(fresh, (_, p) => p.clickId),
      column(fresh, (r) => r.payout),
      column(fresh, (_, p) => p.currency),
      column(fresh, (r) => r.points.toString()),
      column(fresh, (r) => r.status),
      column(fresh, (r) => r.networkStatus),
      column(fresh, (r) => r.holdReason),
      ...[0, 1, 2, 3, 4].map((i) => column(fresh, (_, p) => p.subs[i] ?? null)),
      column(fresh, (_, p) => p.ip),
      column(fresh, (_, p) => p.datetime),
      column(fresh, (_, p) => p.reward),
      changed.map((r) => r.id),
      changed.map((r) => r.status),
      changed.map((r) => r.networkStatus),
      changed.map((r) => r.holdReason),
      changed.map((r) => r.payout),
      changed.map((r) => r.points.toString()),
      changed.map((r) => r.userId),
      existing.map((r) => r.id),
      existing.map((r) => r.network),
      existing.map((r) => r.txId),
      ledger.map((e) => e.user),
      ledger.map((e) => e.row.network),
      ledger.map((e) => e.row.txId),
      ledger.map((e) => e.kind),
      ledger.map((e) => e.points.toString()),
      log.map(({ row }) => row.network),
      log.map(({ row }) => row.txId),
      ...logColumns,
    ],
  )
  const written = result[0]
  const inserted = written?.inserted ?? []
  // A conflict means another writer got there first (a new row), or our locked view of the
  // ledger was wrong: either way the decisions are stale, so nothing of this batch may stand.
  if (inserted.length !== fresh.length) {
    throw new BatchConflict('a conversion this batch created was inserted concurrently')
  }
  if (written?.entries !== ledger.length) {
    throw new BatchConflict('a ledger entry this batch wrote already existed')
  }
  const byKey = new Map(fresh.map((row) => [keyOf(row.network, row.txId), row]))
  for (const row of inserted) {
    const target = byKey.get(keyOf(row.network, row.tx_id))
    if (target) target.id = row.id
  }
  return written.log_ids ?? []
}
