import type { Permission } from '../accounts/permissions.js'
import { type Html, html } from './html.js'

export const NAV = [
  ['overview', '/dashboard', 'Overview'],
  ['reports', '/dashboard/reports', 'Reports'],
  ['postbacks', '/dashboard/postbacks', 'Postback log'],
  ['conversions', '/dashboard/conversions', 'Conversions'],
  ['users', '/dashboard/users', 'Users'],
  ['review', '/dashboard/review', 'Review queue'],
  ['offers', '/dashboard/offers', 'Offers'],
  ['networks', '/dashboard/networks', 'Networks'],
  ['deliveries', '/dashboard/deliveries', 'Deliveries'],
  ['audit', '/dashboard/audit', 'Audit log'],
  ['accounts', '/dashboard/accounts', 'Accounts'],
] as const

export type Section = (typeof NAV)[number][0]

export type PageContext = {
  csrf: string
  notice?: Notice
  /** Who is signed in, as the header shows it ("alice · operator"). */
  who: string
  /** Whether the signed-in principal may do this: pages show only the buttons it may use. */
  can(permission: Permission): boolean
}
export type Notice = { kind: 'ok' | 'bad' | 'warn' | 'info'; text: string }

/** A whole signed-in page: header, navigation, sign-out, the content. */
export function page(title: string, section: Section, context: PageContext, content: Html): Html {
  return document(
    title,
    html`<header class="top">
  <span class="brand">postback-receiver</span>
  <nav aria-label="Sections">${NAV.filter(
    ([key]) => key !== 'accounts' || context.can('admin'),
  ).map(
    ([key, href, label]) =>
      html`<a href="${href}"${key === section ? html` aria-current="page"` : ''}>${label}</a>`,
  )}</nav>
  <form method="post" action="/dashboard/logout"><span class="small muted who">${context.who}</span> ${csrfField(context.csrf)}<button type="submit">Sign out</button></form>
</header>
<main>
<h1>${title}</h1>
${context.notice ? html`<div class="notice ${context.notice.kind}" role="status">${context.notice.text}</div>` : ''}
${content}
</main>`,
  )
}

export function document(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${title} · postback-receiver</title>
<link rel="stylesheet" href="/dashboard/assets/dashboard.css">
<script type="module" src="/dashboard/assets/dashboard.js"></script>
</head>
<body>
${body}
</body>
</html>`
}

export function csrfField(csrf: string): Html {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`
}

/** A two-step button without a dialog: the question and the real submit appear on click. */
export function confirmButton(options: {
  label: string
  action: string
  question: string | Html
  confirm: string
  csrf: string
  danger?: boolean
  fields?: Html
}): Html {
  return html`<details class="confirm"><summary>${options.label}</summary>
<div class="ask"><p>${options.question}</p>
<form method="post" action="${options.action}">${csrfField(options.csrf)}${options.fields ?? ''}
<button type="submit"${options.danger ? html` class="danger"` : ''}>${options.confirm}</button></form></div></details>`
}

export function badge(outcome: string, statusCode?: number): Html {
  const kind =
    statusCode !== undefined && statusCode >= 400
      ? 'bad'
      : ['credited', 'approved', 'delivered'].includes(outcome)
        ? 'ok'
        : ['held', 'reversed', 'rejected', 'ignored', 'pending', 'dead'].includes(outcome)
          ? 'warn'
          : ''
  return html`<span class="badge ${kind}">${outcome}</span>`
}
