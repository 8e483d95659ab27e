import type { Pool } from 'pg'
import {
  type Breakdown,
  type BreakdownRow,
  loadBreakdown,
  type Order,
  type Sort,
} from './breakdown.js'
import { type RangeInput, type ReportRange, resolveRange } from './range.js'

// What the admin API and the dashboard both ask of a report: one breakdown with its defaults.

export type BreakdownRequest = {
  by: Breakdown
  sort?: Sort
  order?: Order
  /** Absent: the range's main currency (looked up when a revenue sort needs it). */
  currency?: string | null
  limit: number
  offset: number
}

/** Days read in time order; everything else biggest revenue first. */
export function defaultSort(by: Breakdown): { sort: Sort; order: Order } {
  return by === 'day' ? { sort: 'key', order: 'asc' } : { sort: 'revenue', order: 'desc' }
}

export async function breakdownOf(
  pool: Pool,
  range: ReportRange,
  request: BreakdownRequest,
): Promise<{
  by: Breakdown
  sort: Sort
  order: Order
  currency: string | null
  rows: BreakdownRow[]
  more: boolean
}> {
  const fallback = defaultSort(request.by)
  const sort = request.sort ?? fallback.sort
  const order = request.order ?? (request.sort ? 'desc' : fallback.order)
  const currency =
    request.currency !== undefined
      ? request.currency
      : sort === 'revenue'
        ? await mainCurrency(pool, range)
        : null
  const result = await loadBreakdown(pool, range, {
    by: request.by,
    sort,
    order,
    currency,
    limit: request.limit,
    offset: request.offset,
  })
  return { by: request.by, sort, order, currency, ...result }
}

/** The currency the approved conversions of the range earned most in. */
async function mainCurrency(pool: Pool, range: ReportRange): Promise<string | null> {
  const { rows } = await pool.query<{ currency: string | null }>(
    `SELECT currency FROM conversions
     WHERE created_at >= $1 AND created_at < $2 AND status = 'approved' AND payout IS NOT NULL
     GROUP BY currency ORDER BY sum(payout) DESC, currency NULLS LAST LIMIT 1`,
    [range.start, range.end],
  )
  return rows[0]?.currency ?? null
}

export { type RangeInput, resolveRange }
