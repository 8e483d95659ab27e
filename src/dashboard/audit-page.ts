import type { AuditRow } from '../audit/rows.js'
import { formatTime, type Html, html, queryString } from './html.js'
import { type PageContext, page } from './layout.js'

// The audit log: who changed what, when, from what to what. The whole log (filter by actor
// and action), and the same rows inside a conversion's and a user's timelines.

export type AuditQuery = { actor?: string; action?: string; before?: string }

/** What an audit row is about, linked where the dashboard has a page for it. */
function subjectOf(row: AuditRow): Html {
  const { type, id } = row.subject
  if (type === 'conversion')
    return html`<a href="/dashboard/conversions/${id}">conversion #${id}</a>`
  if (type === 'postback') return html`<a href="/dashboard/postbacks/${id}">postback #${id}</a>`
  if (type === 'user')
    return html`<a href="/dashboard/users?user=${encodeURIComponent(id)}">user ${id}</a>`
  return html`${type} ${id}`
}

function json(value: unknown): string {
  return value === null || value === undefined ? '—' : JSON.stringify(value)
}

/** One line for a timeline: "alice (dashboard from …) conversion.approve: {…} → {…}". */
export function auditLine(row: AuditRow): Html {
  return html`<strong class="actor">${row.actor}</strong> ${row.action} <span class="muted small">(${row.via})</span> <code class="small">${json(row.before)} → ${json(row.after)}</code>`
}

export function auditTable(rows: AuditRow[]): Html {
  if (rows.length === 0) return html`<p class="card muted">No audit entries.</p>`
  return html`<div class="scroll"><table class="cards audit"><thead><tr><th>When (UTC)</th><th>Who</th><th>Action</th><th>Subject</th><th>Before</th><th>After</th></tr></thead><tbody>
${rows.map(
  (row) =>
    html`<tr><td data-label="When">${formatTime(row.at)}</td><td data-label="Who"><strong>${row.actor}</strong><div class="muted small">${row.via}</div></td><td data-label="Action"><code>${row.action}</code></td><td data-label="Subject">${subjectOf(row)}</td><td data-label="Before"><code class="small">${json(row.before)}</code></td><td data-label="After"><code class="small">${json(row.after)}</code></td></tr>`,
)}
</tbody></table></div>`
}

export function auditPage(
  context: PageContext,
  query: AuditQuery,
  rows: AuditRow[],
  pageSize: number,
): Html {
  const next = rows.length === pageSize ? rows.at(-1)?.id : undefined
  return page(
    'Audit log',
    'audit',
    context,
    html`<form class="filters" method="get" action="/dashboard/audit">
<label>Who <input name="actor" value="${query.actor ?? ''}" placeholder="alice, ADMIN_TOKEN, token:crm, cli:ana"></label>
<label>Action <input name="action" value="${query.action ?? ''}" placeholder="conversion.approve or conversion."></label>
<button type="submit">Filter</button></form>
${auditTable(rows)}
${next ? html`<p class="pager"><a href="/dashboard/audit${queryString({ actor: query.actor, action: query.action, before: next })}">Older entries →</a></p>` : ''}`,
  )
}
