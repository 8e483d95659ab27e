import type { Pool } from 'pg'
import { zonedTime } from '../lib/time-zone.js'
import { type LogFilter, listLog } from '../postback-log/queries.js'
import type { LogEntry } from '../postback-log/rows.js'
import { csvLine, spreadsheetSafe } from './csv.js'

// The postback log as CSV, oldest first, read in keyset pages (id order) through the log's one
// read model, so an export of any size holds one page in memory. The stored requests are the
// redacted ones (secrets and signatures never reached the table). As exportConversions does,
// the first page is read before anything is sent: a database that is down is a clean 503.

const PAGE = 1000
const COLUMNS = [
  'id',
  'received_at',
  'received_at_local',
  'network',
  'status_code',
  'outcome',
  'message',
  'tx_id',
  'conversion_id',
  'user_id',
  'offer_id',
  'payout',
  'method',
  'path',
  'query',
  'body',
  'headers',
  'source_ip',
  'caller_verified',
  'replay_of',
  'replayed_by',
]

export type LogExport = Omit<LogFilter, 'before' | 'after'> & { timeZone: string }

export async function exportLog(pool: Pool, filter: LogExport): Promise<AsyncIterable<string>> {
  const local = zonedTime(filter.timeZone)
  const page = (after: string) => listLog(pool, { ...filter, after }, PAGE, 'oldest-first')
  const first = await page('0')
  return (async function* () {
    yield csvLine(COLUMNS)
    let entries = first
    while (entries.length > 0) {
      yield entries.map((e) => toCsv(e, local)).join('')
      if (entries.length < PAGE) return
      entries = await page(entries[entries.length - 1]?.id ?? '0')
    }
  })()
}

/** Every text cell is defused (it came from a network); numbers and our own codes are not. */
function toCsv(e: LogEntry, local: (date: Date) => string): string {
  const text = spreadsheetSafe
  return csvLine([
    e.id,
    e.receivedAt.toISOString(),
    local(e.receivedAt),
    text(e.network),
    e.statusCode,
    text(e.outcome),
    text(e.message),
    text(e.txId),
    e.conversionId,
    text(e.conversion?.userId ?? null),
    text(e.conversion?.offerId ?? null),
    e.conversion?.payout ?? null,
    e.method,
    text(e.path),
    text(e.query),
    text(e.body),
    text(JSON.stringify(e.headers)),
    text(e.sourceIp),
    e.callerVerified ? 'true' : 'false',
    e.replayOf,
    text(e.replayedBy),
  ])
}
