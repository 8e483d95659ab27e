import { type Html, html } from './html.js'
import { document } from './layout.js'

export function loginPage(options: { next: string; name?: string; error?: string }): Html {
  return document(
    'Sign in',
    html`<main class="signin"><div class="card">
<h1>postback-receiver</h1>
<p class="muted">Sign in with your account, or leave the name empty and use the service's <code>ADMIN_TOKEN</code>.</p>
${options.error ? html`<div class="notice bad" role="alert">${options.error}</div>` : ''}
<form method="post" action="/dashboard/login">
<input type="hidden" name="next" value="${options.next}">
<label>Account name <input name="name" value="${options.name ?? ''}" autocomplete="username" maxlength="64" autofocus></label>
<label>Password or ADMIN_TOKEN <input type="password" name="token" autocomplete="current-password" required></label>
<button type="submit">Sign in</button>
</form>
<p class="small muted">The password is sent once in this form's body; the browser then keeps a session cookie (12 hours, ended on sign-out or by an admin) that scripts cannot read.</p>
</div></main>`,
  )
}
