import type { Pool } from 'pg'

// A range as operators give it (local dates or date-times in an IANA time zone, as the admin
// API's from/to/tz and the exports take it) turned into instants by PostgreSQL's own zone
// rules, so daylight-saving days come out right. A date-only `to` includes that whole day.

export type LocalRange = { from?: string; to?: string; timeZone: string }
export type Instants = { since?: string; until?: string }

export async function resolveRange(pool: Pool, range: LocalRange): Promise<Instants> {
  if (range.from === undefined && range.to === undefined) return {}
  const { rows } = await pool.query<{ since: Date | null; until: Date | null }>(
    `SELECT $1::timestamp AT TIME ZONE $3 AS since,
            ($2::timestamp + CASE WHEN $4 THEN interval '1 day' ELSE interval '0' END)
              AT TIME ZONE $3 AS until`,
    [
      range.from ?? null,
      range.to ?? null,
      range.timeZone,
      range.to !== undefined && !range.to.includes('T'),
    ],
  )
  const row = rows[0]
  return {
    ...(row?.since ? { since: row.since.toISOString() } : {}),
    ...(row?.until ? { until: row.until.toISOString() } : {}),
  }
}
