import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import { HttpError } from '../http/errors.js'

/** An onRequest hook that lets through only `Authorization: Bearer <token>`, compared in constant time. */
export function requireBearerToken(token: string, setting = 'ADMIN_TOKEN') {
  const expected = digest(token)
  return async (request: FastifyRequest) => {
    const header = request.headers.authorization ?? ''
    const match = /^Bearer (.+)$/i.exec(header)
    if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
      throw new HttpError(
        401,
        'UNAUTHORIZED',
        `send the token as Authorization: Bearer <${setting}>`,
        {
          headers: { 'www-authenticate': 'Bearer' },
        },
      )
    }
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}
