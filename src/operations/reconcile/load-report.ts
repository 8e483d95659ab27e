import type { PoolClient } from 'pg'
import type { NetworkStatus } from '../../postbacks/transitions.js'
import { readCsv } from '../csv.js'
import type { DateFormat } from './report-date.js'
import {
  type ColumnIndexes,
  parseReportRow,
  type ReportColumns,
  type ReportRow,
  type RowProblem,
  reportColumns,
} from './report-row.js'

// Streams the report into temporary tables on one connection, a few thousand rows per INSERT:
// the process holds one batch at a time, PostgreSQL holds the rest (and spills to disk).

export const DEFAULT_COLUMNS = { tx: 'tx_id', payout: 'payout', status: 'status', date: 'date' }
const BATCH = 5000

export type LoadedReport = {
  /** Data lines read: compared rows, duplicates and invalid rows. */
  lines: number
  hasDates: boolean
  hasPayouts: boolean
  hasStatuses: boolean
}

export type ReportSource = {
  input: AsyncIterable<string | Buffer>
  columns: ReportColumns
  delimiter: string
  timeZone: string
  /** How the report writes dates (default auto: ISO 8601 or Unix seconds). */
  dateFormat?: DateFormat
  statuses: ReadonlyMap<string, NetworkStatus>
  onProgress?: (rows: number) => void
}

export async function loadReport(client: PoolClient, source: ReportSource): Promise<LoadedReport> {
  await client.query(`CREATE TEMP TABLE reconcile_report (
    line bigint NOT NULL, tx_id text NOT NULL, payout numeric, status text, raw_status text,
    occurred_at timestamptz, covers_until timestamptz)`)
  await client.query(
    'CREATE TEMP TABLE reconcile_problems (line bigint, tx_id text, kind text NOT NULL, detail text)',
  )
  let at: ColumnIndexes | undefined
  const loaded = { rows: 0, problems: 0, hasDates: false }
  let rows: ReportRow[] = []
  let problems: RowProblem[] = []
  for await (const records of readCsv(source.input, source.delimiter)) {
    for (const record of records) {
      if (!at) {
        at = reportColumns(record.fields, source.columns, DEFAULT_COLUMNS)
        continue
      }
      const parsed = parseReportRow(record, at, source.statuses, source.dateFormat)
      if ('kind' in parsed) problems.push(parsed)
      else {
        rows.push(parsed)
        if (parsed.date !== null) loaded.hasDates = true
      }
    }
    if (rows.length >= BATCH) {
      loaded.rows += await insertRows(client, rows, source.timeZone)
      rows = []
    }
    if (problems.length >= BATCH) {
      loaded.problems += await insertProblems(client, problems)
      problems = []
    }
    source.onProgress?.(loaded.rows + rows.length + loaded.problems + problems.length)
  }
  if (!at) throw new Error('the report is empty: expected a header row')
  loaded.rows += await insertRows(client, rows, source.timeZone)
  loaded.problems += await insertProblems(client, problems)
  await setAsideDuplicates(client)
  return {
    lines: loaded.rows + loaded.problems,
    hasDates: loaded.hasDates,
    hasPayouts: at.payout !== -1,
    hasStatuses: at.status !== -1,
  }
}

async function insertRows(client: PoolClient, rows: ReportRow[], timeZone: string) {
  if (rows.length === 0) return 0
  await client.query(
    `INSERT INTO reconcile_report (line, tx_id, payout, status, raw_status, occurred_at, covers_until)
     SELECT line, tx_id, payout, status, raw_status, at,
            at + CASE WHEN date_only THEN interval '1 day' ELSE interval '1 second' END
     FROM (
       SELECT line, tx_id, payout::numeric, status, raw_status, date_only,
              CASE WHEN d IS NULL THEN NULL WHEN zoned THEN d::timestamptz
                   ELSE d::timestamp AT TIME ZONE $9 END AS at
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                   $7::bool[], $8::bool[])
         AS u(line, tx_id, payout, status, raw_status, d, zoned, date_only)
     ) parsed`,
    [
      rows.map((r) => r.line),
      rows.map((r) => r.txId),
      rows.map((r) => r.payout),
      rows.map((r) => r.status),
      rows.map((r) => r.rawStatus),
      rows.map((r) => r.date),
      rows.map((r) => r.zoned),
      rows.map((r) => r.dateOnly),
      timeZone,
    ],
  )
  return rows.length
}

async function insertProblems(client: PoolClient, problems: RowProblem[]) {
  if (problems.length === 0) return 0
  await client.query(
    `INSERT INTO reconcile_problems (line, tx_id, kind, detail)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])`,
    [
      problems.map((p) => p.line),
      problems.map((p) => p.txId),
      problems.map((p) => p.kind),
      problems.map((p) => p.detail),
    ],
  )
  return problems.length
}

/** A transaction id listed twice is compared once (its first line); the others are reported. */
async function setAsideDuplicates(client: PoolClient) {
  await client.query('CREATE INDEX ON reconcile_report (tx_id)')
  await client.query('ANALYZE reconcile_report')
  await client.query(
    `WITH duplicate AS (
       DELETE FROM reconcile_report r USING reconcile_report f
       WHERE r.tx_id = f.tx_id AND r.line > f.line
       RETURNING r.line, r.tx_id
     )
     INSERT INTO reconcile_problems (line, tx_id, kind, detail)
     SELECT line, tx_id, 'duplicate_in_report', 'the same transaction id is on an earlier line'
     FROM duplicate`,
  )
}
