import type { Pool } from 'pg'
import { normalizeDecimal } from '../ledger/decimal.js'
import { csvLine, spreadsheetSafe } from './csv.js'

// Conversions of a period as CSV, read in keyset pages (id order), so an export of any size
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
]

type Row = {
  id: string
  network: string
  tx_id: string
  offer_id: string | null
  user_id: string | null
  click_id: string | null
  payout: string | null
  currency: string | null
  points: string
  status: string
  network_status: string | null
  hold_reason: string | null
  created_at: Date
  updated_at: Date
}

export async function exportConversions(
  pool: Pool,
  period: ExportPeriod,
): Promise<AsyncIterable<string>> {
  const page = (after: string) =>
    pool.query<Row>(
      `WITH bounds AS (
         SELECT COALESCE($2::timestamp AT TIME ZONE $4, now() - interval '24 hours') AS from_ts,
                COALESCE(($3::timestamp + CASE WHEN $6 THEN interval '1 day' ELSE interval '0' END)
                           AT TIME ZONE $4, now()) AS to_ts
       )
       SELECT id, network, tx_id, offer_id, user_id, click_id, payout::text, currency, points::text,
              status, network_status, hold_reason, created_at, updated_at
       FROM conversions, bounds
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
  const first = await page('0')
  return (async function* () {
    yield csvLine(COLUMNS)
    let rows = first.rows
    while (rows.length > 0) {
      yield rows.map(toCsv).join('')
      if (rows.length < PAGE) return
      rows = (await page(rows[rows.length - 1]?.id ?? '0')).rows
    }
  })()
}

function toCsv(row: Row): string {
  return csvLine([
    row.id,
    row.network,
    spreadsheetSafe(row.tx_id),
    spreadsheetSafe(row.offer_id),
    spreadsheetSafe(row.user_id),
    spreadsheetSafe(row.click_id),
    row.payout === null ? null : normalizeDecimal(row.payout),
    spreadsheetSafe(row.currency),
    row.points,
    row.status,
    spreadsheetSafe(row.network_status),
    row.hold_reason,
    row.created_at.toISOString(),
    row.updated_at.toISOString(),
  ])
}
