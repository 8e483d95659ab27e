import type { Pool } from 'pg'

// The users the ledger knows (one balances row each), for the Users page: a search on the user
// id, sorted by balance or by last activity (the last change to the balance: a credit, reversal
// or adjustment). No index serves these orders on purpose: every credit updates its balances
// row, and an index on points or updated_at would cost each one an index entry (and HOT updates).
// A page is a top-N sort of one pass over balances, measured in bench/RESULTS.md.

export type UserSort = 'balance' | 'activity' | 'user'

export type UserListQuery = {
  /** Part of the user id, any case. */
  search?: string
  sort: UserSort
  order: 'asc' | 'desc'
  limit: number
  offset: number
}

export type UserSummary = {
  userId: string
  /** Points, an integer string (a balance may pass 2^53). */
  balance: string
  lastActivityAt: Date
}

const ORDER_BY: Record<UserSort, string> = {
  balance: 'points',
  activity: 'updated_at',
  user: 'user_id',
}

export async function listUsers(
  pool: Pool,
  query: UserListQuery,
): Promise<{ items: UserSummary[]; more: boolean }> {
  const direction = query.order === 'asc' ? 'ASC' : 'DESC'
  const { rows } = await pool.query<{ user_id: string; balance: string; updated_at: Date }>(
    `SELECT user_id, points::text AS balance, updated_at FROM balances
     WHERE $1::text IS NULL OR strpos(lower(user_id), lower($1)) > 0
     ORDER BY ${ORDER_BY[query.sort]} ${direction}, user_id ASC
     LIMIT $2 OFFSET $3`,
    [query.search ?? null, query.limit + 1, query.offset],
  )
  return {
    items: rows.slice(0, query.limit).map((row) => ({
      userId: row.user_id,
      balance: row.balance,
      lastActivityAt: row.updated_at,
    })),
    more: rows.length > query.limit,
  }
}
