import { z } from 'zod'
import { isTimeZone } from '../lib/time-zone.js'
import { MAX_RANGE_DAYS, RANGES } from './range.js'

// The query parameters a report takes, shared by the admin API and the dashboard: a bad value is
// a 400 naming the field (API) or an error page saying what is wrong (dashboard).

/** A real calendar date, YYYY-MM-DD (2026-02-30 is refused here, not by the database). */
export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date such as 2026-11-25')
  .refine(isCalendarDate, 'must be a date that exists, such as 2026-11-25')

function isCalendarDate(text: string): boolean {
  const date = new Date(`${text}T00:00:00Z`)
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text
}

/** An IANA zone, the operator's REPORT_TIMEZONE when absent. */
export const reportZone = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine(isTimeZone, 'must be an IANA time zone such as UTC or Asia/Tokyo')
    .describe(`IANA time zone of the days; default REPORT_TIMEZONE (here ${fallback})`)

/** range, from, to, tz; custom needs from and to, at most MAX_RANGE_DAYS days apart. */
export function rangeFields(fallbackZone: string) {
  return {
    range: z
      .enum(RANGES)
      .default('7d')
      .describe('today, yesterday, the last 7 or 30 days (today included), or custom (from, to)'),
    from: isoDate.optional().describe('custom range: first local date, included'),
    to: isoDate.optional().describe('custom range: last local date, included'),
    tz: reportZone(fallbackZone),
  }
}

type RangeValues = { range: string; from?: string; to?: string }

/** The checks across fields of a custom range, as issues on the field to fix. */
export function checkRange(value: RangeValues, ctx: z.RefinementCtx) {
  if (value.range !== 'custom') return
  if (!value.from)
    ctx.addIssue({ code: 'custom', path: ['from'], message: 'is required when range is custom' })
  if (!value.to)
    ctx.addIssue({ code: 'custom', path: ['to'], message: 'is required when range is custom' })
  // A date that failed its own check is named there already.
  if (!value.from || !value.to || !isCalendarDate(value.from) || !isCalendarDate(value.to)) return
  const days = (Date.parse(value.to) - Date.parse(value.from)) / 86_400_000 + 1
  if (days < 1) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' })
  else if (days > MAX_RANGE_DAYS)
    ctx.addIssue({
      code: 'custom',
      path: ['to'],
      message: `must be at most ${MAX_RANGE_DAYS} days after from`,
    })
}
