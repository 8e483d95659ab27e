import { codesOn } from '../http/codes.js'
import type { NetworkRegistry } from '../networks/registry.js'
import type { LogFilter } from '../postback-log/queries.js'
import type { LogEntry } from '../postback-log/rows.js'
import { exportForm } from './export-page.js'
import { type Html, html, queryString } from './html.js'
import { type PageContext, page } from './layout.js'
import { renderEntry } from './postback-entry.js'

export const PERIODS: Record<string, number> = {
  '1h': 3600,
  '24h': 86_400,
  '7d': 7 * 86_400,
  '30d': 30 * 86_400,
}

/** Accepted outcomes, then every code the postback log stores (src/http/codes.ts). */
export const OUTCOME_CHOICES = [
  'credited',
  'recorded',
  'held',
  'reversed',
  'duplicate',
  'ignored',
  'test',
  ...codesOn('log'),
]

export type LogQuery = {
  network?: string
  outcome?: string
  tx?: string
  user?: string
  period: string
  /** '1': only duplicates whose payout differs from the recorded conversion's. */
  mismatch?: '1'
  before?: string
}

export function filterOf(query: LogQuery, now: Date): LogFilter {
  const seconds = PERIODS[query.period]
  // 'refused' and 'accepted' choose every outcome of that kind.
  const result =
    query.outcome === 'refused' || query.outcome === 'accepted' ? query.outcome : undefined
  return {
    network: query.network,
    outcome: result ? undefined : query.outcome,
    result,
    txId: query.tx,
    userId: query.user,
    since: seconds ? new Date(now.getTime() - seconds * 1000) : undefined,
    before: query.before,
    payoutMismatch: query.mismatch === '1',
  }
}

export function postbacksPage(
  context: PageContext,
  networks: NetworkRegistry,
  query: LogQuery,
  entries: LogEntry[],
  pageSize: number,
  /** REPORT_TIMEZONE: the export form's default zone. */
  zone = 'UTC',
): Html {
  const filters = {
    network: query.network,
    outcome: query.outcome,
    tx: query.tx,
    user: query.user,
    period: query.period,
    mismatch: query.mismatch,
  }
  const live = !query.before
  const newest = entries[0]?.id ?? '0'
  const oldest = entries.at(-1)?.id
  const select = (name: string, value: string | undefined, options: [string, string][]) =>
    html`<select name="${name}">${options.map(([v, label]) => html`<option value="${v}"${v === (value ?? '') ? html` selected` : ''}>${label}</option>`)}</select>`
  return page(
    'Postback log',
    'postbacks',
    context,
    html`<form class="filters" method="get" action="/dashboard/postbacks">
<label>Network ${select('network', query.network, [['', 'all'], ...networks.names().map((n): [string, string] => [n, n])])}</label>
<label>Outcome ${select('outcome', query.outcome, [['', 'all'], ['refused', 'refused (any)'], ['accepted', 'accepted (any)'], ...OUTCOME_CHOICES.map((o): [string, string] => [o, o])])}</label>
<label>Tx id <input name="tx" value="${query.tx ?? ''}" placeholder="transaction id"></label>
<label>User <input name="user" value="${query.user ?? ''}" placeholder="user id"></label>
<label>Time ${select('period', query.period, [
      ['1h', 'last hour'],
      ['24h', 'last 24 hours'],
      ['7d', 'last 7 days'],
      ['30d', 'last 30 days'],
      ['all', 'all time'],
    ])}</label>
<label class="check"><input type="checkbox" name="mismatch" value="1"${query.mismatch ? html` checked` : ''}> Payout mismatch only</label>
<button type="submit">Filter</button>
</form>
<div class="actions">${context.can('replay') ? html`<a href="/dashboard/postbacks/bulk-replay${queryString({ network: query.network, outcome: query.outcome, tx: query.tx, period: query.period })}">Replay all refused matching…</a>` : ''} ${exportForm('/dashboard/postbacks.csv', { network: query.network, outcome: query.outcome, txId: query.tx }, zone)}</div>
<p class="live" id="live-status">${live ? 'live: new postbacks appear at the top' : html`older entries · <a href="/dashboard/postbacks${queryString(filters)}">back to the newest (live)</a>`}</p>
<div class="entry-head" aria-hidden="true"><span>Received (UTC)</span><span>Network</span><span>Outcome</span><span>User</span><span>Offer</span><span>Payout</span><span></span></div>
<div class="entries"${live ? html` data-live-src="/dashboard/postbacks/rows${queryString(filters) || '?'}" data-after="${newest}"` : ''}>
${entries.length === 0 ? html`<p class="card muted" id="no-entries">No postbacks match these filters${query.user ? ' (a user is found through their conversions: search refused postbacks by tx id)' : ''}.</p>` : ''}
${entries.map((entry) => renderEntry(entry, context))}
</div>
${entries.length === pageSize && oldest ? html`<p class="pager"><a href="/dashboard/postbacks${queryString({ ...filters, before: oldest })}">Older entries →</a></p>` : ''}`,
  )
}
