import type { Pool } from 'pg'
import { z } from 'zod'
import { parseRow } from '../db/row-schema.js'

// ledger_entries and balances as the admin API and the dashboard read them: one column list,
// one row schema, one mapper. Points are bigints, kept as decimal strings here.

export const LEDGER_KINDS = ['credit', 'reversal', 'adjustment'] as const

/** No cast on id: `ORDER BY id` would sort by a text alias; pg gives bigint as text anyway. */
export const LEDGER_COLUMNS = `id, user_id, conversion_id, kind, points::text, reason, created_at`

const integer = z.string().regex(/^-?\d+$/, 'must be an integer')

/** A row as selected with LEDGER_COLUMNS; test/conversions checks it against the table. */
export const ledgerRowSchema = z.object({
  id: z.string().regex(/^\d+$/),
  user_id: z.string(),
  conversion_id: z.string().regex(/^\d+$/).nullable(),
  kind: z.enum(LEDGER_KINDS),
  points: integer,
  reason: z.string().nullable(),
  created_at: z.date(),
})

export type LedgerEntry = {
  id: string
  userId: string
  /** Null for a manual adjustment. */
  conversionId: string | null
  kind: (typeof LEDGER_KINDS)[number]
  points: string
  reason: string | null
  createdAt: Date
}

export function toLedgerEntry(raw: unknown): LedgerEntry {
  const row = parseRow('ledger_entries', ledgerRowSchema, raw)
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

/** A user's entries, newest first, a page at a time (keyset on id). */
export async function ledgerOfUser(
  pool: Pool,
  userId: string,
  before: string | undefined,
  limit: number,
): Promise<LedgerEntry[]> {
  const { rows } = await pool.query(
    `SELECT ${LEDGER_COLUMNS} FROM ledger_entries
     WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint) ORDER BY id DESC LIMIT $3`,
    [userId, before ?? null, limit],
  )
  return rows.map(toLedgerEntry)
}

export async function ledgerOfConversion(pool: Pool, conversionId: string): Promise<LedgerEntry[]> {
  const { rows } = await pool.query(
    `SELECT ${LEDGER_COLUMNS} FROM ledger_entries WHERE conversion_id = $1 ORDER BY id`,
    [conversionId],
  )
  return rows.map(toLedgerEntry)
}

const balanceRowSchema = z.object({ points: integer })

/** The user's balance in points, or null when they have none yet. */
export async function balanceOf(pool: Pool, userId: string): Promise<string | null> {
  const { rows } = await pool.query('SELECT points::text FROM balances WHERE user_id = $1', [
    userId,
  ])
  return rows[0] ? parseRow('balances', balanceRowSchema, rows[0]).points : null
}
