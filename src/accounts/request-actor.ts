import type { FastifyRequest } from 'fastify'
import type { Actor } from '../audit/actor.js'

/**
 * The audit actor of an authenticated request: its principal's name, and the surface and
 * address it came from. Route handlers pass this to every state-changing operation.
 */
export function requestActor(request: FastifyRequest, surface: 'admin-api' | 'dashboard'): Actor {
  const name = request.principal?.name
  // The surface's hook authenticates before any handler runs: no principal is a wiring bug.
  if (!name) throw new Error(`${request.method} ${request.routeOptions.url} ran unauthenticated`)
  return { name, via: `${surface} from ${request.ip}` }
}
