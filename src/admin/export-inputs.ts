import { z } from 'zod'
import { HttpError } from '../http/errors.js'
import type { NetworkRegistry } from '../networks/registry.js'
import type { ReconcileJob } from '../operations/reconcile/reconcile.js'
import { DATE_FORMATS } from '../operations/reconcile/report-date.js'
import { reportZone } from '../reports/inputs.js'
import { localTime, name, text } from './inputs.js'

// The exports' parameters, shared by the admin API (token) and the dashboard (session): a
// range of local dates or date-times in a time zone, and for reconcile how to read the report.
// A form's empty field is no value, as if it were not sent.

const blankIsAbsent = (value: unknown) => (value === '' ? undefined : value)
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blankIsAbsent, schema.optional())

/** from, to and tz; tz defaults to REPORT_TIMEZONE (`zone`), as the reports' days do. */
export function exportRange(zone: string) {
  return {
    from: optional(localTime).describe('local date or date-time; default 24 h ago'),
    to: optional(localTime).describe('local date or date-time, exclusive (a date: that whole day)'),
    tz: z.preprocess(blankIsAbsent, reportZone(zone)),
  }
}

export function logExportQuery(zone: string) {
  return z.object({
    ...exportRange(zone),
    network: optional(name),
    outcome: optional(name).describe(
      'an outcome or code; refused or accepted for every one of that kind',
    ),
    txId: optional(name),
  })
}

export function reconcileQuery(zone: string) {
  return z.object({
    from: optional(localTime).describe("default: the report's first date"),
    to: optional(localTime).describe("default: the report's last date (a date: that whole day)"),
    tz: z
      .preprocess(blankIsAbsent, reportZone(zone))
      .describe('the time zone of report dates without an offset, and of from/to'),
    txCol: optional(text(255)).describe('default tx_id'),
    payoutCol: optional(text(255)).describe('default payout'),
    statusCol: optional(text(255)).describe('default status'),
    dateCol: optional(text(255)).describe('default date'),
    dateFormat: z.preprocess(blankIsAbsent, z.enum(DATE_FORMATS).default('auto')),
    delimiter: z.preprocess(blankIsAbsent, z.enum([',', ';', '|', 'tab']).default(',')),
  })
}

/** The log filter of an export: 'refused' and 'accepted' choose every code of that kind. */
export function logFilterOf(q: { outcome?: string; network?: string; txId?: string }) {
  const result: 'refused' | 'accepted' | undefined =
    q.outcome === 'refused' || q.outcome === 'accepted' ? q.outcome : undefined
  return { network: q.network, txId: q.txId, outcome: result ? undefined : q.outcome, result }
}

/** A reconcile job for a report streamed in, read with the network's own statuses. */
export function reconcileJob(
  networks: NetworkRegistry,
  network: string,
  q: z.output<ReturnType<typeof reconcileQuery>>,
  input: AsyncIterable<string | Buffer>,
): Omit<ReconcileJob, 'out'> {
  const profile = networks.get(network)
  if (!profile) throw new HttpError('UNKNOWN_NETWORK', `unknown network "${network}"`)
  return {
    network: profile.name,
    input,
    columns: { tx: q.txCol, payout: q.payoutCol, status: q.statusCol, date: q.dateCol },
    delimiter: q.delimiter === 'tab' ? '\t' : q.delimiter,
    timeZone: q.tz,
    dateFormat: q.dateFormat,
    statuses: profile.statuses,
    from: q.from,
    to: q.to,
  }
}
