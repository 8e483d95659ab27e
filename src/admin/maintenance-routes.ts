import type { Socket } from 'node:net'
import { Readable } from 'node:stream'
import type { FastifyBaseLogger } from 'fastify'
import { z } from 'zod'
import type { Config } from '../config.js'
import type { Database } from '../db/database.js'
import type { DeliveryHooks } from '../delivery/hooks.js'
import { HttpError } from '../http/errors.js'
import { DEFAULT_NETWORK } from '../networks/profile.js'
import type { NetworkRegistry } from '../networks/registry.js'
import {
  ADMIN,
  ADMIN_REFUSALS,
  BODY_REFUSALS,
  errorBodySchema,
  jsonResponse,
  notFound,
} from '../openapi/responses.js'
import type { ZodApp } from '../openapi/zod-routes.js'
import { importOffers } from '../operations/import-offers.js'
import type { ReplayDeps } from '../operations/replay.js'
import {
  type ReplayRunOptions,
  type ReplayStreamLine,
  type ReplayTally,
  replayRun,
} from '../operations/replay-run.js'
import type { ReplayFilter } from '../operations/replay-selection.js'
import { verifyLedger } from '../operations/verify-ledger.js'
import { actorFor, onBehalfOf } from './actor-for.js'
import { id, name } from './inputs.js'

// The admin API's counterparts of the CLI's verify-ledger, offers import and replay, with the
// same results: a CLI command run beside an embedded service (which holds the database) goes
// through these (cli/service.ts). Registered inside adminRoutes, behind the same Bearer token.

// verify-ledger scans whole tables: the per-query guard against a vanished server would cut
// it off on a large database.
const LEDGER_QUERY_TIMEOUT_MS = 30 * 60_000

const ledgerAnswer = z.object({
  checks: z.array(
    z.object({
      name: z.string(),
      holds: z.string().describe('what holds when there is no violation'),
      violations: z.number().int(),
      examples: z.array(z.string()).describe('up to `examples` violations, described'),
    }),
  ),
  violations: z.number().int().describe('all checks together; 0: the ledger holds'),
})

const offersImported = z.object({ created: z.number().int(), updated: z.number().int() })
const offersRefused = errorBodySchema(['OFFERS_NOT_IMPORTED']).extend({
  problemCount: z.number().int(),
  problems: z.array(z.string()).describe('the first 20 bad rows, by line'),
})

const replayBody = z
  .object({
    id: id.optional().describe('one postback log row (its refusal), or else:'),
    since: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('refusals received at or after this time (ISO 8601)'),
    outcome: name.optional().describe('only this refusal code'),
    network: name.optional().describe('only postbacks that named this network'),
    limit: z.number().int().min(1).max(10_000_000).default(10_000),
    includeUnauthorized: z
      .boolean()
      .default(false)
      .describe('also replay rows whose caller was never verified, on your word'),
    dryRun: z.boolean().default(false).describe('list what would be replayed, change nothing'),
    by: onBehalfOf,
  })
  .refine((body) => (body.id === undefined) !== (body.since === undefined), {
    message: 'give either id or since (with outcome/network)',
    path: ['since'],
  })

export function adminMaintenanceRoutes(
  app: ZodApp,
  deps: { db: Database; config: Config; networks: NetworkRegistry; deliveries?: DeliveryHooks },
) {
  const { db, config, networks, deliveries } = deps
  app.get(
    '/admin/ledger/verify',
    {
      schema: {
        summary: 'Check that balances equal their ledgers and nothing was credited twice',
        ...ADMIN,
        querystring: z.object({
          examples: z.coerce.number().int().min(0).max(1000).default(10),
        }),
        response: {
          200: jsonResponse('Every check, with examples of violations.', ledgerAnswer),
          ...ADMIN_REFUSALS,
        },
      },
    },
    async ({ query, raw }, reply) => {
      // The checks may take minutes with nothing sent meanwhile: CONNECTION_TIMEOUT (idle
      // sockets) must not cut this answer off; the socket is idle-checked again after it.
      // (A request injected in tests has a socket without timeouts.)
      const socket = raw.socket as Partial<Socket> | undefined
      if (socket?.setTimeout) {
        socket.setTimeout(0)
        reply.raw.once('finish', () => socket.setTimeout?.(config.CONNECTION_TIMEOUT))
      }
      const checks = await verifyLedger(db.pool, {
        examples: query.examples,
        queryTimeoutMs: LEDGER_QUERY_TIMEOUT_MS,
      })
      return { checks, violations: checks.reduce((sum, check) => sum + check.violations, 0) }
    },
  )

  app.post(
    '/admin/offers/import',
    {
      schema: {
        summary: 'Set many offers’ expected payouts from a CSV, all or nothing',
        ...ADMIN,
        body: z.object({
          csv: z.string().describe('a header row, then one offer per row'),
          network: name.default(DEFAULT_NETWORK).describe('the network of rows without one'),
          offerCol: name.default('offer_id'),
          payoutCol: name.default('expected_payout'),
          networkCol: name.default('network'),
          by: onBehalfOf,
        }),
        response: {
          200: jsonResponse('Imported.', offersImported),
          404: notFound('UNKNOWN_NETWORK'),
          422: jsonResponse('A row is bad: nothing was imported.', offersRefused),
          ...ADMIN_REFUSALS,
          ...BODY_REFUSALS,
        },
      },
    },
    async (request, reply) => {
      const { body } = request
      if (!networks.get(body.network))
        throw new HttpError(
          'UNKNOWN_NETWORK',
          `unknown network "${body.network}"; configured: ${networks.names().join(', ')}`,
        )
      const result = await importOffers(db.pool, {
        input: Readable.from([body.csv]),
        columns: { offer: body.offerCol, payout: body.payoutCol, network: body.networkCol },
        defaultNetwork: body.network,
        knownNetworks: networks.names(),
        actor: actorFor(request, body.by),
      })
      if (result.problemCount === 0) return { created: result.created, updated: result.updated }
      return reply.code(422).send({
        statusCode: 422,
        code: 'OFFERS_NOT_IMPORTED' as const,
        error: 'Unprocessable Entity',
        message: `nothing imported: ${result.problemCount} bad row(s)`,
        problemCount: result.problemCount,
        problems: result.problems,
      })
    },
  )

  app.post(
    '/admin/postbacks/replay',
    {
      config: { permission: 'replay' },
      schema: {
        summary: 'Replay refused postbacks now, reporting each as it goes (the CLI’s replay)',
        description:
          'Each selected refusal is replayed in turn, in its own transaction, as `replay` does. The answer streams one JSON object per line: `{"line": …}` for each row (the CLI prints these), then `{"tally": {selected, accepted, refused, skipped}}`; a failure part way ends with `{"error": …}` (the rows before it stay replayed).',
        ...ADMIN,
        body: replayBody,
        response: {
          200: {
            description: 'One JSON object per line, the tally last.',
            // JSON Schema, not zod: a stream of lines, not one value.
            content: { 'application/x-ndjson': { schema: { type: 'string' } } },
          },
          ...ADMIN_REFUSALS,
          ...BODY_REFUSALS,
        },
      },
    },
    async (request, reply) => {
      const { body, log } = request
      const filter = body.id
        ? { id: body.id }
        : {
            since: new Date(body.since ?? 0),
            outcome: body.outcome,
            network: body.network,
            limit: body.limit,
          }
      const options = {
        actor: actorFor(request, body.by),
        includeUnauthorized: body.includeUnauthorized,
        dryRun: body.dryRun,
      }
      // A database that is down answers 503 before the answer (and its 200) begins.
      await db.pool.query('SELECT 1')
      const lines = replayLines(
        { pool: db.pool, config, networks, deliveries },
        filter,
        options,
        log,
      )
      return reply.type('application/x-ndjson; charset=utf-8').send(Readable.from(lines))
    },
  )
}

/** The replay's report as JSON lines; a client that goes away stops it after the current row. */
async function* replayLines(
  deps: ReplayDeps,
  filter: ReplayFilter,
  options: ReplayRunOptions,
  log: FastifyBaseLogger,
): AsyncGenerator<string> {
  const tally: ReplayTally = { selected: 0, accepted: 0, refused: 0, skipped: 0 }
  const line = (value: ReplayStreamLine) => `${JSON.stringify(value)}\n`
  try {
    for await (const text of replayRun(deps, filter, options, tally)) yield line({ line: text })
    yield line({ tally })
  } catch (error) {
    // The answer has begun: the failure is its last line; the rows before it stay replayed.
    const known = error instanceof HttpError && error.statusCode < 500
    if (!known) log.error({ err: error }, 'replay failed part way')
    yield line({
      error: known
        ? error.message
        : `the replay stopped part way after ${tally.selected} row(s) (the service's log says why); the rows reported are done`,
    })
  }
}
