// IANA time zones as operators name them ("UTC", "Asia/Tokyo"), and wall-clock times there.

/** Whether the runtime knows this IANA time zone. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name })
    return true
  } catch {
    return false
  }
}

/**
 * "2026-11-25 09:03:05", the wall-clock time in that zone: what a spreadsheet sorts and reads as
 * a date. Make the formatter once per zone, then format many dates with it.
 */
export function zonedTime(timeZone: string): (date: Date) => string {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  })
  return (date) => {
    const part: Record<string, string> = {}
    for (const { type, value } of format.formatToParts(date)) part[type] = value
    return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}:${part.second}`
  }
}

/** "2026-11-25 23:30" in that zone, to the minute, for a date shown beside its zone. */
export function localTime(timeZone: string, at: Date): string {
  return zonedTime(timeZone)(at).slice(0, 16)
}

/** "GMT+09:00" ("GMT" for UTC itself) at that instant. */
export function utcOffset(timeZone: string, at: Date): string {
  const parts = new Intl.DateTimeFormat('en', { timeZone, timeZoneName: 'longOffset' })
  return parts.formatToParts(at).find((part) => part.type === 'timeZoneName')?.value ?? 'GMT'
}
