import { z } from 'zod'
import { numericId, timestamp } from '../admin/answers.js'
import { id, page, text } from '../admin/inputs.js'
import { listAudit } from '../audit/rows.js'
import type { Database } from '../db/database.js'
import {
  ADMIN,
  ADMIN_REFUSALS,
  ADMIN_TOKEN_REFUSALS,
  BODY_REFUSALS,
  conflict,
  DATABASE_REFUSAL,
  FORBIDDEN,
  jsonResponse,
  notFound,
} from '../openapi/responses.js'
import type { ZodApp } from '../openapi/zod-routes.js'
import {
  ACCOUNT_NAME,
  createAccount,
  listAccounts,
  resetPassword,
  revokeSessions,
  updateAccount,
} from './accounts.js'
import { MIN_PASSWORD_LENGTH } from './passwords.js'
import { ROLES, TOKEN_SCOPES } from './permissions.js'
import { requestActor } from './request-actor.js'
import { createApiToken, listApiTokens, revokeApiToken } from './tokens.js'

// The admin API's twins of the dashboard's Accounts and Audit log pages. Registered inside
// adminRoutes, behind its authentication hook; accounts and tokens need an admin, the audit
// log is a read.

const accountName = z
  .string()
  .regex(ACCOUNT_NAME, 'must be 1-64 lowercase letters, digits, dots, dashes or underscores')
const password = z
  .string()
  .min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`)
  .max(1024)
  .describe('never stored: only its scrypt hash')

const account = z.object({
  id: numericId,
  name: z.string(),
  role: z.enum(ROLES),
  disabled: z.boolean(),
  createdBy: z.string(),
  createdAt: timestamp,
  activeSessions: z.number().int().describe('dashboard sessions neither ended nor expired'),
})
const apiToken = z.object({
  id: numericId,
  name: z.string(),
  scope: z.enum(TOKEN_SCOPES),
  createdBy: z.string(),
  createdAt: timestamp,
  expiresAt: timestamp.nullable(),
  revokedAt: timestamp.nullable(),
  lastUsedAt: timestamp.nullable().describe('to the minute'),
})
const auditEntry = z.object({
  id: numericId,
  at: timestamp,
  actor: z.string().describe('an account name, ADMIN_TOKEN, token:<name> or cli:<user>'),
  via: z
    .string()
    .describe('where it came from: dashboard/admin-api from <address>, cli, bulk run #<id>'),
  action: z.string().describe('noun.verb: conversion.approve, delivery.retry, balance.adjust ...'),
  subject: z.object({ type: z.string(), id: z.string() }),
  conversionId: numericId.nullable(),
  userId: z.string().nullable(),
  before: z.unknown().describe('the subject before (JSON; null when it did not exist)'),
  after: z.unknown().describe('the subject after (JSON)'),
})

const byName = z.object({ name: accountName })
const ADMIN_ONLY = { permission: 'admin' } as const
const NOT_FOUND = { 404: notFound('ACCOUNT_NOT_FOUND') }
const READ_REFUSALS = { ...ADMIN_TOKEN_REFUSALS, ...FORBIDDEN, ...DATABASE_REFUSAL }

export function adminAccountRoutes(app: ZodApp, { db }: { db: Database }) {
  app.get(
    '/admin/accounts',
    {
      config: ADMIN_ONLY,
      schema: {
        summary: 'Operator accounts',
        ...ADMIN,
        response: {
          200: jsonResponse('OK', z.object({ items: z.array(account) })),
          ...READ_REFUSALS,
        },
      },
    },
    async () => ({ items: await listAccounts(db.pool) }),
  )

  app.post(
    '/admin/accounts',
    {
      config: ADMIN_ONLY,
      schema: {
        summary: 'Create an account (admin, operator or viewer)',
        ...ADMIN,
        body: z.object({ name: accountName, role: z.enum(ROLES), password }),
        response: {
          200: jsonResponse('Created.', account),
          409: conflict('An account with that name exists.', 'ACCOUNT_EXISTS'),
          ...ADMIN_REFUSALS,
          ...BODY_REFUSALS,
        },
      },
    },
    async (request) => createAccount(db.pool, request.body, requestActor(request, 'admin-api')),
  )

  app.patch(
    '/admin/accounts/:name',
    {
      config: ADMIN_ONLY,
      schema: {
        summary: "Change an account's role, or disable or enable it (its sessions end)",
        ...ADMIN,
        params: byName,
        body: z.object({ role: z.enum(ROLES).optional(), disabled: z.boolean().optional() }),
        response: {
          200: jsonResponse('OK', account),
          ...NOT_FOUND,
          ...ADMIN_REFUSALS,
          ...BODY_REFUSALS,
        },
      },
    },
    async (request) =>
      updateAccount(db.pool, request.params.name, request.body, requestActor(request, 'admin-api')),
  )

  app.post(
    '/admin/accounts/:name/password',
    {
      config: ADMIN_ONLY,
      schema: {
        summary: 'Set a new password (the account’s sessions end)',
        ...ADMIN,
        params: byName,
        body: z.object({ password }),
        response: {
          200: jsonResponse('OK', account),
          ...NOT_FOUND,
          ...ADMIN_REFUSALS,
          ...BODY_REFUSALS,
        },
      },
    },
    async (request) =>
      resetPassword(
        db.pool,
        request.params.name,
        request.body.password,
        requestActor(request, 'admin-api'),
      ),
  )

  app.post(
    '/admin/accounts/:name/sessions/revoke',
    {
      config: ADMIN_ONLY,
      schema: {
        summary: 'End every dashboard session of an account at once',
        ...ADMIN,
        params: byName,
        response: {
          200: jsonResponse('OK', account),
          ...NOT_FOUND,
          ...ADMIN_REFUSALS,
          ...BODY_REFUSALS,
        },
      },
    },
    async (request) =>
      revokeSessions(db.pool, request.params.name, requestActor(request, 'admin-api')),
  )

  app.get(
    '/admin/tokens',
    {
      config: ADMIN_ONLY,
      schema: {
        summary: 'API tokens (never their value)',
        ...ADMIN,
        response: {
          200: jsonResponse('OK', z.object({ items: z.array(apiToken) })),
          ...READ_REFUSALS,
        },
      },
    },
    async () => ({ items: await listApiTokens(db.pool) }),
  )

  app.post(
    '/admin/tokens',
    {
      config: ADMIN_ONLY,
      schema: {
        summary: 'Create an API token; its value is in this answer only',
        ...ADMIN,
        body: z.object({
          name: text(64),
          scope: z.enum(TOKEN_SCOPES),
          expiresInDays: z.number().int().min(1).max(3650).optional().describe('default: never'),
        }),
        response: {
          200: jsonResponse(
            'Created: keep `token`, it is not shown again.',
            apiToken.extend({ token: z.string().describe('pbr_…: send as Authorization: Bearer') }),
          ),
          ...ADMIN_REFUSALS,
          ...BODY_REFUSALS,
        },
      },
    },
    async (request) => {
      const { name, scope, expiresInDays } = request.body
      const expiresAt = expiresInDays ? new Date(Date.now() + expiresInDays * 86_400_000) : null
      const actor = requestActor(request, 'admin-api')
      const created = await createApiToken(db.pool, { name, scope, expiresAt }, actor)
      return { ...created.apiToken, token: created.token }
    },
  )

  app.post(
    '/admin/tokens/:id/revoke',
    {
      config: ADMIN_ONLY,
      schema: {
        summary: 'Revoke an API token (refused from the next request on)',
        ...ADMIN,
        params: z.object({ id }),
        response: {
          200: jsonResponse('OK', apiToken),
          404: notFound('TOKEN_NOT_FOUND'),
          ...ADMIN_REFUSALS,
          ...BODY_REFUSALS,
        },
      },
    },
    async (request) =>
      revokeApiToken(db.pool, request.params.id, requestActor(request, 'admin-api')),
  )

  app.get(
    '/admin/audit',
    {
      schema: {
        summary: 'The audit log: who changed what, when, before and after; newest first',
        ...ADMIN,
        querystring: z.object({
          ...page,
          actor: text(255).optional(),
          action: text(64)
            .optional()
            .describe('an action, or a prefix ending in a dot (conversion.)'),
          conversionId: id.optional(),
          userId: text(255).optional(),
        }),
        response: {
          200: jsonResponse(
            'OK',
            z.object({ items: z.array(auditEntry), nextBefore: numericId.nullable() }),
          ),
          ...ADMIN_REFUSALS,
        },
      },
    },
    async ({ query }) => {
      const items = await listAudit(db.pool, query, query.limit)
      return { items, nextBefore: items.length === query.limit ? (items.at(-1)?.id ?? null) : null }
    },
  )
}
