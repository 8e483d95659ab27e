// What a signed-in person or a token may do. A route declares the one permission it needs
// (`config: { permission: 'review' }`); a route that declares none needs `read` for GET and
// HEAD and `admin` for anything else, so a new state-changing route is admin-only until it
// says otherwise. One hook per surface enforces it (accounts/admin-auth.ts for /admin,
// dashboard/routes.ts for /dashboard).

export const ROLES = ['admin', 'operator', 'viewer'] as const
export type Role = (typeof ROLES)[number]

/** An API token's scope: a role's permissions, or only balance lookups (an app's backend). */
export const TOKEN_SCOPES = ['balances:read', ...ROLES] as const
export type TokenScope = (typeof TOKEN_SCOPES)[number]

export const PERMISSIONS = [
  /** GET /admin/users/:userId: a user's balance and ledger. */
  'balances:read',
  /** Every read: pages, lists, exports, the audit log. */
  'read',
  /** Approve or reject a held conversion. */
  'review',
  /** Replay a refused postback. */
  'replay',
  /** Retry a dead delivery. */
  'retry',
  /** Manual balance adjustments. */
  'adjust',
  /** Offers, networks, accounts, tokens, sessions. */
  'admin',
] as const
export type Permission = (typeof PERMISSIONS)[number]

const VIEWER: Permission[] = ['balances:read', 'read']
const OPERATOR: Permission[] = [...VIEWER, 'review', 'replay', 'retry', 'adjust']
export const GRANTS: Record<TokenScope, ReadonlySet<Permission>> = {
  'balances:read': new Set(['balances:read']),
  viewer: new Set(VIEWER),
  operator: new Set(OPERATOR),
  admin: new Set(PERMISSIONS),
}

/** Who a request is, once authenticated. */
export type Principal = {
  /** As the audit log names them: an account's name, ADMIN_TOKEN, or token:<name>. */
  name: string
  /** A role, or a token's scope. */
  grant: TokenScope
  /** Set when signed in with an account (a dashboard session). */
  accountId: string | null
  /** The dashboard session's row, so that it can be ended; null for API requests. */
  sessionId: string | null
}

export const ADMIN_TOKEN_PRINCIPAL: Principal = Object.freeze({
  name: 'ADMIN_TOKEN',
  grant: 'admin',
  accountId: null,
  sessionId: null,
})

export function can(principal: Principal | null, permission: Permission): boolean {
  return principal !== null && GRANTS[principal.grant].has(permission)
}

/** The permission a route needs: what it declares, else read for GET/HEAD, admin otherwise. */
export function requiredPermission(method: string, declared: Permission | undefined): Permission {
  if (declared) return declared
  return method === 'GET' || method === 'HEAD' ? 'read' : 'admin'
}

/** Who may do it, for the 403's message. */
export function whoMay(permission: Permission): string {
  const grants = TOKEN_SCOPES.filter((scope) => GRANTS[scope].has(permission))
  return grants.join(' or ')
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission this route needs (accounts/permissions.ts). */
    permission?: Permission
  }
  interface FastifyRequest {
    /** Who sent it; set by the surface's authentication hook. */
    principal: Principal | null
  }
}
