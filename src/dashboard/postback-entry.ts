import type { LogEntry } from '../postback-log/rows.js'
import { explainOutcome, replayable } from './explain.js'
import { formatTime, type Html, html } from './html.js'
import { badge, confirmButton, type PageContext } from './layout.js'

/** One postback log row: a summary line that opens to the request, answer and explanation. */
export function renderEntry(
  entry: LogEntry,
  context: Pick<PageContext, 'csrf' | 'can'>,
  options: { open?: boolean; fresh?: boolean } = {},
): Html {
  const explanation = explainOutcome(entry)
  const refused = entry.statusCode >= 400
  return html`<details class="entry${options.fresh ? ' fresh' : ''}" id="entry-${entry.id}" data-id="${entry.id}"${options.open ? html` open` : ''}>
<summary><span class="when">${formatTime(entry.receivedAt)}</span>
<span>${entry.network ?? '—'}</span>
<span class="outcome">${badge(entry.outcome, entry.statusCode)} <span class="muted small">${entry.statusCode}</span></span>
${conversionColumns(entry)}
<span class="small what">${entry.mismatchedPayout !== null ? html`<span class="badge bad mismatch">payout mismatch: sent ${entry.mismatchedPayout}, recorded ${entry.conversion?.payout ?? '—'}</span> ` : ''}${entry.acceptedReplay ? html`<span class="badge ok">replayed: #${entry.acceptedReplay.id}</span> ` : ''}${entry.replayOf ? html`<span class="badge">replay of #${entry.replayOf}</span> ` : ''}${entry.warnings.length > 0 ? html`<span class="badge warn">${entry.warnings.length} warning${entry.warnings.length > 1 ? 's' : ''}</span> ` : ''}${entry.txId ? html`<code>${entry.txId}</code> · ` : ''}<span class="muted">${explanation.summary}</span></span></summary>
<div class="body">
<div class="explain${refused ? ' bad' : ''}"><strong>${explanation.summary}</strong>
${explanation.details.filter(Boolean).map((line) => html`<div>${line}</div>`)}
${explanation.fix ? html`<div class="small"><strong>What to do:</strong> ${explanation.fix}</div>` : ''}</div>
${entry.warnings.length > 0 ? html`<div class="explain warnings"><strong>Stored as sent, but check:</strong>${entry.warnings.map((w) => html`<div>${w.message}</div>`)}</div>` : ''}
<div class="grid2">
<div><h2>Request (secrets redacted)</h2>
<pre>${entry.method} ${entry.path}${entry.query ? `?${entry.query}` : ''}</pre>
${entry.body ? html`<div class="small muted">Body</div><pre>${entry.body}</pre>` : ''}
<div class="small muted">Headers</div><pre>${Object.entries(entry.headers)
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n')}</pre>
<div class="small muted">From ${entry.sourceIp ?? 'unknown'} · caller ${entry.callerVerified ? 'verified' : 'not verified'} · log #${entry.id}</div></div>
<div><h2>Answer</h2>
<pre>HTTP ${entry.statusCode}
X-Postback-Outcome: ${entry.outcome}${entry.message ? `\n${entry.message}` : ''}</pre>
${entry.conversionId ? html`<p><a href="/dashboard/conversions/${entry.conversionId}">Conversion #${entry.conversionId} and its timeline</a></p>` : ''}
${entry.replayOf ? html`<p class="small">Replay of <a href="/dashboard/postbacks/${entry.replayOf}">#${entry.replayOf}</a>${entry.replayedBy ? ` by ${entry.replayedBy}` : ''}</p>` : ''}
${context.can('replay') ? replayControls(entry, context.csrf) : ''}
<p class="small"><a href="/dashboard/postbacks/${entry.id}">Permalink</a></p></div>
</div></div></details>`
}

/** User, offer and payout as the conversion records them; dashes for a refusal (none). */
function conversionColumns(entry: LogEntry): Html {
  const c = entry.conversion
  const payout = c?.payout ? `${c.payout}${c.currency ? ` ${c.currency}` : ''}` : '—'
  return html`<span class="col" data-col="user">${c?.userId ? html`<a href="/dashboard/users?user=${encodeURIComponent(c.userId)}">${c.userId}</a>` : '—'}</span>
<span class="col" data-col="offer">${c?.offerId ?? '—'}</span>
<span class="col num" data-col="payout">${payout}</span>`
}

function replayControls(entry: LogEntry, csrf: string): Html | string {
  const can = replayable(entry)
  if (!can || entry.replayOf) return ''
  if (entry.acceptedReplay)
    return html`<p class="small">Replayed and accepted as <a href="/dashboard/postbacks/${entry.acceptedReplay.id}">#${entry.acceptedReplay.id}</a>.</p>`
  const action = `/dashboard/postbacks/${entry.id}/replay`
  if (!can.unauthorized)
    return confirmButton({
      label: 'Replay',
      action,
      question: html`Run this postback again through today's configuration? A conversion is still credited at most once.`,
      confirm: 'Replay now',
      csrf,
    })
  // Refused before its caller was verified: anyone could have sent it. Say so, and make the
  // operator vouch for it explicitly (the server refuses the replay without the tick).
  return html`<div class="explain bad unverified"><strong>Caller not verified.</strong> This request was refused (${entry.outcome}) before its secret or signature and its source address were checked, and the stored copy has them redacted: nothing shows that the network sent it. A replay would credit it on your word.</div>
${confirmButton({
  label: 'Replay unverified…',
  action,
  question: html`Replay a request whose caller was never verified? Ask the network to resend it instead unless you know it is genuine.`,
  confirm: 'It is genuine: replay',
  csrf,
  danger: true,
  fields: html`<label class="small"><input type="checkbox" name="include_unauthorized" value="1" required> The network really sent this request</label> `,
})}`
}
