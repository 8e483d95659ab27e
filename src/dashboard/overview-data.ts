import type { Pool } from 'pg'
import { checkVolumes } from '../watchdog/watchdog.js'
import { deliveryCounts } from './deliveries-data.js'

export type Period = { key: string; seconds: number; bucketSeconds: number }

export const OVERVIEW_PERIODS: Period[] = [
  { key: '1h', seconds: 3600, bucketSeconds: 300 },
  { key: '24h', seconds: 86_400, bucketSeconds: 3600 },
  { key: '7d', seconds: 7 * 86_400, bucketSeconds: 6 * 3600 },
  { key: '30d', seconds: 30 * 86_400, bucketSeconds: 86_400 },
]

export type Overview = {
  from: Date
  to: Date
  period: Period
  byNetwork: { network: string; outcome: string; refused: boolean; count: number }[]
  series: { ok: number; refused: number }[]
  credited: string
  reversed: string
  held: number
  /** Refused postbacks networks sent in the period: later replayed and accepted, or not (yet). */
  refusals: { replayed: number; outstanding: number }
  deliveries: { dead: number; failing: number }
  silent: { network: string; previous23Hours: number }[]
}

/** The overview's figures; the time ranges use the BRIN indexes on received_at/created_at. */
export async function loadOverview(pool: Pool, period: Period, now: Date): Promise<Overview> {
  // Buckets start on whole intervals (hours, days in UTC); the last one ends after now.
  const bucketMs = period.bucketSeconds * 1000
  const from = new Date(Math.ceil(now.getTime() / bucketMs) * bucketMs - period.seconds * 1000)
  const range = [from, now]
  const byNetwork = await pool.query<{
    network: string
    outcome: string
    refused: boolean
    count: number
  }>(
    `SELECT COALESCE(network, '(none)') AS network, outcome, status_code >= 400 AS refused, count(*)::int AS count
     FROM postback_log WHERE received_at >= $1 AND received_at < $2
     GROUP BY 1, 2, 3 ORDER BY 1, 4 DESC`,
    range,
  )
  const series = await pool.query<{ bucket: number; ok: number; refused: number }>(
    `SELECT floor(extract(epoch FROM received_at - $1::timestamptz) / $3)::int AS bucket,
            count(*) FILTER (WHERE status_code < 400)::int AS ok,
            count(*) FILTER (WHERE status_code >= 400)::int AS refused
     FROM postback_log WHERE received_at >= $1 AND received_at < $2 GROUP BY 1`,
    [...range, period.bucketSeconds],
  )
  const points = await pool.query<{ credited: string; reversed: string }>(
    `SELECT COALESCE(sum(points) FILTER (WHERE kind = 'credit'), 0)::text AS credited,
            COALESCE(sum(points) FILTER (WHERE kind = 'reversal'), 0)::text AS reversed
     FROM ledger_entries WHERE created_at >= $1 AND created_at < $2`,
    range,
  )
  // The operator's replays are rows of their own (replay_of): only the networks' requests count.
  const refusals = await pool.query<{ replayed: number; outstanding: number }>(
    `SELECT count(*) FILTER (WHERE a.id IS NOT NULL)::int AS replayed,
            count(*) FILTER (WHERE a.id IS NULL)::int AS outstanding
     FROM postback_log l
     LEFT JOIN LATERAL (SELECT r.id FROM postback_log r
                        WHERE r.replay_of = l.id AND r.status_code < 400 LIMIT 1) a ON true
     WHERE l.received_at >= $1 AND l.received_at < $2 AND l.status_code >= 400
       AND l.replay_of IS NULL`,
    range,
  )
  const held = await pool.query<{ count: number }>(
    "SELECT count(*)::int AS count FROM conversions WHERE status = 'held'",
  )
  const buckets = Math.ceil(period.seconds / period.bucketSeconds)
  const filled = Array.from({ length: buckets }, () => ({ ok: 0, refused: 0 }))
  for (const row of series.rows) {
    const slot = filled[Math.min(Math.max(row.bucket, 0), buckets - 1)]
    if (slot) {
      slot.ok += row.ok
      slot.refused += row.refused
    }
  }
  const alerts = await checkVolumes(pool, now)
  return {
    from,
    to: now,
    period,
    byNetwork: byNetwork.rows,
    series: filled,
    credited: points.rows[0]?.credited ?? '0',
    reversed: points.rows[0]?.reversed ?? '0',
    held: held.rows[0]?.count ?? 0,
    refusals: refusals.rows[0] ?? { replayed: 0, outstanding: 0 },
    deliveries: await deliveryCounts(pool),
    silent: alerts
      .filter((alert) => alert.kind === 'silent')
      .map((alert) => ({ network: alert.network, previous23Hours: alert.previous23Hours })),
  }
}
