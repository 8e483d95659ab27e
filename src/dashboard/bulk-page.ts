import type { ReplayPreview } from '../bulk/replay.js'
import type { RetryPreview } from '../bulk/retry.js'
import type { BulkRun } from '../bulk/runs.js'
import { formatTime, type Html, html, queryString } from './html.js'
import { badge, csrfField, type PageContext, page } from './layout.js'

// The bulk actions' pages: a preview that asks to confirm, and a run's progress card, which
// dashboard.js refreshes in place (data-poll-src) until the run is no longer running.

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`

export function replayPreviewPage(
  context: PageContext,
  filter: Record<string, string | undefined>,
  preview: ReplayPreview,
): Html {
  const back = `/dashboard/postbacks${queryString(filter)}`
  return page(
    'Replay all matching',
    'postbacks',
    context,
    html`<p>Refused postbacks matching <a href="${back}">this filter of the postback log</a>: ${describe(filter)}.</p>
<div class="tiles">
<div class="tile"><div class="n" id="matching">${preview.matching}</div><div class="l">refused, matching</div></div>
<div class="tile"><div class="n" id="will-replay">${preview.willReplay}</div><div class="l">will be replayed${preview.replayable > preview.cap ? ` (the first ${preview.cap}; run again for the rest)` : ''}</div></div>
<div class="tile"><div class="n" id="excluded">${preview.matching - preview.replayable}</div><div class="l">cannot be replayed</div></div>
</div>
${
  preview.byOutcome.length === 0
    ? ''
    : html`<div class="scroll"><table class="cards" id="by-outcome"><thead><tr><th>Refusal code</th><th class="num">Matching</th><th class="num">Will be replayed</th></tr></thead><tbody>
${preview.byOutcome.map((o) => html`<tr><td data-label="Code">${badge(o.outcome, 400)}</td><td class="num" data-label="Matching">${o.matching}</td><td class="num" data-label="Replayed">${o.replayable}</td></tr>`)}
</tbody></table></div>`
}
${preview.excluded.length === 0 ? '' : html`<h2>Not replayed, and why</h2><ul id="exclusions">${preview.excluded.map((e) => html`<li><strong>${plural(e.count, 'postback')}</strong>: ${e.message}</li>`)}</ul>`}
${
  preview.willReplay === 0
    ? html`<p class="card muted">Nothing to replay.</p>`
    : !context.can('replay')
      ? html`<p class="card muted">Replaying needs the replay permission (an operator or an admin).</p>`
      : html`<form method="post" action="/dashboard/postbacks/bulk-replay" class="card">${csrfField(context.csrf)}
${Object.entries(filter).map(([name, value]) => (value ? html`<input type="hidden" name="${name}" value="${value}">` : ''))}
<p>Each is re-run through today's configuration, once; a conversion is still credited at most once. The run goes on in the background: you can leave the page.</p>
<button type="submit">Replay ${plural(preview.willReplay, 'postback')}</button></form>`
}`,
  )
}

export function retryPreviewPage(
  context: PageContext,
  rule: string | undefined,
  preview: RetryPreview,
): Html {
  return page(
    'Retry all dead deliveries',
    'deliveries',
    context,
    html`<p>Dead deliveries${rule ? html` of rule <code>${rule}</code>` : ' of every rule'}: each gets a fresh set of attempts, once. <a href="/dashboard/deliveries?state=dead">Back to the dead list</a></p>
<div class="tiles"><div class="tile"><div class="n" id="will-retry">${preview.willRetry}</div><div class="l">will be retried${preview.dead > preview.cap ? ` of ${preview.dead} (run again for the rest)` : ''}</div></div></div>
${
  preview.byRule.length === 0
    ? ''
    : html`<div class="scroll"><table class="cards" id="by-rule"><thead><tr><th>Rule</th><th class="num">Dead</th><th></th></tr></thead><tbody>
${preview.byRule.map((r) => html`<tr><td data-label="Rule"><code>${r.rule}</code></td><td class="num" data-label="Dead">${r.dead}</td><td>${rule ? '' : html`<a href="/dashboard/deliveries/bulk-retry?rule=${encodeURIComponent(r.rule)}">only this rule…</a>`}</td></tr>`)}
</tbody></table></div>`
}
${
  preview.willRetry === 0
    ? html`<p class="card muted">Nothing to retry.</p>`
    : !context.can('retry')
      ? html`<p class="card muted">Retrying needs the retry permission (an operator or an admin).</p>`
      : html`<form method="post" action="/dashboard/deliveries/bulk-retry" class="card">${csrfField(context.csrf)}${rule ? html`<input type="hidden" name="rule" value="${rule}">` : ''}
<button type="submit">Retry ${plural(preview.willRetry, 'dead delivery', 'dead deliveries')}</button></form>`
}`,
  )
}

export function runPage(context: PageContext, run: BulkRun): Html {
  const title = run.kind === 'replay' ? 'Bulk replay' : 'Bulk retry'
  return page(
    `${title} #${run.id}`,
    run.kind === 'replay' ? 'postbacks' : 'deliveries',
    context,
    runCard(run, context.can('replay') ? context.csrf : null),
  )
}

/** The progress card: polled while running, the summary once done; Resume with a CSRF token. */
export function runCard(run: BulkRun, csrf: string | null): Html {
  const c = run.counts
  const processed = c.processed ?? 0
  const done = run.state !== 'running'
  const summary =
    run.kind === 'replay'
      ? `${plural(processed, 'postback')} replayed: ${c.accepted ?? 0} accepted, ${c.refused ?? 0} still refused, ${c.skipped ?? 0} skipped`
      : `${plural(c.retried ?? 0, 'dead delivery', 'dead deliveries')} queued again`
  const resumable = run.state === 'interrupted' || run.state === 'failed' || run.stale
  return html`<div class="card" id="bulk-run" data-state="${run.state}"${done ? '' : html` data-poll-src="/dashboard/bulk/${run.id}/progress"`}>
<p>${badge(run.state === 'done' ? 'done' : run.state, run.state === 'failed' ? 500 : undefined)} ${done ? '' : html`<span class="muted">updating…</span>`}</p>
<p><progress max="${Math.max(run.planned, 1)}" value="${Math.min(processed, run.planned)}"></progress> <span id="bulk-progress">${processed} of ${run.planned}</span></p>
<p id="bulk-summary">${run.state === 'done' ? html`<strong>Done.</strong> ` : ''}${summary}.</p>
${run.error ? html`<div class="notice bad">${run.error}</div>` : ''}
${run.stale ? html`<div class="notice warn">Its process has stopped moving it (since ${formatTime(run.heartbeatAt)} UTC): resume it here.</div>` : ''}
<p class="small muted">Started by ${run.startedBy} at ${formatTime(run.startedAt)} UTC${run.finishedAt ? ` · finished ${formatTime(run.finishedAt)} UTC` : ''} · ${describe(run.filter)} · at most ${run.cap}</p>
${resumable && csrf !== null ? html`<form method="post" action="/dashboard/bulk/${run.id}/resume">${csrfField(csrf)}<button type="submit">Resume from where it stopped</button></form>` : ''}
</div>`
}

function describe(filter: Record<string, string | null | undefined>): string {
  const parts = Object.entries(filter)
    .filter(([, value]) => value)
    .map(([name, value]) => `${name} ${value}`)
  return parts.length > 0 ? parts.join(', ') : 'no filter'
}
