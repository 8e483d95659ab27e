import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'

// The dashboard signs in with ADMIN_TOKEN once (a POSTed form), then carries a session cookie:
// HttpOnly (page scripts cannot read it), SameSite=Strict (other sites cannot send it), Secure
// when the request arrived over HTTPS, Path=/dashboard. The cookie holds an expiry, a random id
// and an HMAC over both keyed from ADMIN_TOKEN, so nothing is stored server-side and changing
// ADMIN_TOKEN ends every session. The token itself never leaves the sign-in POST body.
// State-changing forms also carry a CSRF token derived from the session id (and the Origin,
// when the browser sends one, must be this host).

export const SESSION_COOKIE = 'pbr_dashboard'
export const SESSION_SECONDS = 12 * 60 * 60

export type Session = { id: string; csrf: string }

export class DashboardAuth {
  readonly #key: Buffer
  readonly #token: Buffer

  constructor(adminToken: string) {
    this.#key = createHmac('sha256', adminToken).update('postback-receiver dashboard v1').digest()
    this.#token = digest(adminToken)
  }

  /** Constant-time comparison of a typed token with ADMIN_TOKEN. */
  tokenMatches(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.#token)
  }

  /** A new session's cookie value. */
  issue(now = Date.now()): string {
    const expires = Math.floor(now / 1000) + SESSION_SECONDS
    const id = randomBytes(16).toString('base64url')
    return `${expires}.${id}.${this.#mac(`${expires}.${id}`)}`
  }

  /** The session a cookie value proves, or null (tampered, expired, or from another token). */
  verify(cookie: string | undefined, now = Date.now()): Session | null {
    const [expires, id, mac, extra] = (cookie ?? '').split('.')
    if (!expires || !id || !mac || extra !== undefined || !/^\d{1,12}$/.test(expires)) return null
    if (!safeEqual(mac, this.#mac(`${expires}.${id}`))) return null
    if (Number(expires) * 1000 <= now) return null
    return { id, csrf: this.#mac(`csrf.${id}`) }
  }

  #mac(text: string): string {
    return createHmac('sha256', this.#key).update(text).digest('base64url')
  }
}

export function sessionCookie(request: FastifyRequest): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim()
  }
  return undefined
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, value: string) {
  reply.header('set-cookie', cookieText(request, value, SESSION_SECONDS))
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply) {
  reply.header('set-cookie', cookieText(request, '', 0))
}

function cookieText(request: FastifyRequest, value: string, maxAge: number): string {
  const secure = request.protocol === 'https' ? '; Secure' : ''
  return `${SESSION_COOKIE}=${value}; Path=/dashboard; Max-Age=${maxAge}; HttpOnly; SameSite=Strict${secure}`
}

/** A POST from a page of this host: the Origin, when present, must name this host. */
export function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin
  if (origin === undefined) return true
  try {
    return new URL(origin).host === request.host
  } catch {
    return false
  }
}

export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b))
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
