import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { Database } from '../db/database.js'
import type { AuthThrottle } from '../http/auth-throttle.js'
import { HttpError } from '../http/errors.js'
import {
  ADMIN_TOKEN_PRINCIPAL,
  can,
  type Principal,
  requiredPermission,
  whoMay,
} from './permissions.js'
import { principalOfToken } from './tokens.js'

export type ApiAuthOptions = { db: Database; token: string; throttle?: AuthThrottle }

/**
 * The admin API's one onRequest hook: `Authorization: Bearer <ADMIN_TOKEN or an API token>`
 * sets request.principal, then the route's permission is enforced (403 FORBIDDEN). ADMIN_TOKEN
 * is compared in constant time and is an admin. A wrong token counts against the address;
 * a blocked address gets 429 whatever it sends.
 */
export function authenticateApi({ db, token, throttle }: ApiAuthOptions) {
  const expected = digest(token)
  return async (request: FastifyRequest) => {
    const state = await throttle?.check(request.ip)
    const sent = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1]
    let principal: Principal | null = null
    if (sent)
      principal = timingSafeEqual(digest(sent), expected)
        ? ADMIN_TOKEN_PRINCIPAL
        : await principalOfToken(db.pool, sent)
    if (!principal) {
      // A missing header guesses nothing; a wrong token counts against the address.
      if (sent) await throttle?.fail(request.ip)
      throw new HttpError(
        'UNAUTHORIZED',
        'send Authorization: Bearer <ADMIN_TOKEN> or an API token that is neither revoked nor expired',
        { headers: { 'www-authenticate': 'Bearer' } },
      )
    }
    if (state) await throttle?.succeed(request.ip, state)
    request.principal = principal
    enforcePermission(request, principal)
  }
}

/** 403 FORBIDDEN unless the principal holds the route's permission. */
export function enforcePermission(request: FastifyRequest, principal: Principal) {
  const needed = requiredPermission(request.method, request.routeOptions.config?.permission)
  if (can(principal, needed)) return
  throw new HttpError(
    'FORBIDDEN',
    `${principal.name} (${principal.grant}) may not do this: it needs the ${needed} permission (${whoMay(needed)})`,
  )
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
