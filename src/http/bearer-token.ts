import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { AuthThrottle } from './auth-throttle.js'
import { HttpError } from './errors.js'

/**
 * An onRequest hook that lets through only `Authorization: Bearer <token>`, compared in constant
 * time. With a throttle, an address that sent too many wrong tokens gets 429 until its window ends.
 */
export function requireBearerToken(
  token: string,
  setting = 'ADMIN_TOKEN',
  throttle?: AuthThrottle,
) {
  const expected = digest(token)
  return async (request: FastifyRequest) => {
    const state = await throttle?.check(request.ip)
    const header = request.headers.authorization ?? ''
    const match = /^Bearer (.+)$/i.exec(header)
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      // A missing header guesses nothing; a wrong token counts against the address.
      if (match?.[1]) await throttle?.fail(request.ip)
      throw new HttpError('UNAUTHORIZED', `send the token as Authorization: Bearer <${setting}>`, {
        headers: { 'www-authenticate': 'Bearer' },
      })
    }
    if (state) await throttle?.succeed(request.ip, state)
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
