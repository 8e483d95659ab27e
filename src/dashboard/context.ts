import type { FastifyReply } from 'fastify'
import { z } from 'zod'
import { can, type Principal } from '../accounts/permissions.js'
import type { BulkRunner } from '../bulk/runner.js'
import type { Config } from '../config.js'
import type { Database } from '../db/database.js'
import type { DeliveryHooks } from '../delivery/hooks.js'
import type { AuthThrottle } from '../http/auth-throttle.js'
import type { NetworkRegistry } from '../networks/registry.js'
import type { Session } from './auth.js'
import type { PageContext } from './layout.js'
import { type NoticeCode, noticeOf } from './notices.js'

// What every dashboard route file shares: the plugin's options, the signed-in session on the
// request, a page's context, filter fields, and sending a page. Route files import this, never routes.ts (which registers them).

export type DashboardOptions = {
  db: Database
  config: Config
  token: string
  networks: NetworkRegistry
  baseUrl: string
  deliveries: DeliveryHooks
  /** Bulk replays and retries (the admin API starts them through the same runner). */
  bulk: BulkRunner
  /** Wrong tokens per source address, shared with the admin API: 429 after too many. */
  throttle?: AuthThrottle
}

declare module 'fastify' {
  interface FastifyRequest {
    dashboardSession: Session | null
  }
}

export function sendHtml(reply: FastifyReply, text: string) {
  return reply.type('text/html; charset=utf-8').send(text)
}

/**
 * A page's context: the session's CSRF token, the notice its querystring schema read, and who
 * is signed in with what they may do (pages show only the buttons the principal may use).
 */
export function pageContext(request: {
  dashboardSession: Session | null
  principal: Principal | null
  query: { notice?: NoticeCode }
}): PageContext {
  const { principal } = request
  return {
    csrf: request.dashboardSession?.csrf ?? '',
    notice: noticeOf(request.query),
    who: principal ? `${principal.name} · ${principal.grant}` : '',
    can: (permission) => can(principal, permission),
  }
}

/** A filter's text field: trimmed, and left blank it filters nothing. */
export const filterText = z
  .string()
  .trim()
  .max(255)
  .optional()
  .transform((v) => v || undefined)
