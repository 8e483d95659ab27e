import type { Pool } from 'pg'
import { utcOffset } from '../lib/time-zone.js'

// A report covers whole local days in one time zone: today, yesterday, the last 7 or 30 days
// (today included) or a custom range of dates. PostgreSQL turns them into instants (AT TIME
// ZONE, with its own zone database), so the range's edges and the day buckets of every query
// agree, across daylight-saving changes too.

export const RANGES = ['today', 'yesterday', '7d', '30d', 'custom'] as const
export type RangeKey = (typeof RANGES)[number]

/** The longest custom range, in days: a report's queries read every row of their range. */
export const MAX_RANGE_DAYS = 366

export type RangeInput = {
  range: RangeKey
  /** Local dates (YYYY-MM-DD), both included; custom ranges only. */
  from?: string
  to?: string
  timeZone: string
}

export type ReportRange = {
  range: RangeKey
  timeZone: string
  /** "GMT+09:00": the zone's offset at the start of the range, for labels. */
  utcOffset: string
  /** First and last local date, both included. */
  from: string
  to: string
  /** The instants the range starts at (included) and ends at (excluded). */
  start: Date
  end: Date
}

export async function resolveRange(pool: Pool, input: RangeInput, now: Date): Promise<ReportRange> {
  const { rows } = await pool.query<{ from: string; to: string; start: Date; end: Date }>(
    `WITH today AS (SELECT ($1::timestamptz AT TIME ZONE $2)::date AS t),
     days AS (
       SELECT CASE $3 WHEN 'today' THEN t WHEN 'yesterday' THEN t - 1 WHEN '7d' THEN t - 6
                      WHEN '30d' THEN t - 29 ELSE $4::date END AS first,
              CASE $3 WHEN 'yesterday' THEN t - 1 WHEN 'custom' THEN $5::date ELSE t END AS last
       FROM today
     )
     SELECT to_char(first, 'YYYY-MM-DD') AS from, to_char(last, 'YYYY-MM-DD') AS to,
            first::timestamp AT TIME ZONE $2 AS start, (last + 1)::timestamp AT TIME ZONE $2 AS end
     FROM days`,
    [now, input.timeZone, input.range, input.from ?? null, input.to ?? null],
  )
  const row = rows[0]
  if (!row) throw new Error('the range query returned no row')
  return {
    range: input.range,
    timeZone: input.timeZone,
    utcOffset: utcOffset(input.timeZone, row.start),
    from: row.from,
    to: row.to,
    start: row.start,
    end: row.end,
  }
}
