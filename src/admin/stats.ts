import type { Pool } from 'pg'
import { normalizeDecimal } from '../ledger/decimal.js'

export type StatsQuery = {
  /** Local date or date-time in `timeZone` ("2026-11-25" or "2026-11-25T08:00"); default: 24 h ago. */
  from?: string
  to?: string
  by: 'network' | 'offer' | 'day'
  timeZone: string
}

const GROUP_KEYS = {
  network: 'network',
  offer: "network || ' / ' || COALESCE(offer_id, '-')",
  day: "to_char(created_at AT TIME ZONE $3, 'YYYY-MM-DD')",
} as const

/** Conversions per network, offer or local day, to compare with a network's own dashboard. */
export async function conversionStats(pool: Pool, query: StatsQuery) {
  const { rows } = await pool.query<{
    key: string
    conversions: number
    approved: number
    pending: number
    held: number
    rejected: number
    reversed: number
    approved_payout: string
    approved_points: string
    from: Date
    to: Date
  }>(
    `WITH period AS (
       SELECT COALESCE($1::timestamp AT TIME ZONE $3, now() - interval '24 hours') AS from_ts,
              COALESCE($2::timestamp AT TIME ZONE $3, now()) AS to_ts
     )
     SELECT ${GROUP_KEYS[query.by]} AS key,
            count(*)::int AS conversions,
            count(*) FILTER (WHERE status = 'approved')::int AS approved,
            count(*) FILTER (WHERE status = 'pending')::int AS pending,
            count(*) FILTER (WHERE status = 'held')::int AS held,
            count(*) FILTER (WHERE status = 'rejected')::int AS rejected,
            count(*) FILTER (WHERE status = 'reversed')::int AS reversed,
            COALESCE(sum(payout) FILTER (WHERE status = 'approved'), 0)::text AS approved_payout,
            COALESCE(sum(points) FILTER (WHERE status = 'approved'), 0)::text AS approved_points,
            min(period.from_ts) AS from, min(period.to_ts) AS to
     FROM conversions, period
     WHERE created_at >= period.from_ts AND created_at < period.to_ts
     GROUP BY 1 ORDER BY 1`,
    [query.from ?? null, query.to ?? null, query.timeZone],
  )
  return {
    by: query.by,
    timeZone: query.timeZone,
    rows: rows.map((row) => ({
      key: row.key,
      conversions: row.conversions,
      approved: row.approved,
      pending: row.pending,
      held: row.held,
      rejected: row.rejected,
      reversed: row.reversed,
      approvedPayout: normalizeDecimal(row.approved_payout),
      approvedPoints: Number(row.approved_points),
    })),
  }
}
