import type { Pool, PoolClient } from 'pg'
import { z } from 'zod'
import { parseRow } from '../db/row-schema.js'
import { normalizeDecimal } from '../ledger/decimal.js'

// The conversions table as every reader sees it: the admin API (JSON), the dashboard (HTML),
// the CSV export and review. One column list, one row schema (nullability as the migrations
// leave it: reward-only networks store no payout and no offer id), one mapper.

export const CONVERSION_STATUSES = ['pending', 'approved', 'held', 'rejected', 'reversed'] as const
export type ConversionStatus = (typeof CONVERSION_STATUSES)[number]

/**
 * Named columns, so columns added later are read only once the schema below knows them. No
 * cast on id: `ORDER BY id` would sort by a text alias ('9' after '12'); pg gives bigint as text.
 */
export const CONVERSION_COLUMNS = `id, network, tx_id, offer_id, user_id, click_id,
  payout::text, currency, points::text, status, network_status, hold_reason,
  sub1, sub2, sub3, sub4, sub5, created_at, updated_at`

const optional = z.string().nullable()

/** A row as selected with CONVERSION_COLUMNS; test/conversions checks it against the table. */
export const conversionRowSchema = z.object({
  id: z.string().regex(/^\d+$/),
  network: z.string(),
  tx_id: z.string(),
  offer_id: optional,
  user_id: optional,
  click_id: optional,
  payout: z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be an unsigned decimal')
    .nullable(),
  currency: optional,
  points: z.string().regex(/^-?\d+$/, 'must be an integer'),
  status: z.enum(CONVERSION_STATUSES),
  network_status: optional,
  hold_reason: optional,
  sub1: optional,
  sub2: optional,
  sub3: optional,
  sub4: optional,
  sub5: optional,
  created_at: z.date(),
  updated_at: z.date(),
})

export type Conversion = {
  id: string
  network: string
  txId: string
  /** Null when the network sends none (most reward networks). */
  offerId: string | null
  userId: string | null
  clickId: string | null
  /** Trailing zeros dropped ("3.5"); null for reward-only networks (Tapjoy, BitLabs without raw). */
  payout: string | null
  currency: string | null
  /** A bigint, as its decimal string. */
  points: string
  status: ConversionStatus
  networkStatus: string | null
  holdReason: string | null
  subs: [string | null, string | null, string | null, string | null, string | null]
  createdAt: Date
  updatedAt: Date
}

export function toConversion(raw: unknown): Conversion {
  const row = parseRow('conversions', conversionRowSchema, raw)
  return {
    id: row.id,
    network: row.network,
    txId: row.tx_id,
    offerId: row.offer_id,
    userId: row.user_id,
    clickId: row.click_id,
    payout: row.payout === null ? null : normalizeDecimal(row.payout),
    currency: row.currency,
    points: row.points,
    status: row.status,
    networkStatus: row.network_status,
    holdReason: row.hold_reason,
    subs: [row.sub1, row.sub2, row.sub3, row.sub4, row.sub5],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }
}

export type ConversionSearch = {
  network?: string
  txId?: string
  userId?: string
  offerId?: string
  status?: string
  /** Keyset page: ids below this one. */
  before?: string
}

/** Newest first; tx id and user use their indexes, an offer alone scans newest-first to the limit. */
export async function searchConversions(
  pool: Pool,
  search: ConversionSearch,
  limit: number,
): Promise<Conversion[]> {
  const { rows } = await pool.query(
    `SELECT ${CONVERSION_COLUMNS} FROM conversions
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
  const { rows } = await pool.query(`SELECT ${CONVERSION_COLUMNS} FROM conversions WHERE id = $1`, [
    id,
  ])
  return rows[0] ? toConversion(rows[0]) : null
}

/** The conversion, locked until the caller's transaction ends. */
export async function lockConversion(client: PoolClient, id: string): Promise<Conversion | null> {
  const { rows } = await client.query(
    `SELECT ${CONVERSION_COLUMNS} FROM conversions WHERE id = $1 FOR UPDATE`,
    [id],
  )
  return rows[0] ? toConversion(rows[0]) : null
}
