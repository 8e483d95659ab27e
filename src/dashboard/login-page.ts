import { type Html, html } from './html.js'
import { document } from './layout.js'

export function loginPage(options: { next: string; error?: string }): Html {
  return document(
    'Sign in',
    html`<main class="signin"><div class="card">
<h1>postback-receiver</h1>
<p class="muted">Sign in with the service's <code>ADMIN_TOKEN</code>.</p>
${options.error ? html`<div class="notice bad" role="alert">${options.error}</div>` : ''}
<form method="post" action="/dashboard/login">
<input type="hidden" name="next" value="${options.next}">
<label>Admin token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<button type="submit">Sign in</button>
</form>
<p class="small muted">The token is sent once in this form's body; the browser then keeps a signed session cookie (12 hours) that scripts cannot read.</p>
</div></main>`,
  )
}
