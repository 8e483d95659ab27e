import type { AuditRow } from '../audit/rows.js'
import { CONVERSION_STATUSES, type Conversion, type ConversionSearch } from '../conversions/rows.js'
import type { LedgerEntry } from '../ledger/rows.js'
import type { LogEntry } from '../postback-log/rows.js'
import { auditLine, auditTable } from './audit-page.js'
import type { Delivery } from './deliveries-data.js'
import { answerBody } from './deliveries-page.js'
import { adjustForm } from './edit-pages.js'
import { explainOutcome } from './explain.js'
import { exportForm } from './export-page.js'
import { formatTime, type Html, html, queryString } from './html.js'
import { badge, confirmButton, type PageContext, page } from './layout.js'

export const STATUSES = CONVERSION_STATUSES

/** "3.5 USD", or "—" for a reward-only conversion (the network sent points but no payout). */
function payoutOf(c: Conversion): string {
  if (c.payout === null) return '—'
  return c.currency ? `${c.payout} ${c.currency}` : c.payout
}

/** Most reward networks send no offer id. */
const offerOf = (c: Conversion): string => c.offerId ?? '—'

export function conversionsTable(items: Conversion[]): Html {
  if (items.length === 0) return html`<p class="card muted">No conversions match.</p>`
  return html`<div class="scroll"><table class="cards"><thead><tr><th>#</th><th>Created (UTC)</th><th>Network</th><th>Tx id</th><th>Offer</th><th>User</th><th class="num">Payout</th><th class="num">Points</th><th>Status</th></tr></thead><tbody>
${items.map(
  (
    c,
  ) => html`<tr><td data-label="Conversion"><a href="/dashboard/conversions/${c.id}">#${c.id}</a></td><td data-label="Created">${formatTime(c.createdAt)}</td><td data-label="Network">${c.network}</td><td data-label="Tx id"><code>${c.txId}</code></td><td data-label="Offer">${offerOf(c)}</td>
<td data-label="User">${c.userId ? html`<a href="/dashboard/users?user=${encodeURIComponent(c.userId)}">${c.userId}</a>` : html`<span class="muted">none</span>`}</td><td class="num" data-label="Payout">${payoutOf(c)}</td><td class="num" data-label="Points">${c.points}</td><td data-label="Status">${badge(c.status)}</td></tr>`,
)}</tbody></table></div>`
}

export function conversionsPage(
  context: PageContext,
  search: ConversionSearch,
  items: Conversion[],
  pageSize: number,
  /** REPORT_TIMEZONE: the export form's default zone. */
  zone = 'UTC',
): Html {
  const filters = {
    tx: search.txId,
    user: search.userId,
    offer: search.offerId,
    network: search.network,
    status: search.status,
  }
  const oldest = items.at(-1)?.id
  return page(
    'Conversions',
    'conversions',
    context,
    html`<form class="filters" method="get" action="/dashboard/conversions">
<label>Tx id <input name="tx" value="${search.txId ?? ''}"></label>
<label>User <input name="user" value="${search.userId ?? ''}"></label>
<label>Offer <input name="offer" value="${search.offerId ?? ''}"></label>
<label>Network <input name="network" value="${search.network ?? ''}"></label>
<label>Status <select name="status"><option value="">any</option>${STATUSES.map((s) => html`<option${s === search.status ? html` selected` : ''}>${s}</option>`)}</select></label>
<button type="submit">Search</button></form>
<div class="actions">${exportForm('/dashboard/conversions.csv', { network: search.network }, zone)} <a href="/dashboard/reconcile">Reconcile with a network's report…</a></div>
${conversionsTable(items)}
${items.length === pageSize && oldest ? html`<p class="pager"><a href="/dashboard/conversions${queryString({ ...filters, before: oldest })}">Older →</a></p>` : ''}`,
  )
}

type Event = { at: Date; kind: string; body: Html; failed?: boolean }

/** Everything that happened to one conversion, in time order. */
export function conversionPage(
  context: PageContext,
  c: Conversion,
  log: LogEntry[],
  ledger: LedgerEntry[],
  deliveries: Delivery[],
  audit: AuditRow[] = [],
): Html {
  const events: Event[] = [
    ...audit.map((row) => ({ at: row.at, kind: 'operator', body: auditLine(row) })),
    { at: c.createdAt, kind: 'created', body: html`first recorded as a ${c.network} conversion` },
    ...log.map((entry) => ({
      at: entry.receivedAt,
      kind: 'postback',
      body: html`${badge(entry.outcome, entry.statusCode)} ${explainOutcome(entry).summary}${entry.message ? html` <span class="muted small">(${entry.message})</span>` : ''} · <a href="/dashboard/postbacks/${entry.id}">log #${entry.id}</a>`,
    })),
    ...ledger.map((entry) => ({
      at: entry.createdAt,
      kind: 'ledger',
      body: html`<strong>${Number(entry.points) > 0 ? '+' : ''}${entry.points}</strong> points, ${entry.kind} to <a href="/dashboard/users?user=${encodeURIComponent(entry.userId)}">${entry.userId}</a>${entry.reason ? ` (${entry.reason})` : ''}`,
    })),
    ...deliveries.flatMap((d) =>
      d.attemptLog.map((a) => ({
        at: a.startedAt,
        // An attempt that failed says so in its own label, whatever became of the delivery.
        kind: a.error === null ? 'delivered' : 'delivery failed',
        failed: a.error !== null,
        body: html`${d.rule} (${d.event}) attempt ${a.attempt}: ${a.statusCode ?? 'no answer'}${a.error ? ` · ${a.error}` : ''}${answerBody(a.responseExcerpt)} · <a href="/dashboard/deliveries?state=${d.state === 'dead' ? 'dead' : 'failing'}#delivery-${d.id}">delivery #${d.id}</a> ${badge(d.state)}`,
      })),
    ),
  ]
  if (c.updatedAt.getTime() !== c.createdAt.getTime())
    events.push({
      at: c.updatedAt,
      kind: 'status',
      body: html`status became ${badge(c.status)} (latest change)`,
    })
  events.sort((a, b) => a.at.getTime() - b.at.getTime())
  return page(
    `Conversion #${c.id}`,
    'conversions',
    context,
    html`<div class="tiles">
<div class="tile"><div class="l">Status</div><div class="n">${badge(c.status)}</div>${c.holdReason ? html`<div class="small">${c.status === 'held' ? '' : 'was held: '}${c.holdReason}</div>` : ''}</div>
<div class="tile"><div class="l">Network · tx id</div><div>${c.network} · <code>${c.txId}</code></div></div>
<div class="tile"><div class="l">User</div><div>${c.userId ? html`<a href="/dashboard/users?user=${encodeURIComponent(c.userId)}">${c.userId}</a>` : 'none'}</div></div>
<div class="tile"><div class="l">Offer · payout · points</div><div>${offerOf(c)} · ${payoutOf(c)} · ${c.points}</div></div>
</div>
${c.status === 'held' && context.can('review') ? reviewButtons(context.csrf, c) : ''}
<h2>Timeline (UTC)</h2>
<div class="card"><ol class="timeline">${events.map((e) => html`<li><span>${formatTime(e.at)}</span><span>${badge(e.kind, e.failed ? 500 : undefined)}</span><span>${e.body}</span></li>`)}</ol></div>`,
  )
}

export function reviewButtons(csrf: string, c: Conversion): Html {
  const who = c.userId ? `user ${c.userId}` : 'no user (recorded only)'
  return html`<div>${confirmButton({
    label: 'Approve…',
    action: `/dashboard/conversions/${c.id}/approve`,
    question: `Approve conversion #${c.id} (${c.network} tx ${c.txId}) and credit ${c.points} points to ${who}?`,
    confirm: 'Yes, approve and credit',
    csrf,
  })}${confirmButton({
    label: 'Reject…',
    action: `/dashboard/conversions/${c.id}/reject`,
    question: `Reject conversion #${c.id}? Nothing will be credited.`,
    confirm: 'Yes, reject',
    csrf,
    danger: true,
  })}</div>`
}

export function reviewPage(context: PageContext, held: Conversion[]): Html {
  return page(
    'Review queue',
    'review',
    context,
    held.length === 0
      ? html`<p class="card muted">Nothing is held for review.</p>`
      : html`<p class="muted">Conversions held for review, newest first. Approving credits the user at once.</p>
${held.map(
  (
    c,
  ) => html`<div class="card" id="held-${c.id}"><div><a href="/dashboard/conversions/${c.id}"><strong>#${c.id}</strong></a> · ${c.network} · tx <code>${c.txId}</code> · offer ${offerOf(c)} · user ${c.userId ?? 'none'} · payout ${payoutOf(c)} · <strong>${c.points} points</strong> <span class="muted small">${formatTime(c.createdAt)}</span></div>
<div class="notice warn small">${c.holdReason ?? 'held for review'}</div>${context.can('review') ? reviewButtons(context.csrf, c) : ''}</div>`,
)}`,
  )
}

export function userPage(
  context: PageContext,
  userId: string | undefined,
  account: { balance: string | null; entries: LedgerEntry[] } | null,
  conversions: Conversion[],
  nextBefore: string | undefined,
  audit: AuditRow[] = [],
): Html {
  const form = html`<form class="filters" method="get" action="/dashboard/users"><label>User id <input name="user" value="${userId ?? ''}" required></label><button type="submit">Show</button></form>`
  if (!userId || !account) return page('Users', 'users', context, form)
  const known = account.balance !== null || account.entries.length > 0
  return page(
    `User ${userId}`,
    'users',
    context,
    html`${form}
${known ? '' : html`<div class="notice warn">User ${userId} has no balance and no ledger entries yet.</div>`}
<div class="tiles"><div class="tile"><div class="l">Balance (points)</div><div class="n" id="balance">${account.balance ?? '0'}</div></div></div>
${adjustForm(context, userId)}
<h2>Ledger</h2>
${
  account.entries.length === 0
    ? html`<p class="card muted">No ledger entries.</p>`
    : html`<div class="scroll"><table class="cards"><thead><tr><th>#</th><th>When (UTC)</th><th>Kind</th><th class="num">Points</th><th>Conversion</th><th>Reason</th></tr></thead><tbody>
${account.entries.map((e) => html`<tr><td data-label="Entry">${e.id}</td><td data-label="When">${formatTime(e.createdAt)}</td><td data-label="Kind">${e.kind}</td><td class="num" data-label="Points">${Number(e.points) > 0 ? '+' : ''}${e.points}</td><td data-label="Conversion">${e.conversionId ? html`<a href="/dashboard/conversions/${e.conversionId}">#${e.conversionId}</a>` : '—'}</td><td data-label="Reason">${e.reason ?? ''}</td></tr>`)}
</tbody></table></div>`
}
${nextBefore ? html`<p class="pager"><a href="/dashboard/users${queryString({ user: userId, before: nextBefore })}">Older entries →</a></p>` : ''}
<h2>Recent conversions</h2>
${conversionsTable(conversions)}
<h2>Changes by operators</h2>
${auditTable(audit)}`,
  )
}
