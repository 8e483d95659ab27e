import type { FastifyReply, FastifyRequest } from 'fastify'
import { errorBody, type HttpError } from '../http/errors.js'
import type { NetworkProfile } from '../networks/profile.js'

// Networks read plain text (each profile says which: "OK", "1", "{tx_id}:OK" ...); operators
// and scripts may ask for JSON with Accept. Every answer names its outcome in X-Postback-Outcome.

export type Outcome = {
  outcome: string
  conversionId: string | null
  points: bigint
  message: string
  txId: string
}

export function wantsJson(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('application/json')
}

export function sendOutcome(
  request: FastifyRequest,
  reply: FastifyReply,
  result: Outcome,
  profile: NetworkProfile,
) {
  reply.header('x-postback-outcome', result.outcome)
  if (wantsJson(request)) {
    return reply.send({
      status: 'ok',
      outcome: result.outcome,
      conversionId: result.conversionId,
      points: Number(result.points),
      message: result.message,
    })
  }
  const { status, body } = profile.answers.success
  return reply
    .code(status)
    .type('text/plain; charset=utf-8')
    .send(body.replaceAll('{tx_id}', result.txId))
}

/** A refusal; a network's profile may ask for its own status or body (Tapjoy: 403 stops retries). */
export function sendRefusal(
  request: FastifyRequest,
  reply: FastifyReply,
  error: HttpError,
  profile?: NetworkProfile,
) {
  const own =
    error.statusCode < 500 && error.statusCode !== 429 ? profile?.answers.refused : undefined
  const status = own?.status ?? error.statusCode
  reply.code(status).headers(error.headers).header('x-postback-outcome', error.code)
  // The body's statusCode is the status sent, also when the profile overrides it.
  if (wantsJson(request)) return reply.send(errorBody(error, status))
  return reply
    .type('text/plain; charset=utf-8')
    .send(own?.body ?? `${error.code}: ${error.message}`)
}
