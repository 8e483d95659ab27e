import { randomUUID } from 'node:crypto'
import type { z } from 'zod'
import type { offersAnswer } from '../admin/answers.js'
import type { NetworkView } from '../networks/edit.js'
import { PRESETS } from '../networks/presets/index.js'
import { type Html, html, queryString } from './html.js'
import { csrfField, type PageContext, page } from './layout.js'

// The day-to-day edits: a balance adjustment (with a confirm step for a user never seen),
// offers' expected payouts, and networks stored in the database. Secrets are never rendered:
// the forms only take a new one.

/**
 * The adjustment form on a user's page. Its reference is made when the page is rendered, so
 * the same form sent twice (a double click, a resent request) applies once.
 */
export function adjustForm(context: PageContext, userId: string): Html {
  if (!context.can('adjust')) return html``
  return html`<section class="card" id="adjust"><h2>Adjust balance</h2>
<form class="filters" method="post" action="/dashboard/users/adjust">${csrfField(context.csrf)}
<input type="hidden" name="user" value="${userId}"><input type="hidden" name="reference" value="dashboard-${randomUUID()}">
<label>Points <input name="points" required inputmode="numeric" pattern="-?[0-9]+" placeholder="-500 or 250"></label>
<label>Reason <input name="reason" required maxlength="500" placeholder="ticket 4411: goodwill"></label>
<button type="submit">Adjust</button></form>
<p class="small muted">Negative points take points away. Recorded in the ledger as an adjustment with your name and the reason.</p></section>`
}

export type PendingAdjustment = { user: string; points: string; reason: string; reference: string }

/** Asked before adjusting a user the service has never seen (most often a mistyped id). */
export function confirmAdjustPage(context: PageContext, adjustment: PendingAdjustment): Html {
  return page(
    'Adjust a new user?',
    'users',
    context,
    html`<div class="notice warn" role="alert" id="new-user-warning">User <strong>${adjustment.user}</strong> has never been seen: no balance and no conversions. Check the id: an adjustment to a mistyped id credits nobody you know.</div>
<p>${Number(adjustment.points) > 0 ? 'Add' : 'Take'} <strong>${adjustment.points.replace(/^-/, '')}</strong> points ${Number(adjustment.points) > 0 ? 'to' : 'from'} <strong>${adjustment.user}</strong>: ${adjustment.reason}</p>
<form method="post" action="/dashboard/users/adjust">${csrfField(context.csrf)}
<input type="hidden" name="user" value="${adjustment.user}"><input type="hidden" name="points" value="${adjustment.points}">
<input type="hidden" name="reason" value="${adjustment.reason}"><input type="hidden" name="reference" value="${adjustment.reference}">
<input type="hidden" name="newUser" value="yes">
<button type="submit">Yes, adjust new user ${adjustment.user}</button> <a href="/dashboard/users">Cancel</a></form>`,
  )
}

type Offers = z.output<typeof offersAnswer>

export function offersPage(
  context: PageContext,
  filter: { network?: string; offer?: string },
  offers: Offers,
  networks: string[],
): Html {
  const editable = context.can('admin')
  return page(
    'Offers',
    'offers',
    context,
    html`<p class="muted">An offer's expected payout is what payout review compares an approval with: one paying more than it by over PAYOUT_TOLERANCE is held for review. Payouts are exact decimals (up to 6 places).</p>
<form class="filters" method="get" action="/dashboard/offers">
<label>Network <input name="network" value="${filter.network ?? ''}" list="network-names"></label>
<label>Offer id <input name="offer" value="${filter.offer ?? ''}"></label>
<button type="submit">Show</button></form>
<datalist id="network-names">${networks.map((name) => html`<option value="${name}">`)}</datalist>
${
  editable
    ? html`<section class="card"><h2>Set an expected payout</h2><form class="filters" method="post" action="/dashboard/offers" id="set-offer">${csrfField(context.csrf)}
<label>Network <input name="network" value="${filter.network ?? 'default'}" required list="network-names"></label>
<label>Offer id <input name="offerId" required maxlength="255"></label>
<label>Expected payout <input name="expectedPayout" required inputmode="decimal" placeholder="3.50"></label>
<button type="submit">Save</button></form></section>`
    : ''
}
${
  offers.items.length === 0
    ? html`<p class="card muted">No offers${filter.network ? ` for ${filter.network}` : ''} yet.</p>`
    : html`<div class="scroll"><table class="cards" id="offers"><thead><tr><th>Network</th><th>Offer</th><th class="num">Expected payout</th><th>Updated (UTC)</th></tr></thead><tbody>
${offers.items.map(
  (
    o,
  ) => html`<tr data-offer="${o.network}/${o.offerId}"><td data-label="Network">${o.network}</td><td data-label="Offer">${o.offerId}</td>
<td class="num" data-label="Expected payout">${
    editable
      ? html`<form class="filters" method="post" action="/dashboard/offers">${csrfField(context.csrf)}<input type="hidden" name="network" value="${o.network}"><input type="hidden" name="offerId" value="${o.offerId}"><input name="expectedPayout" value="${o.expectedPayout}" size="12" required aria-label="Expected payout of ${o.offerId}"> <button type="submit" class="secondary">Save</button></form>`
      : o.expectedPayout
  }</td><td data-label="Updated">${o.updatedAt.toISOString().slice(0, 16).replace('T', ' ')}</td></tr>`,
)}
</tbody></table></div>`
}
${offers.nextAfter ? html`<p class="pager"><a href="/dashboard/offers${queryString({ network: filter.network, offer: filter.offer, after: offers.nextAfter })}">Next →</a></p>` : ''}`,
  )
}

/** "Add a network": a preset, a name, its secret, optionally the allowed IPs. */
export function addNetworkForm(context: PageContext): Html {
  if (!context.can('admin')) return html``
  const presets = Object.entries(PRESETS).sort(([a], [b]) => a.localeCompare(b))
  return html`<details class="card" id="add-network"><summary><strong>Add a network</strong></summary>
<form method="post" action="/dashboard/networks/add" class="filters">${csrfField(context.csrf)}
<label>Preset <select name="preset" required>${presets.map(([key, preset]) => html`<option value="${key}">${preset.title} (${key})</option>`)}</select></label>
<label>Name <input name="name" required pattern="[a-z0-9][a-z0-9_\\-]{0,63}" placeholder="the preset's key, e.g. kiwiwall"> <span class="small muted">lower-case letters, digits, - and _; the URL becomes /api/postback/&lt;name&gt;</span></label>
<label>Secret <input name="secret" type="password" autocomplete="new-password" minlength="8" placeholder="from the network's panel"> <span class="small muted">never shown again</span></label>
<label>Allowed IPs <textarea name="allowedIps" rows="2" placeholder="one per line or comma-separated; empty: any address (the preset's notes list the network's)"></textarea></label>
<button type="submit">Add network</button></form>
<p class="small muted">Stored in the database and applied at once on every instance (within NETWORKS_RELOAD_INTERVAL). A network in NETWORKS_FILE is edited in the file.</p></details>`
}

/** Where a network's profile comes from, and for a stored one the edit form. */
export function networkEditor(context: PageContext, view: NetworkView): Html {
  const shadowed = view.shadowed
    ? html`<p class="notice warn small" data-shadowed>The database also has a version of ${view.name}: NETWORKS_FILE wins, so that version is not used.</p>`
    : ''
  if (view.source === 'environment')
    return html`<p class="small muted" data-source="environment">Configured by the environment (POSTBACK_SECRET, ALLOWED_IPS): read-only here.</p>${shadowed}`
  if (view.source === 'file')
    return html`<p class="small muted" data-source="file">Defined in NETWORKS_FILE: read-only here (edit the file, then SIGHUP).</p>${shadowed}`
  const intro = html`<p class="small muted" data-source="database">Stored in the database · ${view.secrets} secret${view.secrets === 1 ? '' : 's'} set</p>`
  if (!context.can('admin')) return intro
  const statuses = (key: keyof NetworkView['statuses']) =>
    html`<label>${key} <input name="${key}" value="${view.statuses[key].join(', ')}" placeholder="comma-separated values"></label>`
  return html`${intro}<details class="edit-network"><summary>Edit ${view.name}</summary>
<form method="post" action="/dashboard/networks/${view.name}/edit" class="filters">${csrfField(context.csrf)}
<label>Allowed IPs <textarea name="allowedIps" rows="2" placeholder="empty: any address">${view.allowedIps.join('\n')}</textarea></label>
<fieldset><legend>Status values (what the network sends for each)</legend>${statuses('approved')} ${statuses('pending')} ${statuses('reversed')}</fieldset>
<label>New secret <input name="secret" type="password" autocomplete="new-password" minlength="8" placeholder="leave empty to keep the current one"></label>
<button type="submit">Save ${view.name}</button></form></details>`
}
