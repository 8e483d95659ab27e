// A small streaming CSV reader (RFC 4180: quoted fields, "" escapes, delimiters and newlines
// inside quotes, CRLF or LF, a leading BOM) and the cells we write. Records come out in
// batches, one per input chunk, so a million-row report never sits in memory.

export type CsvRecord = {
  /** 1-based line where the record starts. */ line: number
  fields: string[]
}

export class CsvError extends Error {
  override name = 'CsvError'
}

const QUOTE = 34
const LF = 10
const CR = 13

/** Yields the records of each chunk of text as they complete. Blank lines are skipped. */
export async function* readCsv(
  chunks: AsyncIterable<string | Buffer>,
  delimiter = ',',
): AsyncGenerator<CsvRecord[]> {
  const delim = delimiter.charCodeAt(0)
  let fields: string[] = []
  let field = ''
  let quoted = false // inside a quoted field
  let closed = false // just after a closing quote: a second quote is an escaped one
  let skipLf = false // a CR ended the record; the LF of a CRLF follows
  let physical = 1
  let recordLine = 1
  let first = true
  for await (const received of chunks) {
    let chunk = typeof received === 'string' ? received : received.toString('utf8')
    if (first) {
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1)
      first = false
    }
    const batch: CsvRecord[] = []
    let start = 0 // where the unconsumed text of the current field begins in this chunk
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i)
      if (skipLf) {
        skipLf = false
        if (c === LF) {
          start = i + 1
          continue
        }
      }
      if (quoted) {
        if (c === QUOTE) {
          field += chunk.slice(start, i)
          quoted = false
          closed = true
          start = i + 1
        } else if (c === LF) physical += 1
        continue
      }
      if (c === QUOTE) {
        if (closed) {
          field += '"' // "" inside a quoted field
          quoted = true
          closed = false
          start = i + 1
        } else if (field === '' && i === start) {
          quoted = true
          start = i + 1
        } // a quote inside an unquoted field is kept as text
        continue
      }
      closed = false
      if (c === delim) {
        fields.push(field + chunk.slice(start, i))
        field = ''
        start = i + 1
      } else if (c === LF || c === CR) {
        fields.push(field + chunk.slice(start, i))
        field = ''
        start = i + 1
        if (fields.length > 1 || fields[0] !== '') batch.push({ line: recordLine, fields })
        fields = []
        physical += 1
        recordLine = physical
        skipLf = c === CR
      }
    }
    field += chunk.slice(start)
    if (batch.length > 0) yield batch
  }
  if (quoted) throw new CsvError(`line ${recordLine}: a quoted field is never closed`)
  if (fields.length > 0 || field !== '') {
    fields.push(field)
    yield [{ line: recordLine, fields }]
  }
}

/** Finds each wanted column in the header (case and surrounding spaces ignored). */
export function columnIndex(header: string[], name: string): number {
  const wanted = name.trim().toLowerCase()
  return header.findIndex((column) => column.trim().toLowerCase() === wanted)
}

/** One CSV line: fields quoted when they must be. */
export function csvLine(values: readonly (string | number | bigint | null | undefined)[]): string {
  return `${values.map(csvCell).join(',')}\r\n`
}

function csvCell(value: string | number | bigint | null | undefined): string {
  if (value === null || value === undefined) return ''
  const text = String(value)
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

/**
 * Text that came from a network (tx ids, user ids): a leading =, +, -, @ would make a
 * spreadsheet run it as a formula, so it gets a leading apostrophe (OWASP's CSV advice).
 */
export function spreadsheetSafe(text: string | null): string | null {
  return text !== null && /^[=+\-@\t\r]/.test(text) ? `'${text}` : text
}
