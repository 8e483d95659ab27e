import { postbackChart } from './chart.js'
import { type Html, html } from './html.js'
import { badge, type PageContext, page } from './layout.js'
import { OVERVIEW_PERIODS, type Overview } from './overview-data.js'

export function overviewPage(context: PageContext, o: Overview): Html {
  const networks = new Map<
    string,
    { total: number; refused: number; outcomes: [string, number, boolean][] }
  >()
  for (const row of o.byNetwork) {
    const entry = networks.get(row.network) ?? { total: 0, refused: 0, outcomes: [] }
    entry.total += row.count
    if (row.refused) entry.refused += row.count
    entry.outcomes.push([row.outcome, row.count, row.refused])
    networks.set(row.network, entry)
  }
  const total = [...networks.values()].reduce((sum, n) => sum + n.total, 0)
  const refused = [...networks.values()].reduce((sum, n) => sum + n.refused, 0)
  const link = (network: string, outcome?: string) =>
    `/dashboard/postbacks?network=${encodeURIComponent(network)}&period=${o.period.key}${outcome ? `&outcome=${encodeURIComponent(outcome)}` : ''}`
  return page(
    'Overview',
    'overview',
    context,
    html`<form class="filters" method="get" action="/dashboard"><label>Period <select name="period">${OVERVIEW_PERIODS.map(
      (p) =>
        html`<option value="${p.key}"${p.key === o.period.key ? html` selected` : ''}>last ${p.key}</option>`,
    )}</select></label><button type="submit">Show</button></form>
${o.silent.map(
  (s) =>
    html`<div class="notice warn" role="alert"><strong>Network ${s.network} has gone silent:</strong> no accepted postback in the last hour, after ${s.previous23Hours} in the 23 hours before. Check the network's status and the <a href="${link(s.network)}">postback log</a>.</div>`,
)}
<div class="tiles">
<div class="tile"><div class="n">${total}</div><div class="l">postbacks (${refused} refused)</div></div>
<div class="tile" id="refusals"><div class="n"><a href="/dashboard/postbacks?outcome=refused&amp;period=${o.period.key}">${o.refusals.outstanding}</a></div><div class="l">refusals outstanding (${o.refusals.replayed} replayed and accepted since)</div></div>
<div class="tile"><div class="n">${o.credited}</div><div class="l">points credited</div></div>
<div class="tile"><div class="n">${o.reversed}</div><div class="l">points reversed</div></div>
<div class="tile"><div class="n"><a href="/dashboard/review">${o.held}</a></div><div class="l">held for review (now)</div></div>
<div class="tile"><div class="n"><a href="/dashboard/deliveries${o.deliveries.dead > 0 ? '?state=dead' : ''}">${o.deliveries.dead + o.deliveries.failing}</a></div><div class="l">delivery failures (<a href="/dashboard/deliveries?state=dead" id="dead-deliveries">${o.deliveries.dead} dead</a>, <a href="/dashboard/deliveries?state=failing">${o.deliveries.failing} retrying</a>)</div></div>
</div>
<div class="card chart"><div class="legend"><span><i class="sw-ok"></i>accepted</span><span><i class="sw-bad"></i>refused</span><span>per ${o.period.bucketSeconds >= 3600 ? `${o.period.bucketSeconds / 3600} h` : `${o.period.bucketSeconds / 60} min`}, UTC</span></div>
${postbackChart(o.series, o.from, o.period.bucketSeconds)}</div>
<h2>Per network and outcome</h2>
${
  networks.size === 0
    ? html`<p class="card muted">No postbacks in this period.</p>`
    : html`<div class="scroll"><table class="cards"><thead><tr><th>Network</th><th class="num">Postbacks</th><th class="num">Refused</th><th>Outcomes</th></tr></thead><tbody>
${[...networks].map(
  ([
    name,
    n,
  ]) => html`<tr><td data-label="Network"><a href="${link(name)}">${name}</a></td><td class="num" data-label="Postbacks">${n.total}</td><td class="num" data-label="Refused">${n.refused}</td>
<td data-label="Outcomes">${n.outcomes.map(([outcome, count, bad]) => html`<a href="${link(name, outcome)}">${badge(outcome, bad ? 400 : 200)}</a> ${count} `)}</td></tr>`,
)}</tbody></table></div>`
}`,
  )
}
