import type { Account } from '../accounts/accounts.js'
import { ROLES, TOKEN_SCOPES } from '../accounts/permissions.js'
import type { ApiToken } from '../accounts/tokens.js'
import { formatTime, type Html, html } from './html.js'
import { confirmButton, csrfField, type PageContext, page } from './layout.js'

// Accounts and API tokens, for admins: create, change the role, disable, set a new password,
// end sessions; create (shown once) and revoke tokens. Every form has an API twin
// (/admin/accounts, /admin/tokens).

const roleOptions = (selected?: string) =>
  ROLES.map((role) => html`<option${role === selected ? html` selected` : ''}>${role}</option>`)

function accountRow(a: Account, csrf: string): Html {
  const base = `/dashboard/accounts/${encodeURIComponent(a.name)}`
  return html`<tr id="account-${a.name}"><td data-label="Name"><strong>${a.name}</strong></td>
<td data-label="Role"><form class="inline" method="post" action="${base}/role">${csrfField(csrf)}<select name="role" aria-label="Role of ${a.name}">${roleOptions(a.role)}</select> <button type="submit" class="secondary">Set role</button></form></td>
<td data-label="State">${a.disabled ? html`<span class="badge bad">disabled</span>` : html`<span class="badge ok">active</span>`} <span class="small muted">${a.activeSessions} session(s)</span></td>
<td data-label="Created" class="small">${formatTime(a.createdAt)} by ${a.createdBy}</td>
<td data-label="Actions">${confirmButton({
    label: a.disabled ? 'Enable…' : 'Disable…',
    action: `${base}/${a.disabled ? 'enable' : 'disable'}`,
    question: a.disabled
      ? `Let ${a.name} sign in again?`
      : `Disable ${a.name}? Their sessions end now and they cannot sign in.`,
    confirm: a.disabled ? 'Yes, enable' : 'Yes, disable',
    csrf,
    danger: !a.disabled,
  })}${confirmButton({
    label: 'End sessions…',
    action: `${base}/sessions/revoke`,
    question: `Sign ${a.name} out everywhere now?`,
    confirm: 'Yes, end their sessions',
    csrf,
  })}${confirmButton({
    label: 'New password…',
    action: `${base}/password`,
    question: `A new password for ${a.name} (at least 12 characters); their sessions end.`,
    confirm: 'Set password',
    csrf,
    fields: html`<label>New password <input type="password" name="password" autocomplete="new-password" minlength="12" required></label> `,
  })}</td></tr>`
}

function tokenRow(t: ApiToken, csrf: string): Html {
  const state = t.revokedAt
    ? html`<span class="badge bad">revoked ${formatTime(t.revokedAt)}</span>`
    : t.expiresAt && t.expiresAt.getTime() <= Date.now()
      ? html`<span class="badge warn">expired</span>`
      : html`<span class="badge ok">active</span>`
  return html`<tr id="token-${t.id}"><td data-label="Name"><strong>${t.name}</strong> <span class="muted small">#${t.id}</span></td><td data-label="Scope"><code>${t.scope}</code></td><td data-label="State">${state}</td>
<td data-label="Expires" class="small">${t.expiresAt ? formatTime(t.expiresAt) : 'never'}</td><td data-label="Last used" class="small">${t.lastUsedAt ? formatTime(t.lastUsedAt) : 'never'}</td>
<td data-label="Created" class="small">${formatTime(t.createdAt)} by ${t.createdBy}</td>
<td data-label="Actions">${
    t.revokedAt
      ? ''
      : confirmButton({
          label: 'Revoke…',
          action: `/dashboard/tokens/${t.id}/revoke`,
          question: `Revoke ${t.name}? Requests with it are refused from now on.`,
          confirm: 'Yes, revoke',
          csrf,
          danger: true,
        })
  }</td></tr>`
}

export function accountsPage(
  context: PageContext,
  accounts: Account[],
  tokens: ApiToken[],
  created?: { name: string; token: string },
): Html {
  const { csrf } = context
  return page(
    'Accounts',
    'accounts',
    context,
    html`${created ? html`<div class="notice ok" role="status" id="new-token"><strong>Token ${created.name} created.</strong> Copy it now: it is shown only this once.<div class="copyrow"><textarea id="token-value" rows="1" readonly aria-label="The new token">${created.token}</textarea><button type="button" class="secondary" data-copy="token-value">Copy</button></div></div>` : ''}
<p class="muted">Admins do everything; operators review, replay, retry and adjust; viewers only read. ADMIN_TOKEN stays the bootstrap and automation key.</p>
${
  accounts.length === 0
    ? html`<p class="card muted">No accounts yet.</p>`
    : html`<div class="scroll"><table class="cards"><thead><tr><th>Name</th><th>Role</th><th>State</th><th>Created</th><th></th></tr></thead><tbody>${accounts.map((a) => accountRow(a, csrf))}</tbody></table></div>`
}
<h2>New account</h2>
<form class="filters" method="post" action="/dashboard/accounts">${csrfField(csrf)}
<label>Name <input name="name" required pattern="[a-z0-9][a-z0-9._\\-]{0,63}" maxlength="64" autocomplete="off"></label>
<label>Role <select name="role">${roleOptions('operator')}</select></label>
<label>Password <input type="password" name="password" minlength="12" required autocomplete="new-password"></label>
<button type="submit">Create account</button></form>
<h2>API tokens</h2>
${
  tokens.length === 0
    ? html`<p class="card muted">No API tokens yet.</p>`
    : html`<div class="scroll"><table class="cards"><thead><tr><th>Name</th><th>Scope</th><th>State</th><th>Expires</th><th>Last used</th><th>Created</th><th></th></tr></thead><tbody>${tokens.map((t) => tokenRow(t, csrf))}</tbody></table></div>`
}
<form class="filters" method="post" action="/dashboard/tokens">${csrfField(csrf)}
<label>Name <input name="name" required maxlength="64" placeholder="crm-backend"></label>
<label>Scope <select name="scope">${TOKEN_SCOPES.map((s) => html`<option>${s}</option>`)}</select></label>
<label>Expires in days <input name="expiresInDays" inputmode="numeric" pattern="\\d{1,4}" placeholder="never"></label>
<button type="submit">Create token</button></form>
<p class="small muted">balances:read lets an app look up balances (GET /admin/users/:userId) and nothing else.</p>`,
  )
}
