import type { Writable } from 'node:stream'
import type { Pool, PoolClient } from 'pg'
import { normalizeDecimal } from '../../ledger/decimal.js'
import { csvLine, spreadsheetSafe } from '../csv.js'
import { type Difference, differences, type Period, type Totals, totals } from './compare.js'
import { type LoadedReport, loadReport, type ReportSource } from './load-report.js'

// reconcile <network> <report.csv>: the network's report against our conversions for the
// report's period. Memory stays bounded whatever the report's size: the CSV streams into a
// temporary table in batches, PostgreSQL joins, the differences stream back out through a
// cursor into a CSV file, and the process only ever holds one batch.

export const DIFFERENCE_KINDS = [
  'missing_here',
  'missing_there',
  'payout_mismatch',
  'status_mismatch',
  'payout_and_status_mismatch',
  'duplicate_in_report',
  'invalid_row',
] as const

export type ReconcileJob = ReportSource & {
  network: string
  /** Local date or date-time in the time zone; default: the report's first and last date. */
  from?: string
  to?: string
  /** Where the CSV of differences goes. */
  out: Writable
  onStage?: (stage: 'comparing', differences: number) => void
}

export type ReconcileResult = {
  report: LoadedReport
  period: Period
  counts: Record<string, number>
  differences: number
  totals: Totals
}

export async function reconcile(pool: Pool, job: ReconcileJob): Promise<ReconcileResult> {
  const client = await pool.connect()
  try {
    const report = await loadReport(client, job)
    const period = await resolvePeriod(client, job)
    const counts: Record<string, number> = Object.fromEntries(DIFFERENCE_KINDS.map((k) => [k, 0]))
    let total = 0
    await write(job.out, csvLine(HEADER))
    for await (const batch of differences(client, job.network, period)) {
      for (const difference of batch) counts[difference.kind] = (counts[difference.kind] ?? 0) + 1
      total += batch.length
      await write(job.out, batch.map(toCsv).join(''))
      job.onStage?.('comparing', total)
    }
    return {
      report,
      period,
      counts,
      differences: total,
      totals: await totals(client, job.network, period),
    }
  } finally {
    await client.query('DROP TABLE IF EXISTS reconcile_report, reconcile_problems').catch(() => {})
    client.release()
  }
}

const HEADER = [
  'kind',
  'line',
  'tx_id',
  'report_payout',
  'db_payout',
  'report_status',
  'db_status',
  'report_date',
  'db_created_at',
  'conversion_id',
  'detail',
]

function toCsv(d: Difference): string {
  return csvLine([
    d.kind,
    d.line,
    spreadsheetSafe(d.txId),
    d.reportPayout === null ? null : normalizeDecimal(d.reportPayout),
    d.dbPayout === null ? null : normalizeDecimal(d.dbPayout),
    spreadsheetSafe(d.reportStatus),
    d.dbStatus,
    d.reportDate?.toISOString(),
    d.dbCreatedAt?.toISOString(),
    d.conversionId,
    d.detail,
  ])
}

/**
 * Waits for the output to take more. An output closed early (an HTTP client that went away)
 * fails the run, so the connection and its temporary tables are released at once; waiting for
 * a 'drain' that never comes would hold them for good.
 */
async function write(out: Writable, text: string) {
  if (out.destroyed) throw new Error('the output was closed before every difference was written')
  if (out.write(text)) return
  await new Promise<void>((resolve, reject) => {
    const drained = () => {
      out.off('close', closed)
      resolve()
    }
    const closed = () => {
      out.off('drain', drained)
      reject(new Error('the output was closed before every difference was written'))
    }
    out.once('drain', drained)
    out.once('close', closed)
  })
}

/**
 * The period whose conversions should all be in the report: --from/--to (a date-only --to
 * includes that day), else the report's first to last date (a date without a time covers its
 * whole day). Without either, all of the network's conversions.
 */
async function resolvePeriod(client: PoolClient, job: ReconcileJob): Promise<Period> {
  const { rows } = await client.query<{ from: Date | null; to: Date | null }>(
    `SELECT COALESCE($1::timestamp AT TIME ZONE $3, min(occurred_at)) AS from,
            COALESCE(($2::timestamp + CASE WHEN $4 THEN interval '1 day' ELSE interval '0' END)
                       AT TIME ZONE $3,
                     max(covers_until)) AS to
     FROM reconcile_report`,
    [job.from ?? null, job.to ?? null, job.timeZone, job.to !== undefined && !job.to.includes(':')],
  )
  return { from: rows[0]?.from ?? null, to: rows[0]?.to ?? null }
}
