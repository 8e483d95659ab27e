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

/** One order of keys every instance agrees on, for inserting new rows. */
const compareKeys = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

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

/**
 * Locks every conversion the batch names that exists (in key order) and reads offers. Credit
 * state comes from the locked rows themselves: FOR UPDATE re-reads a row it waited for, while
 * a join to another table would keep the statement's older snapshot.
 */
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
                    c.points::text, c.network_status, c.hold_reason, c.credit_user,
                    c.credit_points::text, c.reversed
             FROM conversions c
             JOIN unnest($1::text[], $2::text[]) AS k(network, tx_id)
               ON c.network = k.network AND c.tx_id = k.tx_id
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
  // New rows in key order, as the read locks existing ones: two instances inserting the same
  // keys wait for each other in one order instead of deadlocking.
  const fresh = rows
    .filter((row) => row.id === null)
    .sort((a, b) => compareKeys(keyOf(a.network, a.txId), keyOf(b.network, b.txId)))
  const changed = rows.filter((row) => row.id !== null && row.changed)
  const existing = rows.filter((row) => row.id !== null)
  // Parameters are numbered in the order they are written into the text, never by hand.
  const values: unknown[] = []
  const $ = (value: unknown[], type: string) => {
    values.push(value)
    return `$${values.length}::${type}[]`
  }
  const of = <T>(list: readonly BatchRow[], pick: (row: BatchRow, first: Postback) => T) =>
    list.map((row) => pick(row, row.first as Postback))
  const logRows = log.map(({ entry }) => logValues(entry))
  const logColumns = LOG_COLUMNS.split(',').map((name) => name.trim())
  const logArrays = LOG_COLUMN_TYPES.map((type, i) =>
    $(
      logRows.map((row) => row[i]),
      type,
    ),
  )
  const logKeys = [
    $(
      log.map(({ row }) => row.network),
      'text',
    ),
    $(
      log.map(({ row }) => row.txId),
      'text',
    ),
  ]
  const { rows: result } = await client.query<{
    inserted: { id: string; network: string; tx_id: string }[] | null
    entries: number
    log_ids: string[] | null
  }>(
    `WITH ins AS (
       INSERT INTO conversions
         (network, tx_id, offer_id, user_id, click_id, payout, currency, points, status,
          network_status, hold_reason, sub1, sub2, sub3, sub4, sub5, ip, network_datetime, reward,
          credit_user, credit_points, reversed)
       SELECT * FROM unnest(${$(
         of(fresh, (r) => r.network),
         'text',
       )}, ${$(
         of(fresh, (r) => r.txId),
         'text',
       )},
         ${$(
           of(fresh, (_, p) => p.offerId),
           'text',
         )}, ${$(
           of(fresh, (r) => r.userId),
           'text',
         )},
         ${$(
           of(fresh, (_, p) => p.clickId),
           'text',
         )}, ${$(
           of(fresh, (r) => r.payout),
           'numeric',
         )},
         ${$(
           of(fresh, (_, p) => p.currency),
           'text',
         )}, ${$(
           of(fresh, (r) => r.points.toString()),
           'bigint',
         )},
         ${$(
           of(fresh, (r) => r.status),
           'text',
         )}, ${$(
           of(fresh, (r) => r.networkStatus),
           'text',
         )},
         ${$(
           of(fresh, (r) => r.holdReason),
           'text',
         )},
         ${[0, 1, 2, 3, 4]
           .map((i) =>
             $(
               of(fresh, (_, p) => p.subs[i] ?? null),
               'text',
             ),
           )
           .join(', ')},
         ${$(
           of(fresh, (_, p) => p.ip),
           'text',
         )}, ${$(
           of(fresh, (_, p) => p.datetime),
           'text',
         )},
         ${$(
           of(fresh, (_, p) => p.reward),
           'text',
         )}, ${$(
           of(fresh, (r) => r.creditUser),
           'text',
         )},
         ${$(
           of(fresh, (r) => r.creditPoints?.toString() ?? null),
           'bigint',
         )},
         ${$(
           of(fresh, (r) => r.reversed),
           'boolean',
         )})
       ON CONFLICT (network, tx_id) DO NOTHING
       RETURNING id, network, tx_id
     ), upd AS (
       UPDATE conversions c SET
         status = u.status, network_status = u.network_status, hold_reason = u.hold_reason,
         payout = u.payout, points = u.points, user_id = u.user_id, credit_user = u.credit_user,
         credit_points = u.credit_points, reversed = u.reversed, updated_at = now()
       FROM unnest(${$(
         of(changed, (r) => r.id),
         'bigint',
       )}, ${$(
         of(changed, (r) => r.status),
         'text',
       )},
                   ${$(
                     of(changed, (r) => r.networkStatus),
                     'text',
                   )}, ${$(
                     of(changed, (r) => r.holdReason),
                     'text',
                   )},
                   ${$(
                     of(changed, (r) => r.payout),
                     'numeric',
                   )}, ${$(
                     of(changed, (r) => r.points.toString()),
                     'bigint',
                   )},
                   ${$(
                     of(changed, (r) => r.userId),
                     'text',
                   )}, ${$(
                     of(changed, (r) => r.creditUser),
                     'text',
                   )},
                   ${$(
                     of(changed, (r) => r.creditPoints?.toString() ?? null),
                     'bigint',
                   )},
                   ${$(
                     of(changed, (r) => r.reversed),
                     'boolean',
                   )})
         AS u(id, status, network_status, hold_reason, payout, points, user_id, credit_user,
              credit_points, reversed)
       WHERE c.id = u.id
       RETURNING c.id
     ), ids AS (
       SELECT id, network, tx_id FROM ins
       UNION ALL
       SELECT * FROM unnest(${$(
         of(existing, (r) => r.id),
         'bigint',
       )}, ${$(
         of(existing, (r) => r.network),
         'text',
       )},
                            ${$(
                              of(existing, (r) => r.txId),
                              'text',
                            )}) AS e(id, network, tx_id)
     ), entry AS (
       INSERT INTO ledger_entries (user_id, conversion_id, kind, points)
       SELECT l.user_id, ids.id, l.kind, l.points
       FROM unnest(${$(
         ledger.map((e) => e.user),
         'text',
       )}, ${$(
         ledger.map((e) => e.row.network),
         'text',
       )},
                   ${$(
                     ledger.map((e) => e.row.txId),
                     'text',
                   )}, ${$(
                     ledger.map((e) => e.kind),
                     'text',
                   )},
                   ${$(
                     ledger.map((e) => e.points.toString()),
                     'bigint',
                   )})
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
       INSERT INTO postback_log (${logColumns.join(', ')})
       SELECT ${logColumns.map((name) => (name === 'conversion_id' ? 'ids.id' : `t.${name}`)).join(', ')}
       FROM unnest(${logKeys.join(', ')}, ${logArrays.join(', ')})
         WITH ORDINALITY AS t(key_network, key_tx, ${logColumns.join(', ')}, ord)
       LEFT JOIN ids ON ids.network = t.key_network AND ids.tx_id = t.key_tx
       ORDER BY t.ord
       RETURNING id
     )
     SELECT (SELECT json_agg(json_build_object('id', id::text, 'network', network, 'tx_id', tx_id))
             FROM ins) AS inserted,
            (SELECT count(*)::int FROM entry) AS entries,
            (SELECT array_agg(id::text ORDER BY id) FROM logged) AS log_ids`,
    values,
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
