import { z } from 'zod'
import { requestActor } from '../accounts/request-actor.js'
import type { Config } from '../config.js'
import type { Database } from '../db/database.js'
import type { DeliveryHooks } from '../delivery/hooks.js'
import { HttpError } from '../http/errors.js'
import type { NetworkRegistry } from '../networks/registry.js'
import {
  ADMIN,
  ADMIN_REFUSALS,
  BODY_REFUSALS,
  jsonResponse,
  notFound,
} from '../openapi/responses.js'
import type { ZodApp } from '../openapi/zod-routes.js'
import { replayOne } from '../operations/replay.js'
import { type ReplayCandidate, selectRefusals } from '../operations/replay-selection.js'
import { numericId } from './answers.js'
import { id } from './inputs.js'

// The admin API's twin of the dashboard's Replay button and `replay <id>`: one refused
// postback log row through today's configuration (audited as postback.replay).

const replayAnswer = z.object({
  logId: numericId.describe('the row replayed'),
  was: z.string().describe('its outcome when it arrived'),
  kind: z.enum(['replayed', 'skipped']),
  statusCode: z.number().int().nullable().describe("the replay's answer; null when skipped"),
  outcome: z.string(),
  message: z.string().describe('why it was skipped, or what the replay did'),
  replayLogId: numericId.nullable().describe('the new postback log row'),
  conversionId: numericId.nullable(),
  points: z.number().int(),
  deliveries: z.number().int(),
})

export type AdminReplayOptions = {
  db: Database
  config: Config
  networks: NetworkRegistry
  deliveries?: DeliveryHooks
}

export function adminReplayRoutes(app: ZodApp, options: AdminReplayOptions) {
  app.post(
    '/admin/postbacks/:id/replay',
    {
      config: { permission: 'replay' },
      schema: {
        summary: 'Replay one refused postback through today’s configuration',
        ...ADMIN,
        params: z.object({ id }),
        body: z
          .object({
            includeUnauthorized: z
              .boolean()
              .default(false)
              .describe(
                'replay a request whose caller was never verified: only if you know the network sent it',
              ),
          })
          .default({ includeUnauthorized: false }),
        response: {
          200: jsonResponse('Replayed, or skipped with the reason.', replayAnswer),
          404: notFound('NOT_FOUND'),
          ...ADMIN_REFUSALS,
          ...BODY_REFUSALS,
        },
      },
    },
    async (request) => {
      const { id } = request.params
      let stored: ReplayCandidate | undefined
      for await (const candidate of selectRefusals(options.db.pool, { id })) stored = candidate
      if (!stored) throw new HttpError('NOT_FOUND', `no postback log entry #${id}`)
      if (stored.acceptedReplay)
        return {
          logId: id,
          was: stored.outcome,
          kind: 'skipped' as const,
          statusCode: null,
          outcome: 'skipped',
          message: `already replayed and accepted as #${stored.acceptedReplay.id}`,
          replayLogId: null,
          conversionId: null,
          points: 0,
          deliveries: 0,
        }
      const deps = { pool: options.db.pool, ...options }
      const result = await replayOne(deps, stored, {
        actor: requestActor(request, 'admin-api'),
        includeUnauthorized: request.body.includeUnauthorized,
      })
      return { ...result, points: Number(result.points) }
    },
  )
}
