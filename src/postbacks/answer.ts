import type { FastifyReply, FastifyRequest } from 'fastify'
import { errorBody, type HttpError } from '../http/errors.js'
import type { RecordResult } from './record.js'

// Networks read plain text ("OK"); operators and scripts may ask for JSON with Accept.
// Every answer names its outcome in X-Postback-Outcome.

export function wantsJson(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('application/json')
}

export function sendOutcome(request: FastifyRequest, reply: FastifyReply, result: RecordResult) {
  reply.header('x-postback-outcome', result.outcome)
  if (!wantsJson(request)) return reply.type('text/plain; charset=utf-8').send('OK')
  return reply.send({
    status: 'ok',
    outcome: result.outcome,
    conversionId: result.conversionId,
    points: Number(result.points),
    message: result.message,
  })
}

export function sendRefusal(request: FastifyRequest, reply: FastifyReply, error: HttpError) {
  reply.code(error.statusCode).headers(error.headers).header('x-postback-outcome', error.code)
  if (!wantsJson(request)) {
    return reply.type('text/plain; charset=utf-8').send(`${error.code}: ${error.message}`)
  }
  return reply.send(errorBody(error.statusCode, error.code, error.message, error.fields))
}
