import type { BreakdownRow, Money, Order, Sort } from '../reports/breakdown.js'
import { RANGES, type ReportRange } from '../reports/range.js'
import type { ReportSummary } from '../reports/report.js'
import { type Html, html, queryString } from './html.js'
import { type PageContext, page } from './layout.js'

// The Reports page: a range of whole local days in one time zone (named beside every date),
// totals, four sortable tables and the refusal rate per network and day. Sorting is a link per
// column header (server-side: works without the script); each table keeps its own sort.

export const TABLES = ['network', 'offer', 'day', 'user'] as const
export type Table = (typeof TABLES)[number]

export type ReportView = {
  summary: ReportSummary
  tables: Record<Table, { rows: BreakdownRow[]; sort: Sort; order: Order; more: boolean }>
  /** The page's own query (range, from, to, tz and each table's sort), for links. */
  query: Record<string, string | undefined>
}

const RANGE_LABELS: Record<(typeof RANGES)[number], string> = {
  today: 'today',
  yesterday: 'yesterday',
  '7d': 'last 7 days',
  '30d': 'last 30 days',
  custom: 'custom dates',
}

const TITLES: Record<Table, [string, string]> = {
  network: ['By network', 'Network'],
  offer: ['By offer', 'Network / offer'],
  day: ['By day', 'Day'],
  user: ['Top users', 'User'],
}

export function reportsPage(context: PageContext, view: ReportView): Html {
  const { summary } = view
  const { range, totals } = summary
  const zone = zoneLabel(range)
  return page(
    'Reports',
    'reports',
    context,
    html`<form class="filters" method="get" action="/dashboard/reports">
<label>Range <select name="range">${RANGES.map((r) => html`<option value="${r}"${r === range.range ? html` selected` : ''}>${RANGE_LABELS[r]}</option>`)}</select></label>
<label>From <input type="date" name="from" value="${range.range === 'custom' ? range.from : ''}"></label>
<label>To <input type="date" name="to" value="${range.range === 'custom' ? range.to : ''}"></label>
<label>Time zone <input name="tz" value="${range.timeZone}" placeholder="UTC or Europe/Berlin"></label>
<button type="submit">Show</button></form>
<p class="range" id="range"><strong>${range.from === range.to ? range.from : `${range.from} to ${range.to}`}</strong> · whole days in <span class="zone">${zone}</span></p>
<div class="tiles">
<div class="tile"><div class="n" id="total-conversions">${totals.conversions}</div><div class="l">conversions (${totals.approved} approved, ${totals.reversed} reversed)</div></div>
<div class="tile"><div class="n" id="total-points">${totals.points}</div><div class="l">points credited (not reversed)</div></div>
${
  totals.revenue.length === 0
    ? html`<div class="tile"><div class="n">0</div><div class="l">revenue</div></div>`
    : totals.revenue.map(
        (m) =>
          html`<div class="tile revenue"><div class="n">${m.amount}</div><div class="l">revenue, ${m.currency ?? 'no currency'}</div></div>`,
      )
}
</div>
${TABLES.map((table) => breakdownTable(table, view, zone))}
<h2 id="refusals">Refusal rate per network and day <span class="muted small">(${zone})</span></h2>
${refusalTable(summary)}`,
  )
}

function zoneLabel(range: ReportRange): string {
  return `${range.timeZone}, ${range.utcOffset}`
}

function breakdownTable(table: Table, view: ReportView, zone: string): Html {
  const { rows, sort, order, more } = view.tables[table]
  const [title, keyLabel] = TITLES[table]
  const currency = view.summary.mainCurrency
  const header = (column: Sort, label: string, numeric = true) => {
    const active = column === sort
    // A first click sorts biggest first (names and days: A to Z, oldest first); a second reverses.
    const next: Order = active
      ? order === 'asc'
        ? 'desc'
        : 'asc'
      : column === 'key'
        ? 'asc'
        : 'desc'
    const href = `/dashboard/reports${queryString({ ...view.query, [`${table}_sort`]: `${column}-${next}` })}#${table}`
    return html`<th class="${numeric ? 'num' : ''}"${active ? html` aria-sort="${order === 'asc' ? 'ascending' : 'descending'}"` : ''}><a href="${href}">${label}${active ? (order === 'asc' ? ' ▲' : ' ▼') : ''}</a></th>`
  }
  const key = (row: BreakdownRow) =>
    table === 'user'
      ? html`<a href="/dashboard/users?user=${encodeURIComponent(row.key)}">${row.key}</a>`
      : row.key
  return html`<h2 id="${table}">${title}${table === 'day' ? html` <span class="muted small">(${zone})</span>` : ''}</h2>
${
  rows.length === 0
    ? html`<p class="card muted">No conversions in this range.</p>`
    : html`<div class="scroll"><table class="cards report" data-table="${table}"><thead><tr>${header('key', table === 'day' ? `${keyLabel} (${zone})` : keyLabel, false)}${header('conversions', 'Conversions')}${header('approved', 'Approved')}${header('points', 'Points')}${header('revenue', currency ? `Revenue (sorts by ${currency})` : 'Revenue')}</tr></thead><tbody>
${rows.map((row) => html`<tr><td data-label="${table === 'day' ? `${keyLabel} (${zone})` : keyLabel}">${key(row)}</td><td class="num" data-label="Conversions">${row.conversions}</td><td class="num" data-label="Approved">${row.approved}</td><td class="num" data-label="Points">${row.points}</td><td class="num" data-label="Revenue">${moneyList(row.revenue)}</td></tr>`)}
</tbody></table></div>${more ? html`<p class="muted small">Showing the first ${rows.length}; the admin API (GET /admin/reports/${table}) pages through all.</p>` : ''}`
}`
}

function moneyList(revenue: Money[]): Html | string {
  if (revenue.length === 0) return '—'
  return html`${revenue.map((m, i) => html`${i > 0 ? html`<br>` : ''}${m.amount} ${m.currency ?? ''}`)}`
}

/** Days down, networks across: "33.3 % (1 of 3)". */
function refusalTable(summary: ReportSummary): Html {
  const { refusals } = summary
  if (refusals.length === 0) return html`<p class="card muted">No postbacks in this range.</p>`
  const networks = [...new Set(refusals.map((r) => r.network))].sort()
  const days = [...new Set(refusals.map((r) => r.day))].sort()
  const cell = new Map(refusals.map((r) => [`${r.day} ${r.network}`, r]))
  return html`<div class="scroll"><table class="report refusals"><thead><tr><th>Day (${zoneLabel(summary.range)})</th>${networks.map((n) => html`<th class="num">${n}</th>`)}</tr></thead><tbody>
${days.map(
  (day) =>
    html`<tr><td>${day}</td>${networks.map((n) => {
      const r = cell.get(`${day} ${n}`)
      if (!r) return html`<td class="num muted">—</td>`
      const percent = (r.refusedShare * 100).toFixed(1)
      return html`<td class="num${r.refused > 0 ? ' refused' : ''}" title="${r.refused} of ${r.postbacks} refused">${percent} % <span class="muted small">(${r.refused} of ${r.postbacks})</span></td>`
    })}</tr>`,
)}
</tbody></table></div>`
}
