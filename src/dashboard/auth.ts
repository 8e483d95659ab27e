import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { adminTokenTag, SESSION_SECONDS } from '../accounts/sessions.js'

// The dashboard signs in once (a POSTed form: an account's name and password, or ADMIN_TOKEN
// alone), then carries a session cookie: HttpOnly (page scripts cannot read it),
// SameSite=Strict (other sites cannot send it), Secure when the request arrived over HTTPS,
// Path=/dashboard. The session lives server-side (accounts/sessions.ts), so it can be ended at
// once. State-changing forms also carry a CSRF token derived from the session (and the Origin,
// when the browser sends one, must be this host).

export const SESSION_COOKIE = 'pbr_dashboard'
export { SESSION_SECONDS, type Session } from '../accounts/sessions.js'

/** ADMIN_TOKEN as the dashboard checks it, and the tag its sessions carry. */
export class DashboardAuth {
  readonly #token: Buffer
  readonly tag: Buffer

  constructor(adminToken: string) {
    this.#token = digest(adminToken)
    this.tag = adminTokenTag(adminToken)
  }

  /** Constant-time comparison of a typed token with ADMIN_TOKEN. */
  tokenMatches(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.#token)
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
