import type { Pool } from 'pg'
import { normalizeDecimal } from '../ledger/decimal.js'

export type Conversion = {
  id: string
  network: string
  txId: string
  offerId: string
  userId: string | null
  payout: string
  currency: string | null
  points: string
  status: string
  networkStatus: string | null
  holdReason: string | null
  createdAt: Date
  updatedAt: Date
}

type Row = {
  id: string
  network: string
  tx_id: string
  offer_id: string
  user_id: string | null
  payout: string
  currency: string | null
  points: string
  status: string
  network_status: string | null
  hold_reason: string | null
  created_at: Date
  updated_at: Date
}

const COLUMNS = `id, network, tx_id, offer_id, user_id, payout::text, currency, points::text, status,
  network_status, hold_reason, created_at, updated_at`

export type ConversionSearch = {
  txId?: string
  userId?: string
  offerId?: string
  network?: string
  status?: string
  before?: string
}

/** Newest first; tx id and user use their indexes, an offer alone scans newest-first to the limit. */
export async function searchConversions(pool: Pool, search: ConversionSearch, limit: number) {
  const { rows } = await pool.query<Row>(
    `SELECT ${COLUMNS} FROM conversions
     WHERE ($1::text IS NULL OR tx_id = $1) AND ($2::text IS NULL OR user_id = $2)
       AND ($3::text IS NULL OR offer_id = $3) AND ($4::text IS NULL OR network = $4)
       AND ($5::text IS NULL OR status = $5) AND ($6::bigint IS NULL OR id < $6::bigint)
     ORDER BY id DESC LIMIT $7`,
    [
      search.txId ?? null,
      search.userId ?? null,
      search.offerId ?? null,
      search.network ?? null,
      search.status ?? null,
      search.before ?? null,
      limit,
    ],
  )
  return rows.map(toConversion)
}

export async function getConversion(pool: Pool, id: string): Promise<Conversion | null> {
  const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM conversions WHERE id = $1`, [id])
  return rows[0] ? toConversion(rows[0]) : null
}

export type LedgerEntry = {
  id: string
  userId: string
  conversionId: string | null
  kind: string
  points: string
  reason: string | null
  createdAt: Date
}

export async function ledgerOfConversion(pool: Pool, conversionId: string): Promise<LedgerEntry[]> {
  const { rows } = await pool.query<LedgerRow>(
    `SELECT id, user_id, conversion_id, kind, points::text, reason, created_at FROM ledger_entries
     WHERE conversion_id = $1 ORDER BY id`,
    [conversionId],
  )
  return rows.map(toLedger)
}

export async function userAccount(
  pool: Pool,
  userId: string,
  before: string | undefined,
  limit: number,
) {
  const balance = await pool.query<{ points: string }>(
    'SELECT points::text FROM balances WHERE user_id = $1',
    [userId],
  )
  const { rows } = await pool.query<LedgerRow>(
    `SELECT id, user_id, conversion_id, kind, points::text, reason, created_at FROM ledger_entries
     WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint) ORDER BY id DESC LIMIT $3`,
    [userId, before ?? null, limit],
  )
  return { balance: balance.rows[0]?.points ?? null, entries: rows.map(toLedger) }
}

type LedgerRow = {
  id: string
  user_id: string
  conversion_id: string | null
  kind: string
  points: string
  reason: string | null
  created_at: Date
}

function toLedger(row: LedgerRow): LedgerEntry {
  return {
    id: row.id,
    userId: row.user_id,
    conversionId: row.conversion_id,
    kind: row.kind,
    points: row.points,
    reason: row.reason,
    createdAt: row.created_at,
  }
}

function toConversion(row: Row): Conversion {
  return {
    id: row.id,
    network: row.network,
    txId: row.tx_id,
    offerId: row.offer_id,
    userId: row.user_id,
    payout: normalizeDecimal(row.payout),
    currency: row.currency,
    points: row.points,
    status: row.status,
    networkStatus: row.network_status,
    holdReason: row.hold_reason,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}
