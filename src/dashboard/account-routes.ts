import { z } from 'zod'
import {
  ACCOUNT_NAME,
  createAccount,
  listAccounts,
  resetPassword,
  revokeSessions,
  updateAccount,
} from '../accounts/accounts.js'
import { ROLES, TOKEN_SCOPES } from '../accounts/permissions.js'
import { requestActor } from '../accounts/request-actor.js'
import { createApiToken, listApiTokens, revokeApiToken } from '../accounts/tokens.js'
import { id } from '../admin/inputs.js'
import { listAudit } from '../audit/rows.js'
import type { ZodApp } from '../openapi/zod-routes.js'
import { accountsPage } from './accounts-page.js'
import { auditPage } from './audit-page.js'
import { type DashboardOptions, filterText, pageContext, sendHtml } from './context.js'
import { notice, noticeQuery } from './notices.js'

// Accounts, API tokens (admins) and the audit log (everyone) in the dashboard; the admin API
// twins are accounts/admin-routes.ts. A bad name or a short password is a 400 page saying so.

const PAGE_SIZE = 50
const ADMIN_ONLY = { permission: 'admin' } as const
const byName = z.object({ name: z.string().regex(ACCOUNT_NAME, 'is not an account name') })
const password = z.string().max(1024)

export function accountRoutes(app: ZodApp, { db }: DashboardOptions) {
  const back = (code: string) => `/dashboard/accounts?notice=${code}`

  app.get(
    '/dashboard/accounts',
    { config: ADMIN_ONLY, schema: { querystring: noticeQuery } },
    async (request, reply) => {
      const [accounts, tokens] = [await listAccounts(db.pool), await listApiTokens(db.pool)]
      return sendHtml(reply, accountsPage(pageContext(request), accounts, tokens).text)
    },
  )

  app.post(
    '/dashboard/accounts',
    {
      config: ADMIN_ONLY,
      schema: {
        body: z.object({
          name: z.string().trim().toLowerCase().regex(ACCOUNT_NAME, 'is not a valid account name'),
          role: z.enum(ROLES),
          password,
        }),
      },
    },
    async (request, reply) => {
      await createAccount(db.pool, request.body, requestActor(request, 'dashboard'))
      return reply.redirect(back('account-created'), 303)
    },
  )

  app.post(
    '/dashboard/accounts/:name/role',
    { config: ADMIN_ONLY, schema: { params: byName, body: z.object({ role: z.enum(ROLES) }) } },
    async (request, reply) => {
      const actor = requestActor(request, 'dashboard')
      await updateAccount(db.pool, request.params.name, { role: request.body.role }, actor)
      return reply.redirect(back('account-updated'), 303)
    },
  )

  for (const verb of ['disable', 'enable'] as const) {
    app.post(
      `/dashboard/accounts/:name/${verb}`,
      { config: ADMIN_ONLY, schema: { params: byName } },
      async (request, reply) => {
        const actor = requestActor(request, 'dashboard')
        await updateAccount(db.pool, request.params.name, { disabled: verb === 'disable' }, actor)
        return reply.redirect(back('account-updated'), 303)
      },
    )
  }

  app.post(
    '/dashboard/accounts/:name/password',
    { config: ADMIN_ONLY, schema: { params: byName, body: z.object({ password }) } },
    async (request, reply) => {
      const actor = requestActor(request, 'dashboard')
      await resetPassword(db.pool, request.params.name, request.body.password, actor)
      return reply.redirect(back('password-set'), 303)
    },
  )

  app.post(
    '/dashboard/accounts/:name/sessions/revoke',
    { config: ADMIN_ONLY, schema: { params: byName } },
    async (request, reply) => {
      await revokeSessions(db.pool, request.params.name, requestActor(request, 'dashboard'))
      return reply.redirect(back('sessions-ended'), 303)
    },
  )

  // The new token is shown in this answer only (no redirect: a link must never carry it).
  app.post(
    '/dashboard/tokens',
    {
      config: ADMIN_ONLY,
      schema: {
        body: z.object({
          name: z.string().trim().min(1).max(64),
          scope: z.enum(TOKEN_SCOPES),
          expiresInDays: z
            .string()
            .regex(/^\d{0,4}$/, 'must be a whole number of days')
            .optional()
            .transform((v) => (v ? Number(v) : undefined)),
        }),
      },
    },
    async (request, reply) => {
      const { name, scope, expiresInDays } = request.body
      const expiresAt = expiresInDays ? new Date(Date.now() + expiresInDays * 86_400_000) : null
      const actor = requestActor(request, 'dashboard')
      const created = await createApiToken(db.pool, { name, scope, expiresAt }, actor)
      const [accounts, tokens] = [await listAccounts(db.pool), await listApiTokens(db.pool)]
      const shown = { name, token: created.token }
      const { dashboardSession, principal } = request
      const context = pageContext({ dashboardSession, principal, query: {} })
      return sendHtml(reply, accountsPage(context, accounts, tokens, shown).text)
    },
  )

  app.post(
    '/dashboard/tokens/:id/revoke',
    { config: ADMIN_ONLY, schema: { params: z.object({ id }) } },
    async (request, reply) => {
      await revokeApiToken(db.pool, request.params.id, requestActor(request, 'dashboard'))
      return reply.redirect(back('token-revoked'), 303)
    },
  )

  app.get(
    '/dashboard/audit',
    {
      schema: {
        querystring: z.object({
          actor: filterText,
          action: filterText,
          before: id.optional(),
          notice,
        }),
      },
    },
    async (request, reply) => {
      const { query } = request
      const rows = await listAudit(db.pool, query, PAGE_SIZE)
      return sendHtml(reply, auditPage(pageContext(request), query, rows, PAGE_SIZE).text)
    },
  )
}
