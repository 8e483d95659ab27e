import { once } from 'node:events'
import { createReadStream, createWriteStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { finished } from 'node:stream/promises'
import { normalizeDecimal } from '../../ledger/decimal.js'
import { type ReconcileResult, reconcile } from '../../operations/reconcile/reconcile.js'
import { DATE_FORMATS, type DateFormat } from '../../operations/reconcile/report-date.js'
import { ReportFormatError } from '../../operations/reconcile/report-row.js'
import { parseFlags, positionals, timeZoneFlag, UsageError } from '../args.js'
import { type Command, print } from '../command.js'
import { withContext } from '../context.js'
import { count, createProgress } from '../progress.js'
import { requireProfile } from './network.js'

const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$/

export const reconcileCommand: Command = {
  summary: "<network> <report.csv>  compare a network's conversion report with the database",
  usage: `usage: postback-receiver reconcile <network> <report.csv> [--tx-col tx_id] [--payout-col payout]
         [--status-col status] [--date-col date] [--date-format auto] [--timezone UTC]
         [--from DATE] [--to DATE] [--delimiter ,] [--out FILE]

Compares a network's conversion report (CSV with a header row, e.g. exported from its
dashboard) with the conversions recorded for that network, and lists:
  missing_here    in the report, not recorded here (a lost or refused postback: see replay)
  missing_there   recorded here for the period, not in the report
  payout_mismatch / status_mismatch / payout_and_status_mismatch
  duplicate_in_report, invalid_row (a value that is not a number, status or date)
with row counts, approved payout totals on both sides and the discrepancy in percent.

  --tx-col, --payout-col, --status-col, --date-col   the report's column names (defaults:
                     tx_id, payout, status, date; only tx_id must exist unless you name one)
  --date-format F    how the report writes its dates: auto (default: ISO 8601 such as
                     2026-11-25 14:03:05, with or without an offset, or Unix seconds), iso,
                     DD/MM/YYYY or DD.MM.YYYY (day first), MM/DD/YYYY (month first, as US
                     exports; a time may end in AM/PM), unix (seconds), unix-ms (milliseconds).
                     A date that does not fit is an invalid_row
  --timezone TZ      the time zone of dates without an offset (default UTC)
  --from, --to       the period (local dates or date-times; a date-only --to includes that day);
                     default: the report's first to last date (all time when it has no dates)
  --delimiter C      the field separator: , ; | or tab (default ,)
  --out FILE         the CSV of differences (default: <report>.differences.csv)

Statuses are read with the network's own status values. Held and rejected conversions count
as approved by the network (the review is ours). Streams: a report of millions of rows runs in
bounded memory; progress goes to stderr. Exit code: 0 when nothing differs, 1 when something
does, 2 for a usage error (including a column that is not in the report).`,
  async run(args) {
    const { values, positionals: given } = parseFlags(args, {
      'tx-col': { type: 'string' },
      'payout-col': { type: 'string' },
      'status-col': { type: 'string' },
      'date-col': { type: 'string' },
      'date-format': { type: 'string' },
      timezone: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      delimiter: { type: 'string' },
      out: { type: 'string' },
    })
    const [network = '', file = ''] = positionals(given, ['network', 'report.csv'])
    const timeZone = timeZoneFlag('timezone', values.timezone)
    const dateFormat = (values['date-format'] ?? 'auto') as DateFormat
    if (!DATE_FORMATS.includes(dateFormat))
      throw new UsageError(`--date-format expects one of ${DATE_FORMATS.join(', ')}`)
    for (const name of ['from', 'to'] as const) {
      const value = values[name]
      if (value !== undefined && !LOCAL_TIME.test(value))
        throw new UsageError(
          `--${name} expects a local date or date-time such as 2026-11-25 or 2026-11-25T08:00`,
        )
    }
    const delimiter = values.delimiter === 'tab' ? '\t' : (values.delimiter ?? ',')
    if (![',', ';', '|', '\t'].includes(delimiter))
      throw new UsageError('--delimiter expects , ; | or tab')
    const size = (await stat(file).catch(() => null))?.size
    if (size === undefined) throw new UsageError(`cannot read ${file}`)
    const outFile = values.out ?? `${file.replace(/\.csv$/i, '')}.differences.csv`

    const progress = createProgress()
    const input = createReadStream(file, { encoding: 'utf8', highWaterMark: 256 * 1024 })
    const out = createWriteStream(outFile)
    await once(out, 'open')
    let result: ReconcileResult
    try {
      result = await withContext(
        async (context) => {
          const profile = requireProfile(await context.networks(), network)
          return reconcile(context.db.pool, {
            network: profile.name,
            input,
            columns: {
              tx: values['tx-col'],
              payout: values['payout-col'],
              status: values['status-col'],
              date: values['date-col'],
            },
            delimiter,
            timeZone,
            dateFormat,
            statuses: profile.statuses,
            from: values.from,
            to: values.to,
            out,
            onProgress: (rows) =>
              progress.update(
                `reading ${file}: ${count(rows)} rows (${Math.floor((input.bytesRead * 100) / Math.max(size, 1))}%)`,
              ),
            onStage: (_stage, found) =>
              progress.update(`comparing: ${count(found)} differences so far`),
          })
        },
        { longQueries: true },
      )
    } catch (error) {
      input.destroy()
      if (error instanceof ReportFormatError) throw new UsageError(error.message)
      throw error
    } finally {
      out.end()
      await finished(out)
    }
    progress.done()
    print(summary(network, file, timeZone, outFile, result))
    return result.differences === 0 ? 0 : 1
  },
}

function summary(
  network: string,
  file: string,
  timeZone: string,
  outFile: string,
  r: ReconcileResult,
): string {
  const period =
    r.period.from && r.period.to
      ? `${r.period.from.toISOString()} to ${r.period.to.toISOString()}`
      : 'all time (the report has no dates; give --date-col or --from/--to)'
  const table = (rows: [string, string, string?][]) =>
    rows.map(
      ([label, a, b]) =>
        `  ${label.padEnd(30)} ${a.padStart(14)}${b === undefined ? '' : b.padStart(16)}`,
    )
  // Share of all rows seen on either side that do not reconcile cleanly.
  const seen = r.report.lines + (r.counts.missing_there ?? 0)
  const percent = seen === 0 ? '-' : `${((r.differences * 100) / seen).toFixed(2)}%`
  const kinds: [string, string][] = [
    ['missing here (not recorded)', 'missing_here'],
    ['missing there (not in report)', 'missing_there'],
    ['payout mismatch', 'payout_mismatch'],
    ['status mismatch', 'status_mismatch'],
    ['payout and status mismatch', 'payout_and_status_mismatch'],
    ['duplicate in report', 'duplicate_in_report'],
    ['invalid rows', 'invalid_row'],
  ]
  return [
    `reconcile ${network} ${file}`,
    `  period ${period} (dates without an offset read in ${timeZone})`,
    '',
    ...table([
      ['', 'report', 'database'],
      ['rows', count(r.report.lines), count(r.totals.dbRows)],
      [
        'approved payout',
        r.report.hasPayouts ? normalizeDecimal(r.totals.reportApprovedPayout) : '-',
        normalizeDecimal(r.totals.dbApprovedPayout),
      ],
      ['matched', count(r.totals.matched)],
    ]),
    '',
    ...table([
      ['differences', 'rows'],
      ...kinds.map(([label, kind]): [string, string] => [label, count(r.counts[kind] ?? 0)]),
      ['total', count(r.differences)],
      ['rows that differ', percent],
      [
        'payout discrepancy',
        r.totals.payoutDiscrepancyPercent === null ? '-' : `${r.totals.payoutDiscrepancyPercent}%`,
      ],
    ]),
    '',
    r.differences === 0
      ? `no differences (${outFile} has the header only)`
      : `differences written to ${outFile}`,
  ].join('\n')
}
