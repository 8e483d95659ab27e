import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { authenticateApi } from '../accounts/admin-auth.js'
import { requestActor } from '../accounts/request-actor.js'
import { numericId, timestamp } from '../admin/answers.js'
import { id, localTime, name, timeZone } from '../admin/inputs.js'
import type { Database } from '../db/database.js'
import type { AuthThrottle } from '../http/auth-throttle.js'
import { HttpError } from '../http/errors.js'
import {
  ADMIN,
  ADMIN_REFUSALS,
  BODY_REFUSALS,
  errorResponse,
  jsonResponse,
  notFound,
} from '../openapi/responses.js'
import { zodRoutes } from '../openapi/zod-routes.js'
import { resolveRange } from '../operations/time-range.js'
import { EXCLUSIONS, previewReplay } from './replay.js'
import { previewRetry } from './retry.js'
import { type BulkRunner, DEFAULT_CAP, MAX_CAP } from './runner.js'
import { BULK_KINDS, BULK_STATES, getBulkRun } from './runs.js'

// The admin API's twins of the dashboard's bulk buttons: a preview (GET, changes nothing), a
// start (POST: the run at once, working in the background), the run's progress and summary, and a resume.

const range = {
  from: localTime.optional().describe('local date or date-time: received/created at or after'),
  to: localTime.optional().describe('local date or date-time, exclusive (a date: that whole day)'),
  tz: timeZone('UTC or Europe/Berlin'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_CAP)
    .default(DEFAULT_CAP)
    .describe('the most rows one run handles (the cap); run again for the rest'),
}
const replayFilter = z.object({
  network: name.optional(),
  outcome: name.optional().describe('one refusal code, e.g. MISSING_FIELD; absent: every refusal'),
  txId: name.optional(),
  ...range,
})
const retryFilter = z.object({
  rule: name.optional().describe('a DELIVERY_RULES_FILE rule; absent: every rule'),
  event: z.enum(['credited', 'reversed', 'held', 'recorded', 'rejected']).optional(),
  ...range,
})

const count = z.number().int()
export const bulkRunAnswer = z.object({
  id: numericId,
  kind: z.enum(BULK_KINDS),
  filter: z.record(z.string(), z.string().nullable()).describe('as resolved when it started'),
  state: z.enum(BULK_STATES),
  startedBy: z.string(),
  startedAt: timestamp,
  heartbeatAt: timestamp,
  finishedAt: timestamp.nullable(),
  upToId: numericId.describe('the run covers rows up to this id'),
  cursorId: numericId.describe('every row up to this id is handled'),
  cap: count,
  planned: count.describe('rows that matched when it started (at most the cap)'),
  counts: z
    .record(z.string(), count)
    .describe('replay: processed, accepted, refused, skipped; retry: processed, retried'),
  error: z.string().nullable(),
  stale: z.boolean().describe('running, but its process stopped moving it: resume it'),
})
const replayPreviewAnswer = z.object({
  matching: count,
  replayable: count,
  willReplay: count,
  cap: count,
  byOutcome: z.array(z.object({ outcome: z.string(), matching: count, replayable: count })),
  excluded: z.array(
    z.object({
      reason: z.enum(Object.keys(EXCLUSIONS) as [keyof typeof EXCLUSIONS]),
      count,
      message: z.string(),
    }),
  ),
})
const retryPreviewAnswer = z.object({
  dead: count,
  willRetry: count,
  cap: count,
  byRule: z.array(z.object({ rule: z.string(), dead: count })),
})
const ACTIVE = {
  409: errorResponse('A bulk run of this kind is already running.', ['BULK_RUN_ACTIVE']),
}

export type BulkAdminOptions = {
  db: Database
  token: string
  bulk: BulkRunner
  throttle?: AuthThrottle
}

export async function bulkAdminRoutes(
  fastify: FastifyInstance,
  { db, token, bulk, throttle }: BulkAdminOptions,
) {
  const app = zodRoutes(fastify)
  app.addHook('onRequest', authenticateApi({ db, token, throttle }))
  const instants = (q: { from?: string; to?: string; tz: string }) =>
    resolveRange(db.pool, { from: q.from, to: q.to, timeZone: q.tz })

  app.get(
    '/admin/postbacks/bulk-replay',
    {
      schema: {
        summary: 'Preview a bulk replay: how many refusals match, by code, and what is excluded',
        ...ADMIN,
        querystring: replayFilter,
        response: { 200: jsonResponse('OK', replayPreviewAnswer), ...ADMIN_REFUSALS },
      },
    },
    async ({ query }) => {
      const { network, outcome, txId } = query
      const filter = { network, outcome, txId, ...(await instants(query)) }
      return previewReplay(db.pool, filter, query.limit)
    },
  )

  app.post(
    '/admin/postbacks/bulk-replay',
    {
      config: { permission: 'replay' },
      schema: {
        summary: 'Replay every refusal matching a filter (in the background; follow the run)',
        ...ADMIN,
        body: replayFilter.default({ tz: 'UTC', limit: DEFAULT_CAP }),
        response: {
          200: jsonResponse('Started: the run, to follow at /admin/bulk-runs/{id}.', bulkRunAnswer),
          ...ACTIVE,
          ...ADMIN_REFUSALS,
          ...BODY_REFUSALS,
        },
      },
    },
    async (request) => {
      const { network, outcome, txId } = request.body
      const filter = { network, outcome, txId, ...(await instants(request.body)) }
      return bulk.startReplay(filter, request.body.limit, requestActor(request, 'admin-api'))
    },
  )

  app.get(
    '/admin/deliveries/bulk-retry',
    {
      schema: {
        summary: 'Preview a bulk retry: how many dead deliveries match, by rule',
        ...ADMIN,
        querystring: retryFilter,
        response: { 200: jsonResponse('OK', retryPreviewAnswer), ...ADMIN_REFUSALS },
      },
    },
    async ({ query }) => {
      const filter = { rule: query.rule, event: query.event, ...(await instants(query)) }
      return previewRetry(db.pool, filter, query.limit)
    },
  )

  app.post(
    '/admin/deliveries/bulk-retry',
    {
      config: { permission: 'retry' },
      schema: {
        summary: 'Retry every dead delivery matching a filter (in the background)',
        ...ADMIN,
        body: retryFilter.default({ tz: 'UTC', limit: DEFAULT_CAP }),
        response: {
          200: jsonResponse('Started: the run, to follow at /admin/bulk-runs/{id}.', bulkRunAnswer),
          ...ACTIVE,
          ...ADMIN_REFUSALS,
          ...BODY_REFUSALS,
        },
      },
    },
    async (request) => {
      const { body } = request
      const filter = { rule: body.rule, event: body.event, ...(await instants(body)) }
      return bulk.startRetry(filter, body.limit, requestActor(request, 'admin-api'))
    },
  )

  app.get(
    '/admin/bulk-runs/:id',
    {
      schema: {
        summary: 'A bulk run: its progress while running, its summary once done',
        ...ADMIN,
        params: z.object({ id }),
        response: {
          200: jsonResponse('OK', bulkRunAnswer),
          404: notFound('BULK_RUN_NOT_FOUND'),
          ...ADMIN_REFUSALS,
        },
      },
    },
    async ({ params }) => {
      const run = await getBulkRun(db.pool, params.id)
      if (!run) throw new HttpError('BULK_RUN_NOT_FOUND', `no bulk run #${params.id}`)
      return run
    },
  )

  app.post(
    '/admin/bulk-runs/:id/resume',
    {
      // Both kinds of run are an operator's (replay and retry come together in every role).
      config: { permission: 'replay' },
      schema: {
        summary: 'Resume an interrupted bulk run from where it stopped',
        ...ADMIN,
        params: z.object({ id }),
        response: {
          200: jsonResponse('Resumed.', bulkRunAnswer),
          404: notFound('BULK_RUN_NOT_FOUND'),
          409: errorResponse('Running (this one or another of its kind), or done.', [
            'BULK_RUN_ACTIVE',
            'BULK_RUN_FINISHED',
          ]),
          ...ADMIN_REFUSALS,
          ...BODY_REFUSALS,
        },
      },
    },
    async (request) => bulk.resume(request.params.id, requestActor(request, 'admin-api')),
  )
}
