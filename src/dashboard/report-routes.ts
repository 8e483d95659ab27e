import { z } from 'zod'
import type { ZodApp } from '../openapi/zod-routes.js'
import { loadBreakdown, type Order, SORTS, type Sort, sortRows } from '../reports/breakdown.js'
import { checkRange, rangeFields } from '../reports/inputs.js'
import { resolveRange } from '../reports/range.js'
import { loadReportSummary } from '../reports/report.js'
import { defaultSort } from '../reports/service.js'
import { type DashboardOptions, pageContext, sendHtml } from './context.js'
import { notice } from './notices.js'
import { type ReportView, reportsPage, type Table } from './reports-page.js'

// The Reports page: the same queries as GET /admin/reports and /admin/reports/:by (src/reports),
// rendered. A read-only page.

/** A form's empty field is an absent one (the date inputs are empty unless custom). */
const blank = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema)

/** "points-desc": a table's column and direction, set by its header links. */
const tableSort = z
  .string()
  .regex(new RegExp(`^(${SORTS.join('|')})-(asc|desc)$`), 'must be a column and asc or desc')
  .optional()

/** Rows a table shows; the admin API pages through the rest. */
const ROWS = { offer: 50, day: 366, user: 20 }

export function reportRoutes(app: ZodApp, { db, config }: DashboardOptions) {
  const range = rangeFields(config.REPORT_TIMEZONE)
  const reportQuery = z
    .object({
      range: range.range,
      from: blank(range.from),
      to: blank(range.to),
      tz: blank(range.tz),
      network_sort: tableSort,
      offer_sort: tableSort,
      day_sort: tableSort,
      user_sort: tableSort,
      notice,
    })
    .superRefine(checkRange)

  app.get(
    '/dashboard/reports',
    { schema: { querystring: reportQuery } },
    async (request, reply) => {
      const q = request.query
      const resolved = await resolveRange(
        db.pool,
        {
          range: q.range,
          from: q.from,
          to: q.to,
          timeZone: q.tz,
        },
        new Date(),
      )
      const summary = await loadReportSummary(db.pool, resolved)
      const chosen = (table: Table) => {
        const [sort, order] = (q[`${table}_sort`]?.split('-') ?? []) as [Sort?, Order?]
        return sort ? { sort, order: order ?? 'desc' } : defaultSort(table)
      }
      const currency = summary.mainCurrency
      // The network rows are the summary's (every network, for the totals): sorted here.
      const network = chosen('network')
      const tables: ReportView['tables'] = {
        network: {
          rows: sortRows(summary.byNetwork, network.sort, network.order, currency),
          more: false,
          ...network,
        },
        ...Object.fromEntries(
          await Promise.all(
            (['offer', 'day', 'user'] as const).map(async (table) => {
              const sorted = chosen(table)
              const { rows, more } = await loadBreakdown(db.pool, resolved, {
                by: table,
                ...sorted,
                currency,
                limit: ROWS[table],
                offset: 0,
              })
              return [table, { rows, more, ...sorted }]
            }),
          ),
        ),
      } as ReportView['tables']
      const query = {
        range: q.range,
        from: q.range === 'custom' ? resolved.from : undefined,
        to: q.range === 'custom' ? resolved.to : undefined,
        tz: resolved.timeZone,
        network_sort: q.network_sort,
        offer_sort: q.offer_sort,
        day_sort: q.day_sort,
        user_sort: q.user_sort,
      }
      return sendHtml(reply, reportsPage(pageContext(request), { summary, tables, query }).text)
    },
  )
}
