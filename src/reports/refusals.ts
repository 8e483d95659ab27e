import type { Pool } from 'pg'
import type { ReportRange } from './range.js'
import { reportQuery } from './session.js'

// How many of the requests each network sent were refused, per local day: a rising share points
// at a changed secret, a new parameter name or a network sending from new addresses. Only the
// networks' own requests count (an operator's replay is a row of its own, with replay_of).

export type RefusalDay = {
  network: string
  /** Local date, YYYY-MM-DD, in the report's time zone. */
  day: string
  postbacks: number
  refused: number
  /** refused / postbacks, 4 decimals (0.0525 is 5.25 %). */
  refusedShare: number
}

export async function refusalRates(pool: Pool, range: ReportRange): Promise<RefusalDay[]> {
  const { rows } = await reportQuery(pool, (client) =>
    client.query<{
      network: string
      day: string
      postbacks: number
      refused: number
    }>(
      `SELECT network, to_char(day, 'YYYY-MM-DD') AS day, postbacks, refused
     FROM (SELECT COALESCE(network, '(none)') AS network,
                  (received_at AT TIME ZONE $3)::date AS day,
                  count(*)::int AS postbacks,
                  count(*) FILTER (WHERE status_code >= 400)::int AS refused
           FROM postback_log
           WHERE received_at >= $1 AND received_at < $2 AND replay_of IS NULL
           GROUP BY 1, 2) per_day
     ORDER BY network, day`,
      [range.start, range.end, range.timeZone],
    ),
  )
  return rows.map((row) => ({
    ...row,
    refusedShare: Math.round((row.refused / row.postbacks) * 10_000) / 10_000,
  }))
}
