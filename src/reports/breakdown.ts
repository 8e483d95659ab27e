import type { Pool } from 'pg'
import { addDecimals, compareDecimals, normalizeDecimal } from '../ledger/decimal.js'
import type { ReportRange } from './range.js'
import { reportQuery } from './session.js'

// Conversions recorded in a report's range (by created_at, the time the first postback arrived),
// grouped by network, offer, local day or user. Per group: how many, how many approved and
// reversed, the points credited and still standing, and the revenue: the payouts of approved
// conversions, summed per currency (never added across currencies). Sums are exact: numeric and
// bigint in SQL, decimal and integer strings in the answer.

export const BREAKDOWNS = ['network', 'offer', 'day', 'user'] as const
export type Breakdown = (typeof BREAKDOWNS)[number]
export const SORTS = ['key', 'conversions', 'approved', 'points', 'revenue'] as const
export type Sort = (typeof SORTS)[number]
export type Order = 'asc' | 'desc'

/** Revenue in one currency; currency null: the network sent none. */
export type Money = { currency: string | null; amount: string }

export type BreakdownRow = {
  key: string
  conversions: number
  approved: number
  reversed: number
  /** Points credited by these conversions and not reversed, as an integer string. */
  points: string
  revenue: Money[]
}

export type BreakdownQuery = {
  by: Breakdown
  sort: Sort
  order: Order
  /** The currency a revenue sort compares (null: conversions without one). */
  currency: string | null
  limit: number
  offset: number
}

// Only these fixed texts reach the SQL; every value is a parameter. $3 is the time zone.
const KEYS: Record<Breakdown, string> = {
  network: 'network',
  offer: "network || ' / ' || COALESCE(offer_id, '-')",
  day: '(created_at AT TIME ZONE $3)::date',
  user: 'user_id',
}
// The outer query qualifies them (grouped.points): its own output column points is text.
const ORDER_BY: Record<Sort, string> = {
  key: 'key',
  conversions: 'conversions',
  approved: 'approved',
  points: 'points',
  revenue: 'sort_revenue',
}

export async function loadBreakdown(
  pool: Pool,
  range: ReportRange,
  query: BreakdownQuery,
): Promise<{ rows: BreakdownRow[]; more: boolean }> {
  const direction = query.order === 'asc' ? 'ASC' : 'DESC'
  // Revenue per currency is built only for the rows of the page (a JSON list for each of half
  // a million users cost seconds); the sort and the page come from one value per group.
  const { rows } = await reportQuery(pool, (client) =>
    client.query<{
      key: string
      conversions: number
      approved: number
      reversed: number
      points: string
      revenue: { currency: string | null; amount: string }[] | null
    }>(
      `WITH per_currency AS (
         SELECT ${KEYS[query.by]} AS key, currency,
                count(*) AS conversions,
                count(*) FILTER (WHERE status = 'approved') AS approved,
                count(*) FILTER (WHERE status = 'reversed') AS reversed,
                COALESCE(sum(credit_points) FILTER (WHERE NOT reversed), 0) AS points,
                sum(payout) FILTER (WHERE status = 'approved') AS revenue
         FROM conversions
         WHERE created_at >= $1 AND created_at < $2 AND $3::text IS NOT NULL
           ${query.by === 'user' ? 'AND user_id IS NOT NULL' : ''}
         GROUP BY 1, 2
       ), grouped AS (
         SELECT key, sum(conversions)::int AS conversions, sum(approved)::int AS approved,
                sum(reversed)::int AS reversed, sum(points) AS points,
                COALESCE(sum(revenue) FILTER (WHERE currency IS NOT DISTINCT FROM $4), 0) AS sort_revenue
         FROM per_currency GROUP BY key
         ORDER BY ${ORDER_BY[query.sort]} ${direction}, key ASC
         LIMIT $5 OFFSET $6
       )
       SELECT ${query.by === 'day' ? "to_char(grouped.key, 'YYYY-MM-DD')" : 'grouped.key'} AS key,
              grouped.conversions, grouped.approved, grouped.reversed, grouped.points::text AS points,
              json_agg(json_build_object('currency', p.currency, 'amount', p.revenue::text)
                       ORDER BY p.currency NULLS LAST) FILTER (WHERE p.revenue IS NOT NULL) AS revenue
       FROM grouped LEFT JOIN per_currency p ON p.key = grouped.key
       GROUP BY grouped.key, grouped.conversions, grouped.approved, grouped.reversed,
                grouped.points, grouped.sort_revenue
       ORDER BY grouped.${ORDER_BY[query.sort]} ${direction}, grouped.key ASC`,
      [range.start, range.end, range.timeZone, query.currency, query.limit + 1, query.offset],
    ),
  )
  return {
    rows: rows.slice(0, query.limit).map((row) => ({
      key: row.key,
      conversions: row.conversions,
      approved: row.approved,
      reversed: row.reversed,
      points: row.points,
      revenue: (row.revenue ?? []).map((m) => ({
        currency: m.currency,
        amount: normalizeDecimal(m.amount),
      })),
    })),
    more: rows.length > query.limit,
  }
}

export type Totals = Omit<BreakdownRow, 'key'>

/** The whole range: the sum of every network's row (each conversion has exactly one network). */
export function totalsOf(rows: readonly BreakdownRow[]): Totals {
  const revenue = new Map<string | null, string>()
  let points = 0n
  const totals = { conversions: 0, approved: 0, reversed: 0 }
  for (const row of rows) {
    totals.conversions += row.conversions
    totals.approved += row.approved
    totals.reversed += row.reversed
    points += BigInt(row.points)
    for (const m of row.revenue)
      revenue.set(m.currency, addDecimals(revenue.get(m.currency) ?? '0', m.amount))
  }
  return {
    ...totals,
    points: points.toString(),
    revenue: [...revenue]
      .map(([currency, amount]) => ({ currency, amount }))
      .sort((a, b) => (a.currency ?? '\uffff').localeCompare(b.currency ?? '\uffff')),
  }
}

/**
 * Rows already loaded, sorted as loadBreakdown's ORDER BY sorts them (the column, then the key
 * A to Z): the Reports page sorts the network rows it loaded for the totals instead of reading
 * the range again.
 */
export function sortRows(
  rows: readonly BreakdownRow[],
  sort: Sort,
  order: Order,
  currency: string | null,
): BreakdownRow[] {
  const revenueOf = (row: BreakdownRow) =>
    row.revenue.find((m) => m.currency === currency)?.amount ?? '0'
  const compare = (a: BreakdownRow, b: BreakdownRow): number => {
    switch (sort) {
      case 'key':
        return 0
      case 'points':
        return compareDecimals(a.points, b.points) // never negative: credits not reversed
      case 'revenue':
        return compareDecimals(revenueOf(a), revenueOf(b))
      default:
        return a[sort] - b[sort]
    }
  }
  const byKey = (a: BreakdownRow, b: BreakdownRow) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
  return [...rows].sort((a, b) => {
    const primary = sort === 'key' ? byKey(a, b) : compare(a, b)
    return (order === 'asc' ? primary : -primary) || byKey(a, b)
  })
}
