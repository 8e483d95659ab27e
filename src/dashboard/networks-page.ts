import { describeNetwork, shownPostbackUrl } from '../networks/edit.js'
import type { NetworkRegistry } from '../networks/registry.js'
import type { Diagnosis } from '../operations/doctor/diagnose.js'
import type { TestResult } from './actions.js'
import { addNetworkForm, networkEditor } from './edit-pages.js'
import { type Html, html } from './html.js'
import { badge, csrfField, type PageContext, page } from './layout.js'

export function networksPage(
  context: PageContext,
  networks: NetworkRegistry,
  baseUrl: string,
  result?: TestResult,
  diagnosis?: Diagnosis,
): Html {
  return page(
    'Networks',
    'networks',
    context,
    html`<p class="muted">Each network's postback URL in its own macro syntax: paste it into the network's dashboard. "Send test postback" builds the request the network would send, signed with its secret, and runs it through this service (from 127.0.0.1): the test user's balance really changes.</p>
${!baseUrl.startsWith('https://') ? html`<p class="notice warn small">These URLs start with ${baseUrl}: set PUBLIC_URL to the https:// address networks reach this service at.</p>` : ''}
${addNetworkForm(context)}
${networks.names().map((name, index) => {
  const profile = networks.get(name)
  const view = describeNetwork(networks, name)
  if (!profile || !view) return ''
  const url = shownPostbackUrl(networks, profile, baseUrl)
  const inputId = `url-${index}`
  const shown = result?.network === name ? result : undefined
  return html`<section class="card" id="network-${name}">
<h2>${name} ${profile.preset ? html`<span class="badge">${profile.preset} preset</span>` : ''}</h2>
<p class="small muted">Signature: ${profile.signature.kind} · allowed IPs: ${profile.allowedIps.entries.length ? profile.allowedIps.entries.join(', ') : 'any'} · points from ${profile.pointsFrom}</p>
${networkEditor(context, view)}
${
  // The URL holds the network's secret: whoever has it can send postbacks that credit users,
  // which is more than a viewer or an operator may do.
  context.can('admin')
    ? html`<div class="copyrow"><textarea id="${inputId}" rows="2" readonly aria-label="Postback URL for ${name}">${url.url}</textarea><button type="button" class="secondary" data-copy="${inputId}">Copy</button></div>
${url.notes.map((note) => html`<p class="small muted">${note}</p>`)}`
    : html`<p class="small muted">The postback URL holds the network's secret: an admin can copy it here.</p>`
}
${
  context.can('admin')
    ? html`<form class="filters" method="post" action="/dashboard/networks/${name}/test">${csrfField(context.csrf)}
<label>Test user id <input name="user" value="test-user" required maxlength="255"></label>
<label>Status <select name="status"><option>approved</option><option>pending</option><option>reversed</option></select></label>
<button type="submit">Send test postback</button></form>`
    : ''
}
<form class="filters" method="get" action="/dashboard/networks/${name}/doctor#network-${name}">
<button type="submit" class="secondary">Diagnose</button> <span class="small muted">reads its newest postbacks and says what is wrong</span></form>
${shown ? testResult(shown) : ''}
${diagnosis?.network === name ? doctorResult(diagnosis) : ''}
</section>`
})}`,
  )
}

function doctorResult(diagnosis: Diagnosis): Html {
  return html`<div class="notice ${diagnosis.healthy ? 'ok' : 'bad'}" role="status" data-doctor-result>
<strong>${diagnosis.healthy ? 'No problems found' : 'Problems found'}</strong> in the newest ${diagnosis.checked} postbacks (${diagnosis.accepted} accepted)
<ul>${diagnosis.findings.map(
    (finding) =>
      html`<li data-finding="${finding.code}"><strong>${finding.severity}</strong> ${finding.message}${finding.logIds.map((id) => html` <a href="/dashboard/postbacks/${id}">#${id}</a>`)}</li>`,
  )}</ul></div>`
}

function testResult(result: TestResult): Html {
  const ok = result.statusCode < 400
  return html`<div class="notice ${ok ? 'ok' : 'bad'}" role="status" data-test-result>
<strong>Test postback ${ok ? 'accepted' : 'refused'}:</strong> HTTP ${result.statusCode} ${badge(result.outcome, result.statusCode)} · tx <code>${result.txId}</code>
<pre>${result.request}</pre>
<div class="small muted">Answer</div><pre>${result.answer}</pre>
<a href="/dashboard/postbacks?tx=${encodeURIComponent(result.txId)}&amp;period=1h">See it in the postback log</a></div>`
}
