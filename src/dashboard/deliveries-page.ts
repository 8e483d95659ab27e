import type { Attempt, Delivery } from './deliveries-data.js'
import { formatTime, type Html, html, queryString } from './html.js'
import { badge, confirmButton, type PageContext, page } from './layout.js'

export function deliveriesPage(
  context: PageContext,
  state: 'dead' | 'failing',
  items: Delivery[],
  counts: { dead: number; failing: number },
  pageSize: number,
): Html {
  const tab = (key: 'dead' | 'failing', label: string) =>
    key === state
      ? html`<strong>${label}</strong>`
      : html`<a href="/dashboard/deliveries?state=${key}">${label}</a>`
  const oldest = items.at(-1)?.id
  return page(
    'Deliveries',
    'deliveries',
    context,
    html`<p>${tab('failing', `Failing, still retrying (${counts.failing})`)} · ${tab('dead', `Dead (${counts.dead})`)}</p>
${state === 'dead' && counts.dead > 0 && context.can('retry') ? html`<p class="actions"><a href="/dashboard/deliveries/bulk-retry">Retry all dead…</a> (or one rule's, from there)</p>` : ''}
${items.length === 0 ? html`<p class="card muted">No ${state} deliveries.</p>` : ''}
${items.map(
  (
    d,
  ) => html`<div class="card" id="delivery-${d.id}"><div><strong>#${d.id}</strong> ${badge(d.state)} rule <code>${d.rule}</code> · ${d.event} · <a href="/dashboard/conversions/${d.conversionId}">conversion #${d.conversionId}</a> · attempts ${d.attempts}/${d.maxAttempts}${d.nextAttemptAt ? ` · next try ${formatTime(d.nextAttemptAt)} UTC` : ''}</div>
${d.lastError || d.lastStatus ? html`<div class="notice bad small">Last: ${d.lastError ?? `HTTP ${d.lastStatus}`}</div>` : ''}
<div class="scroll"><table class="cards"><thead><tr><th>#</th><th>Started (UTC)</th><th>URL (redacted)</th><th>Result</th><th>Answer</th><th class="num">ms</th></tr></thead><tbody>
${d.attemptLog.map((a) => html`<tr class="attempt"><td data-label="Attempt">${a.attempt}</td><td data-label="Started">${formatTime(a.startedAt)}</td><td data-label="URL"><code>${a.url}</code></td><td data-label="Result">${attemptBadge(a)}</td><td data-label="Answer">${a.statusCode === null ? '' : `HTTP ${a.statusCode}`}${a.error && a.statusCode === null ? a.error : ''}${answerBody(a.responseExcerpt)}</td><td class="num" data-label="ms">${a.latencyMs}</td></tr>`)}
</tbody></table></div>
${d.state === 'dead' && context.can('retry') ? confirmButton({ label: 'Retry…', action: `/dashboard/deliveries/${d.id}/retry`, question: `Send delivery #${d.id} again, with a fresh set of ${d.maxAttempts} attempts?`, confirm: 'Yes, retry', csrf: context.csrf }) : ''}</div>`,
)}
${items.length === pageSize && oldest ? html`<p class="pager"><a href="/dashboard/deliveries${queryString({ state, before: oldest })}">Older →</a></p>` : ''}`,
  )
}

/** An attempt failed when the sender recorded an error (no answer, or an answer outside 2xx). */
export function attemptBadge(a: Attempt): Html {
  return a.error === null ? badge('delivered') : badge('failed', 500)
}

/** What the receiver answered (the first 512 bytes the attempt log keeps), as text. */
export function answerBody(excerpt: string | null): Html {
  return excerpt ? html` <pre class="answer-body">${excerpt}</pre>` : html``
}
