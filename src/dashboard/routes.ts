import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import { accountForSignIn } from '../accounts/accounts.js'
import { DUMMY_HASH, verifyPassword } from '../accounts/passwords.js'
import { can, requiredPermission, whoMay } from '../accounts/permissions.js'
import { createSession, endSession, findSession } from '../accounts/sessions.js'
import type { ThrottleState } from '../http/auth-throttle.js'
import { HttpError, toHttpError } from '../http/errors.js'
import { zodRoutes } from '../openapi/zod-routes.js'
import { accountRoutes } from './account-routes.js'
import { SCRIPT, STYLE } from './assets.js'
import {
  clearSessionCookie,
  DashboardAuth,
  safeEqual,
  sameOrigin,
  sessionCookie,
  setSessionCookie,
} from './auth.js'
import { bulkRoutes } from './bulk-routes.js'
import { type DashboardOptions, sendHtml } from './context.js'
import { editRoutes } from './edit-routes.js'
import { exportRoutes } from './export-routes.js'
import { html } from './html.js'
import { document } from './layout.js'
import { logRoutes } from './log-routes.js'
import { loginPage } from './login-page.js'
import { moneyRoutes } from './money-routes.js'
import { opsRoutes } from './ops-routes.js'
import { reportRoutes } from './report-routes.js'

const PUBLIC = new Set([
  '/dashboard/login',
  '/dashboard/assets/dashboard.css',
  '/dashboard/assets/dashboard.js',
])
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'same-origin',
  'cache-control': 'no-store',
}

// Sign-in is lenient by design: whatever the form holds, a bad one is "wrong name or password"
// and a bad next= is the overview, never a 400. `token` is the password, or ADMIN_TOKEN when
// no name is given.
const next = z.unknown().optional().transform(safeNext)
const signIn = z
  .object({
    name: z.string().trim().toLowerCase().max(64).catch(''),
    token: z.string().max(1024).catch(''),
    next,
  })
  .catch({ name: '', token: '', next: '/dashboard' })

/** The operator dashboard at /dashboard: server-rendered pages behind ADMIN_TOKEN. */
export async function dashboardRoutes(fastify: FastifyInstance, options: DashboardOptions) {
  const app = zodRoutes(fastify)
  const auth = new DashboardAuth(options.token)
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 16 * 1024 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  )
  app.decorateRequest('dashboardSession', null)
  app.addHook('onRequest', async (request, reply) => {
    reply.headers(SECURITY_HEADERS)
    const path = request.url.split('?')[0] ?? ''
    if (PUBLIC.has(path)) return
    const found = await findSession(options.db.pool, sessionCookie(request), auth.tag)
    if (found) {
      request.dashboardSession = found.session
      request.principal = found.principal
      return refuseUnlessPermitted(request, reply)
    }
    if (request.method === 'GET' && !path.endsWith('/rows')) {
      const next = request.url.startsWith('/dashboard') ? request.url : '/dashboard'
      return reply.redirect(`/dashboard/login?next=${encodeURIComponent(next)}`, 303)
    }
    return reply.code(401).type('text/plain; charset=utf-8').send('sign in again')
  })
  // Every state change needs the session's CSRF token, from a page of this host: checked on
  // the body as sent, before any route's schema validates (and strips) it.
  app.addHook('preValidation', async (request, reply) => {
    if (request.method !== 'POST' || request.routeOptions.url === '/dashboard/login') return
    // A form sends it as _csrf; a script sending a file as the body, in X-CSRF-Token.
    const header = request.headers['x-csrf-token']
    const sent =
      (request.body as Record<string, string> | undefined)?._csrf ??
      (typeof header === 'string' ? header : '')
    if (
      !request.dashboardSession ||
      !sameOrigin(request) ||
      !safeEqual(sent, request.dashboardSession.csrf)
    ) {
      return reply
        .code(403)
        .type('text/html; charset=utf-8')
        .send(
          errorPage(
            'This form expired or came from another site. Go back, reload the page and try again.',
          ),
        )
    }
  })
  app.setErrorHandler(async (error, request, reply) => {
    const httpError = toHttpError(error as Error)
    if (httpError.statusCode >= 500) request.log.error({ err: error }, 'dashboard request failed')
    return reply
      .code(httpError.statusCode)
      .type('text/html; charset=utf-8')
      .send(
        errorPage(
          httpError.statusCode >= 500
            ? 'Something went wrong; the details are in the service log.'
            : httpError.message,
        ),
      )
  })

  app.get('/dashboard/assets/dashboard.css', async (_request, reply) =>
    reply
      .type('text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(STYLE),
  )
  app.get('/dashboard/assets/dashboard.js', async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .send(SCRIPT),
  )

  app.get(
    '/dashboard/login',
    { schema: { querystring: z.object({ next }) } },
    async (request, reply) => {
      const { next } = request.query
      if (await findSession(options.db.pool, sessionCookie(request), auth.tag))
        return reply.redirect(next, 303)
      return sendHtml(reply, loginPage({ next }).text)
    },
  )

  app.post('/dashboard/login', { schema: { body: signIn } }, async (request, reply) => {
    const { next, name, token } = request.body
    let state: ThrottleState | undefined
    try {
      state = await options.throttle?.check(request.ip)
    } catch (error) {
      if (!(error instanceof HttpError)) throw error
      request.log.warn({ ip: request.ip }, 'dashboard sign-in throttled')
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value)
      return sendHtml(
        reply.code(error.statusCode),
        loginPage({
          next,
          error: `Too many wrong tokens from your address: ${error.message.replace(/^.*; /, '')}.`,
        }).text,
      )
    }
    // An unknown name costs a password check too, so the answer's timing does not tell.
    const account = name ? await accountForSignIn(options.db.pool, name) : null
    const matches = name
      ? (await verifyPassword(token, account?.password_hash ?? DUMMY_HASH)) &&
        account !== null &&
        !account.disabled
      : auth.tokenMatches(token)
    if (!sameOrigin(request) || !matches) {
      if (!matches && token !== '') await options.throttle?.fail(request.ip)
      request.log.warn({ ip: request.ip }, 'dashboard sign-in refused')
      return sendHtml(
        reply.code(401),
        loginPage({
          next,
          name,
          error: name
            ? 'Wrong name or password (or the account is disabled).'
            : 'That is not the ADMIN_TOKEN.',
        }).text,
      )
    }
    if (state) await options.throttle?.succeed(request.ip, state)
    const owner = account ? { accountId: account.id } : { adminTokenTag: auth.tag }
    setSessionCookie(request, reply, await createSession(options.db.pool, owner, request.ip))
    return reply.redirect(next, 303)
  })

  app.post('/dashboard/logout', { config: { permission: 'read' } }, async (request, reply) => {
    if (request.dashboardSession) await endSession(options.db.pool, request.dashboardSession.id)
    clearSessionCookie(request, reply)
    return reply.redirect('/dashboard/login', 303)
  })

  logRoutes(app, options)
  accountRoutes(app, options)
  moneyRoutes(app, options)
  editRoutes(app, options)
  opsRoutes(app, options)
  reportRoutes(app, options)
  bulkRoutes(app, options)
  exportRoutes(app, options)
}

/**
 * Only a path inside the dashboard: never another host (//evil.example) or scheme, and only
 * printable ASCII (a CR/LF or other control character would break the Location header).
 */
function safeNext(value: unknown): string {
  return typeof value === 'string' &&
    /^\/dashboard(?:[/?][\x21-\x5b\x5d-\x7e]*)?$/.test(value) &&
    !value.startsWith('//')
    ? value
    : '/dashboard'
}

/** A route's permission (accounts/permissions.ts), enforced once for every dashboard route. */
function refuseUnlessPermitted(request: FastifyRequest, reply: FastifyReply) {
  const needed = requiredPermission(request.method, request.routeOptions.config?.permission)
  if (can(request.principal, needed)) return
  const { name, grant } = request.principal ?? { name: 'nobody', grant: 'none' }
  return reply
    .code(403)
    .type('text/html; charset=utf-8')
    .send(
      errorPage(
        `${name} (${grant}) may not do this: it needs the ${needed} permission (${whoMay(needed)}). Ask an admin.`,
      ),
    )
}

function errorPage(message: string): string {
  return document(
    'Error',
    html`<main><div class="notice bad" role="alert">${message}</div><p><a href="/dashboard">Back to the dashboard</a></p></main>`,
  ).text
}
