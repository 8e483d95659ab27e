// How a network's report writes its dates. Exports differ by network and by the account's
// locale: ISO 8601 ("2026-11-25 14:03:05", often with an offset), day first
// ("25/11/2026 14:03" in European dashboards, "25.11.2026" in German ones), month first
// ("11/25/2026 2:03:05 PM" in US exports and Excel), or a Unix time in seconds (or
// milliseconds from JavaScript dashboards). A date is normalized to the ISO form PostgreSQL
// casts, before it leaves the process; `auto` reads ISO 8601 and Unix seconds, never guesses
// between day and month first.

export const DATE_FORMATS = [
  'auto',
  'iso',
  'DD/MM/YYYY',
  'DD.MM.YYYY',
  'MM/DD/YYYY',
  'unix',
  'unix-ms',
] as const
export type DateFormat = (typeof DATE_FORMATS)[number]

export type ReportDate = {
  /** ISO date or date-time (local unless `zoned`), or null when the cell is empty. */
  date: string | null
  zoned: boolean
  /** A date without a time of day: the period then covers that whole day. */
  dateOnly: boolean
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?)?$/
const ZONE = /(Z|[+-]\d{2}(:?\d{2})?)$/
const EPOCH = /^\d{9,10}$/
const EPOCH_MS = /^\d{12,13}$/
// A time after a day-first or month-first date: 14:03, 14:03:05, 2:03:05 PM.
const TIME = String.raw`(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp][Mm]))?)?`
const DAY_FIRST = {
  'DD/MM/YYYY': new RegExp(String.raw`^(\d{1,2})/(\d{1,2})/(\d{4})${TIME}$`),
  'DD.MM.YYYY': new RegExp(String.raw`^(\d{1,2})\.(\d{1,2})\.(\d{4})${TIME}$`),
}
const MONTH_FIRST = new RegExp(String.raw`^(\d{1,2})/(\d{1,2})/(\d{4})${TIME}$`)

/** The cell's date in ISO form, or 'invalid' when it is not a date in `format`. */
export function parseReportDate(text: string | null, format: DateFormat): ReportDate | 'invalid' {
  if (text === null) return { date: null, zoned: false, dateOnly: false }
  if (format === 'unix' || (format === 'auto' && EPOCH.test(text)))
    return EPOCH.test(text) ? fromEpoch(Number(text) * 1000) : 'invalid'
  if (format === 'unix-ms') return EPOCH_MS.test(text) ? fromEpoch(Number(text)) : 'invalid'
  if (format === 'auto' || format === 'iso') return isoDate(text)
  const match = format === 'MM/DD/YYYY' ? MONTH_FIRST.exec(text) : DAY_FIRST[format].exec(text)
  if (!match) return 'invalid'
  const [, first = '', second = '', year = '', h, mi, s = '0', half] = match
  const [day, month] = format === 'MM/DD/YYYY' ? [second, first] : [first, second]
  let hour = h === undefined ? undefined : Number(h)
  if (hour !== undefined && half) {
    if (hour < 1 || hour > 12) return 'invalid'
    hour = (hour % 12) + (/p/i.test(half) ? 12 : 0)
  }
  const iso = `${year}-${pad(month)}-${pad(day)}${hour === undefined ? '' : ` ${pad(hour)}:${mi}:${pad(s)}`}`
  return isoDate(iso)
}

function isoDate(text: string): ReportDate | 'invalid' {
  const zone = ZONE.exec(text)
  // An offset only counts after a time of day: "2026-11-25" ends in "-25", not an offset.
  const zoned = zone !== null && /\d{2}:\d{2}/.test(text.slice(0, zone.index))
  const local = zoned ? text.slice(0, zone?.index).trim() : text
  const match = ISO.exec(local)
  if (!match) return 'invalid'
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = match
  const day = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d)))
  if (
    day.getUTCMonth() !== Number(mo) - 1 ||
    day.getUTCDate() !== Number(d) ||
    Number(h) > 23 ||
    Number(mi) > 59 ||
    Number(s) > 59
  ) {
    return 'invalid'
  }
  return { date: text, zoned, dateOnly: match[4] === undefined }
}

function fromEpoch(ms: number): ReportDate {
  return { date: new Date(ms).toISOString(), zoned: true, dateOnly: false }
}

function pad(value: string | number): string {
  return String(value).padStart(2, '0')
}
