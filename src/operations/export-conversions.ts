import type { Pool } from 'pg'
import { CONVERSION_COLUMNS, type Conversion, toConversion } from '../conversions/rows.js'
import { zonedTime } from '../lib/time-zone.js'
import { csvLine, spreadsheetSafe } from './csv.js'

// Conversions of a period as CSV (created_at_local: the wall-clock time in the period's zone), read in keyset pages (id order), so an export of any size
// holds one page in memory. The first page is read before anything is sent: a database that
// is down is a clean 503, not a cut-off file.

export type ExportPeriod = {
  /** Local date or date-time in `timeZone`; default: 24 hours ago. */
  from?: string
  /** Exclusive; default: now. A date-only value includes that day. */
  to?: string
  timeZone: string
  network?: string
}

const PAGE = 1000
const COLUMNS = [
  'id',
  'network',
  'tx_id',
  'offer_id',
  'user_id',
  'click_id',
  'payout',
  'currency',
  'points',
  'status',
  'network_status',
  'hold_reason',
  'created_at',
  'updated_at',
  'created_at_local',
]

export async function exportConversions(
  pool: Pool,
  period: ExportPeriod,
): Promise<AsyncIterable<string>> {
  const page = (after: string) =>
    pool.query(
      `WITH bounds AS (
         SELECT COALESCE($2::timestamp AT TIME ZONE $4, now() - interval '24 hours') AS from_ts,
                COALESCE(($3::timestamp + CASE WHEN $6 THEN interval '1 day' ELSE interval '0' END)
                           AT TIME ZONE $4, now()) AS to_ts
       )
       SELECT ${CONVERSION_COLUMNS} FROM conversions, bounds
       WHERE id > $1 AND created_at >= from_ts AND created_at < to_ts
         AND ($5::text IS NULL OR network = $5)
       ORDER BY id LIMIT ${PAGE}`,
      [
        after,
        period.from ?? null,
        period.to ?? null,
        period.timeZone,
        period.network ?? null,
        period.to !== undefined && !period.to.includes(':'),
      ],
    )
  const local = zonedTime(period.timeZone)
  const toCsv = (c: Conversion) => csvLine([...cells(c), local(c.createdAt)])
  const first = (await page('0')).rows.map(toConversion)
  return (async function* () {
    yield csvLine(COLUMNS)
    let conversions = first
    while (conversions.length > 0) {
      yield conversions.map(toCsv).join('')
      if (conversions.length < PAGE) return
      conversions = (await page(conversions[conversions.length - 1]?.id ?? '0')).rows.map(
        toConversion,
      )
    }
  })()
}

/** Text from a network is defused; numbers (payout, points: negative ones too) stay numbers. */
function cells(c: Conversion) {
  return [
    c.id,
    c.network,
    spreadsheetSafe(c.txId),
    spreadsheetSafe(c.offerId),
    spreadsheetSafe(c.userId),
    spreadsheetSafe(c.clickId),
    c.payout,
    spreadsheetSafe(c.currency),
    c.points,
    c.status,
    spreadsheetSafe(c.networkStatus),
    c.holdReason,
    c.createdAt.toISOString(),
    c.updatedAt.toISOString(),
  ]
}
