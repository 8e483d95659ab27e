import type { FastifyRequest } from 'fastify'
import { requestActor } from '../accounts/request-actor.js'
import type { Actor } from '../audit/actor.js'
import { text } from './inputs.js'

/** `by`: the person a caller acts for (the CLI sends its operator, cli:<user>@<host>). */
export const onBehalfOf = text(255)
  .optional()
  .describe('who the caller acts for, kept with the record beside the authenticated name')

/**
 * The request's actor, naming whom the caller acts for: the authenticated principal stays the
 * name the audit log keeps (`by` grants nothing); `by` only adds to where it came from.
 */
export function actorFor(request: FastifyRequest, by: string | undefined): Actor {
  const actor = requestActor(request, 'admin-api')
  return by ? { ...actor, via: `${actor.via} for ${by}` } : actor
}
