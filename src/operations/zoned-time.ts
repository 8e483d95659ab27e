// Times as a spreadsheet in the operator's time zone wants them: "2026-11-25 09:03:05", the
// wall-clock time there (a cell that sorts and that spreadsheets read as a date). The UTC
// instant stays in its own ISO 8601 column beside it.

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
