import type { Pool } from 'pg'
import { compareDecimals } from '../ledger/decimal.js'
import { type BreakdownRow, loadBreakdown, type Totals, totalsOf } from './breakdown.js'
import type { ReportRange } from './range.js'
import { type RefusalDay, refusalRates } from './refusals.js'

export type ReportSummary = {
  range: ReportRange
  totals: Totals
  /** The currency with the most revenue in the range: what a revenue sort compares by default. */
  mainCurrency: string | null
  byNetwork: BreakdownRow[]
  refusals: RefusalDay[]
}

/** Networks are configured by the operator: this many is far more than any deployment has. */
const MAX_NETWORKS = 10_000

/** Totals (from the per-network rows: one pass over the range), and refusals per network and day. */
export async function loadReportSummary(pool: Pool, range: ReportRange): Promise<ReportSummary> {
  const [networks, refusals] = await Promise.all([
    loadBreakdown(pool, range, {
      by: 'network',
      sort: 'key',
      order: 'asc',
      currency: null,
      limit: MAX_NETWORKS,
      offset: 0,
    }),
    refusalRates(pool, range),
  ])
  const totals = totalsOf(networks.rows)
  return {
    range,
    totals,
    mainCurrency: mainCurrencyOf(totals),
    byNetwork: networks.rows,
    refusals,
  }
}

export function mainCurrencyOf(totals: Totals): string | null {
  let main: Totals['revenue'][number] | undefined
  for (const m of totals.revenue) if (!main || compareDecimals(m.amount, main.amount) > 0) main = m
  return main?.currency ?? null
}
