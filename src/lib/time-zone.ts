/** Whether the runtime knows this IANA time zone ("UTC", "Asia/Tokyo"). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name })
    return true
  } catch {
    return false
  }
}
