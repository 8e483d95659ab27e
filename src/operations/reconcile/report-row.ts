import type { NetworkStatus } from '../../postbacks/transitions.js'
import { type CsvRecord, columnIndex } from '../csv.js'
import { type DateFormat, parseReportDate } from './report-date.js'

// One line of a network's conversion report, checked and normalized in the process, so the
// database only ever receives values it can cast.

/** Column names given by flags; the others default (DEFAULT_COLUMNS). */
export type ReportColumns = { tx?: string; payout?: string; status?: string; date?: string }
export type ColumnIndexes = { tx: number; payout: number; status: number; date: number }

export type ReportRow = {
  line: number
  txId: string
  /** Unsigned plain decimal, or null when the report has no payout column. */
  payout: string | null
  status: NetworkStatus | null
  rawStatus: string | null
  /** The date as sent, and whether it carries its own offset (else: the report's time zone). */
  date: string | null
  zoned: boolean
  /** A date without a time of day ("2026-11-25"): the period then covers that whole day. */
  dateOnly: boolean
}

export type RowProblem = { line: number; txId: string | null; kind: string; detail: string }

export class ReportFormatError extends Error {}

const AMOUNT = /^-?\d{1,14}(\.\d{1,12})?$/

/** Where each mapped column is. A column named by a flag must exist; a default one may not. */
export function reportColumns(
  header: string[],
  columns: ReportColumns,
  defaults: Required<ReportColumns>,
): ColumnIndexes {
  const find = (key: keyof ReportColumns) => {
    const index = columnIndex(header, columns[key] ?? defaults[key])
    if (index === -1 && (key === 'tx' || columns[key] !== undefined)) {
      throw new ReportFormatError(
        `the report has no column "${columns[key] ?? defaults[key]}" (its columns: ${header.join(', ')}); map it with --${key}-col`,
      )
    }
    return index
  }
  return { tx: find('tx'), payout: find('payout'), status: find('status'), date: find('date') }
}

export function parseReportRow(
  record: CsvRecord,
  at: ColumnIndexes,
  statuses: ReadonlyMap<string, NetworkStatus>,
  dateFormat: DateFormat = 'auto',
): ReportRow | RowProblem {
  const cell = (index: number) => (index === -1 ? null : (record.fields[index] ?? '').trim())
  const txId = cell(at.tx) ?? ''
  const problem = (detail: string): RowProblem => ({
    line: record.line,
    txId: txId || null,
    kind: 'invalid_row',
    detail,
  })
  if (txId === '' || txId.length > 255) return problem('the transaction id is empty or too long')
  const payoutText = cell(at.payout)
  if (payoutText !== null && payoutText !== '' && !AMOUNT.test(payoutText))
    return problem(`payout "${payoutText.slice(0, 40)}" is not a plain decimal`)
  const rawStatus = cell(at.status) || null
  const status = rawStatus === null ? null : (statuses.get(rawStatus.toLowerCase()) ?? null)
  if (rawStatus !== null && status === null)
    return problem(`status "${rawStatus.slice(0, 40)}" is not one of this network's statuses`)
  const date = parseReportDate(cell(at.date) || null, dateFormat)
  if (date === 'invalid')
    return problem(
      `date "${cell(at.date)?.slice(0, 40)}" is not a date${dateFormat === 'auto' ? '' : ` in ${dateFormat}`}`,
    )
  return {
    line: record.line,
    txId,
    payout: payoutText ? payoutText.replace(/^-/, '') : null,
    status,
    rawStatus,
    ...date,
  }
}
