import type { Pool, PoolClient } from 'pg'
import { LOG_COLUMNS, type PostbackLogEntry } from './log.js'
import type { Postback } from './postback.js'
import type { ConversionStatus } from './transitions.js'

// The two round trips of a batch: one read (what exists, locked inside a transaction, and the
// offers' expected payouts), one write (every insert and update as data-modifying CTEs). Round
// trips, not rows, are what a batch pays for. Both are prepared once per connection.

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

/** An offer's expected payout as a batch decided with it: null when none is set (or no offer). */
export type OfferExpectation = { network: string; offerId: string; expected: string | null }

/**
 * What a batch is decided from: the conversions that exist, and the expected payout of every
 * offer it names, which the write statement checks again (a payout review depends on it).
 */
export type BatchState = { rows: Map<string, BatchRow>; offers: OfferExpectation[] }

/** The offers a batch's payout reviews need: those of postbacks that carry a payout. */
export function offerKeysOf(postbacks: readonly Postback[]): Map<string, [string, string]> {
  const offers = new Map<string, [string, string]>()
  for (const p of postbacks) {
    if (p.offerId !== null && p.payout !== null) {
      offers.set(keyOf(p.network, p.offerId), [p.network, p.offerId])
    }
  }
  return offers
}

const readStatement = (lock: boolean) => `WITH found AS (
  SELECT c.id::text, c.network, c.tx_id, c.status, c.user_id, c.payout::text,
         c.points::text, c.network_status, c.hold_reason, c.credit_user,
         c.credit_points::text, c.reversed
  FROM conversions c
  JOIN unnest($1::text[], $2::text[]) AS k(network, tx_id)
    ON c.network = k.network AND c.tx_id = k.tx_id
  ORDER BY c.network, c.tx_id${lock ? '\n  FOR UPDATE OF c' : ''}
)
SELECT (SELECT COALESCE(json_agg(found), '[]') FROM found) AS conversions,
       (SELECT COALESCE(json_agg(json_build_object('network', o.network,
                 'offer_id', o.offer_id, 'expected', o.expected_payout::text)), '[]')
        FROM offers o JOIN unnest($3::text[], $4::text[]) AS f(network, offer_id)
          ON o.network = f.network AND o.offer_id = f.offer_id) AS offers`
const READ = { lock: readStatement(true), peek: readStatement(false) }

/**
 * Reads every conversion the batch names that exists, and the offers' expected payouts. `lock`
 * (inside a transaction) locks those rows in key order, and takes their credit state from the
 * locked rows themselves: FOR UPDATE re-reads a row it waited for, while a join to another table
 * would keep the statement's older snapshot. `peek` locks nothing: it tells whether there is
 * anything to lock.
 */
export async function readBatchState(
  db: Pool | PoolClient,
  postbacks: readonly Postback[],
  mode: 'lock' | 'peek',
): Promise<BatchState> {
  const keys = new Map<string, [string, string]>()
  for (const p of postbacks) keys.set(keyOf(p.network, p.txId), [p.network, p.txId])
  const offers = offerKeysOf(postbacks)
  const { rows } = await db.query<{
    conversions: LockedRow[]
    offers: { network: string; offer_id: string; expected: string }[]
  }>({
    name: `batch-${mode}`,
    text: READ[mode],
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
  return {
    rows: found,
    offers: [...offers].map(([key, [network, offerId]]) => ({
      network,
      offerId,
      expected: expected.get(key) ?? null,
    })),
  }
}

type Column<T> = { name: string; type: string; value(item: T): unknown }
type WriteInput = {
  fresh: readonly BatchRow[]
  changed: readonly BatchRow[]
  existing: readonly BatchRow[]
  ledger: readonly LedgerWrite[]
  log: readonly { entry: PostbackLogEntry; row: BatchRow }[]
  offers: readonly OfferExpectation[]
}

/** The postback that creates a new row: its fields are what gets inserted. */
const firstOf = (row: BatchRow) => row.first as Postback

const NEW_CONVERSION: readonly Column<BatchRow>[] = [
  { name: 'network', type: 'text', value: (r) => r.network },
  { name: 'tx_id', type: 'text', value: (r) => r.txId },
  { name: 'offer_id', type: 'text', value: (r) => firstOf(r).offerId },
  { name: 'user_id', type: 'text', value: (r) => r.userId },
  { name: 'click_id', type: 'text', value: (r) => firstOf(r).clickId },
  { name: 'payout', type: 'numeric', value: (r) => r.payout },
  { name: 'currency', type: 'text', value: (r) => firstOf(r).currency },
  { name: 'points', type: 'bigint', value: (r) => r.points.toString() },
  { name: 'status', type: 'text', value: (r) => r.status },
  { name: 'network_status', type: 'text', value: (r) => r.networkStatus },
  { name: 'hold_reason', type: 'text', value: (r) => r.holdReason },
  ...[0, 1, 2, 3, 4].map((i) => ({
    name: `sub${i + 1}`,
    type: 'text',
    value: (r: BatchRow) => firstOf(r).subs[i] ?? null,
  })),
  { name: 'ip', type: 'text', value: (r) => firstOf(r).ip },
  { name: 'network_datetime', type: 'text', value: (r) => firstOf(r).datetime },
  { name: 'reward', type: 'text', value: (r) => firstOf(r).reward },
  { name: 'credit_user', type: 'text', value: (r) => r.creditUser },
  { name: 'credit_points', type: 'bigint', value: (r) => r.creditPoints?.toString() ?? null },
  { name: 'reversed', type: 'boolean', value: (r) => r.reversed },
]

/** What a decision may change on an existing row (id first: it is the key, not a change). */
const CHANGED_CONVERSION: readonly Column<BatchRow>[] = [
  { name: 'id', type: 'bigint', value: (r) => r.id },
  { name: 'status', type: 'text', value: (r) => r.status },
  { name: 'network_status', type: 'text', value: (r) => r.networkStatus },
  { name: 'hold_reason', type: 'text', value: (r) => r.holdReason },
  { name: 'payout', type: 'numeric', value: (r) => r.payout },
  { name: 'points', type: 'bigint', value: (r) => r.points.toString() },
  { name: 'user_id', type: 'text', value: (r) => r.userId },
  { name: 'credit_user', type: 'text', value: (r) => r.creditUser },
  { name: 'credit_points', type: 'bigint', value: (r) => r.creditPoints?.toString() ?? null },
  { name: 'reversed', type: 'boolean', value: (r) => r.reversed },
]

const EXISTING_KEY: readonly Column<BatchRow>[] = [
  { name: 'id', type: 'bigint', value: (r) => r.id },
  { name: 'network', type: 'text', value: (r) => r.network },
  { name: 'tx_id', type: 'text', value: (r) => r.txId },
]

const LEDGER_ENTRY: readonly Column<LedgerWrite>[] = [
  { name: 'user_id', type: 'text', value: (e) => e.user },
  { name: 'network', type: 'text', value: (e) => e.row.network },
  { name: 'tx_id', type: 'text', value: (e) => e.row.txId },
  { name: 'kind', type: 'text', value: (e) => e.kind },
  { name: 'points', type: 'bigint', value: (e) => e.points.toString() },
]

const OFFER_EXPECTATION: readonly Column<OfferExpectation>[] = [
  { name: 'network', type: 'text', value: (o) => o.network },
  { name: 'offer_id', type: 'text', value: (o) => o.offerId },
  { name: 'expected', type: 'numeric', value: (o) => o.expected },
]

type LogWrite = WriteInput['log'][number]
const LOG_ROW: readonly Column<LogWrite>[] = [
  { name: 'key_network', type: 'text', value: ({ row }) => row.network },
  { name: 'key_tx', type: 'text', value: ({ row }) => row.txId },
  ...LOG_COLUMNS.map((column) => ({
    name: column.name,
    type: column.type,
    value: ({ entry }: LogWrite) => column.value(entry),
  })),
]

// One array parameter per column, numbered in the order the text names them: the statement's
// text is the same for every batch, so each connection prepares and plans it once.
const parameters: ((input: WriteInput) => unknown)[] = []
function unnestOf<T>(columns: readonly Column<T>[], list: (input: WriteInput) => readonly T[]) {
  const arrays = columns.map((column) => {
    parameters.push((input) => list(input).map((item) => column.value(item)))
    return `$${parameters.length}::${column.type}[]`
  })
  return `unnest(${arrays.join(', ')})`
}
function scalar(type: string, value: (input: WriteInput) => unknown) {
  parameters.push(value as (input: WriteInput) => unknown[])
  return `$${parameters.length}::${type}`
}
const names = (columns: readonly Column<unknown>[]) => columns.map((c) => c.name).join(', ')
const logNames = LOG_COLUMNS.map((c) => c.name)

const WRITE_BATCH = `WITH ins AS (
  INSERT INTO conversions (${names(NEW_CONVERSION)})
  SELECT * FROM ${unnestOf(NEW_CONVERSION, (i) => i.fresh)}
  ON CONFLICT (network, tx_id) DO NOTHING
  RETURNING id, network, tx_id
), upd AS (
  UPDATE conversions c SET
    ${CHANGED_CONVERSION.slice(1)
      .map((c) => `${c.name} = u.${c.name}`)
      .join(', ')},
    updated_at = now()
  FROM ${unnestOf(CHANGED_CONVERSION, (i) => i.changed)} AS u(${names(CHANGED_CONVERSION)})
  WHERE c.id = u.id
  RETURNING c.id
), ids AS (
  SELECT id, network, tx_id FROM ins
  UNION ALL
  SELECT * FROM ${unnestOf(EXISTING_KEY, (i) => i.existing)} AS e(${names(EXISTING_KEY)})
), entry AS (
  INSERT INTO ledger_entries (user_id, conversion_id, kind, points)
  SELECT l.user_id, ids.id, l.kind, l.points
  FROM ${unnestOf(LEDGER_ENTRY, (i) => i.ledger)} WITH ORDINALITY AS l(${names(LEDGER_ENTRY)}, ord)
  JOIN ids ON ids.network = l.network AND ids.tx_id = l.tx_id
  ORDER BY l.ord
  ON CONFLICT DO NOTHING
  RETURNING user_id, points
), balance AS (
  INSERT INTO balances AS b (user_id, points)
  SELECT user_id, sum(points) FROM entry GROUP BY user_id ORDER BY user_id
  ON CONFLICT (user_id) DO UPDATE SET points = b.points + EXCLUDED.points, updated_at = now()
), logged AS (
  INSERT INTO postback_log (${logNames.join(', ')})
  SELECT ${logNames.map((name) => (name === 'conversion_id' ? 'ids.id' : `t.${name}`)).join(', ')}
  FROM ${unnestOf(LOG_ROW, (i) => i.log)} WITH ORDINALITY AS t(${names(LOG_ROW)}, ord)
  LEFT JOIN ids ON ids.network = t.key_network AND ids.tx_id = t.key_tx
  ORDER BY t.ord
  RETURNING id
)
SELECT (SELECT json_agg(json_build_object('id', id::text, 'network', network, 'tx_id', tx_id))
        FROM ins) AS inserted,
       (SELECT array_agg(id::text ORDER BY id) FROM logged) AS log_ids,
       -- Decided from a read that is stale now (another writer inserted a conversion this batch
       -- thought new, or a ledger entry it wrote existed): undo the whole statement.
       assert_batch((SELECT count(*) FROM ins) = ${scalar('int', (i) => i.fresh.length)},
                    'a conversion this batch created was inserted concurrently')
       AND assert_batch((SELECT count(*) FROM entry) = ${scalar('int', (i) => i.ledger.length)},
                    'a ledger entry this batch wrote already existed')
       AND assert_batch(NOT EXISTS (
             SELECT FROM ${unnestOf(OFFER_EXPECTATION, (i) => i.offers)} AS x(${names(OFFER_EXPECTATION)})
             LEFT JOIN offers o ON o.network = x.network AND o.offer_id = x.offer_id
             WHERE o.expected_payout IS DISTINCT FROM x.expected),
                    'an offer''s expected payout is not what this batch was decided with') AS checked`

/**
 * New conversions, changed conversions, ledger entries with their balances, and the log rows,
 * in one statement: it stands or falls as a whole, so on the pool it commits on its own. A
 * decision made from anything else than what the statement finds (a conversion decided as new
 * exists, a ledger entry exists, an offer's expected payout differs) fails it with a
 * serialization failure (assert_batch), which the writer decides again from a fresh read.
 * New rows get their ids; returns the log ids in the entries' order.
 */
export async function writeBatch(
  db: Pool | PoolClient,
  rows: readonly BatchRow[],
  ledger: readonly LedgerWrite[],
  log: readonly { entry: PostbackLogEntry; row: BatchRow }[],
  offers: readonly OfferExpectation[],
): Promise<string[]> {
  // New rows in key order, as the read locks existing ones: two instances inserting the same
  // keys wait for each other in one order instead of deadlocking.
  const fresh = rows
    .filter((row) => row.id === null)
    .sort((a, b) => compareKeys(keyOf(a.network, a.txId), keyOf(b.network, b.txId)))
  const input: WriteInput = {
    fresh,
    changed: rows.filter((row) => row.id !== null && row.changed),
    existing: rows.filter((row) => row.id !== null),
    ledger,
    log,
    offers,
  }
  const { rows: result } = await db.query<{
    inserted: { id: string; network: string; tx_id: string }[] | null
    log_ids: string[] | null
  }>({
    name: 'batch-write',
    text: WRITE_BATCH,
    values: parameters.map((values) => values(input)),
  })
  const written = result[0]
  const inserted = written?.inserted ?? []
  const byKey = new Map(fresh.map((row) => [keyOf(row.network, row.txId), row]))
  for (const row of inserted) {
    const target = byKey.get(keyOf(row.network, row.tx_id))
    if (target) target.id = row.id
  }
  return written?.log_ids ?? []
}
