import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import type { Database } from '../db/database.js'
import { createPlannerStats } from '../db/planner-stats.js'
import type { DeliveryHooks } from '../delivery/hooks.js'
import type { DeliveryRules } from '../delivery/rules.js'
import { CODES, type ErrorCode } from '../http/codes.js'
import { databaseUnavailable, HttpError, redactHttpError, toHttpError } from '../http/errors.js'
import { redactValues } from '../http/redact.js'
import { withDeadline } from '../lib/deadline.js'
import type { Metrics } from '../metrics/metrics.js'
import type { NetworkProfile } from '../networks/profile.js'
import type { NetworkRegistry } from '../networks/registry.js'
import { sendOutcome, sendRefusal } from './answer.js'
import { describeRequest } from './describe-request.js'
import { fieldWarnings, parsePostback } from './fields.js'
import { createRecorder } from './group-commit.js'
import { insertPostbackLog } from './log.js'
import { requestedNetwork, resolveNetwork } from './network.js'
import {
  collectParams,
  FormBody,
  JsonBody,
  type Params,
  pickValue,
  rawBodyOf,
  refuseNestedFields,
} from './params.js'
import { linkReversal } from './reversal-link.js'
import { verifyCaller } from './verify.js'

// Postbacks are a few hundred bytes; anything much larger is not one.
export const BODY_LIMIT = 8 * 1024
// Storing a refusal must not hold its answer long when the database is struggling.
const REFUSAL_LOG_TIMEOUT_MS = 1000

export type PostbackRoutesOptions = {
  config: Config
  db: Database
  networks: NetworkRegistry
  metrics: Metrics
  /** Shares rate limits between instances when set; otherwise each keeps its own. */
  redis?: Redis
  /** Delivery rules to queue with each conversion change, and the worker to wake. */
  deliveries?: DeliveryHooks
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The configured network this postback named, for metrics labels; null if none. */
    postbackNetwork: string | null
    /** verifyCaller passed for this request: its refusals and outcomes are logged as verified. */
    callerVerified: boolean
  }
}

export async function postbackRoutes(
  app: FastifyInstance,
  { config, db, networks, metrics, redis, deliveries }: PostbackRoutesOptions,
) {
  app.decorateRequest('postbackNetwork', null)
  app.decorateRequest('callerVerified', false)
  app.addHook('onResponse', (request, reply, done) => {
    const outcome = reply.getHeader('x-postback-outcome')
    metrics.postback(
      request.postbackNetwork ?? 'unknown',
      typeof outcome === 'string' ? outcome : String(reply.statusCode),
      reply.elapsedTime / 1000,
    )
    done()
  })
  // Group commit by default: on real PostgreSQL it shares commits and WAL flushes; on the
  // embedded database (one connection, statements run in WebAssembly) it saves statements.
  // The writer's prepared statements plan from the statistics of the tables it grows.
  const plannerStats = createPlannerStats(db.pool, app.log as unknown as Logger)
  plannerStats.analyzeUnknown()
  app.addHook('onClose', () => plannerStats.idle())
  const record = createRecorder(db.pool, {
    windowMs: config.GROUP_COMMIT_WINDOW_MS,
    maxBatch: config.GROUP_COMMIT_MAX_BATCH,
    lanes:
      db.kind === 'embedded' ? 1 : Math.min(config.GROUP_COMMIT_LANES, config.DATABASE_POOL_MAX),
    log: app.log as unknown as Logger,
    onBatch: (size, fellBack) => {
      metrics.batch(size, fellBack)
      plannerStats.noteWrites(size)
    },
  })
  const deadline = <T>(work: Promise<T>) =>
    withDeadline(work, config.POSTBACK_TIMEOUT_MS, databaseUnavailable)
  /** Records within the deadline; a postback still queued when it passes is dropped, not written. */
  const recordInTime: typeof record = (postback, policy, log) => {
    const abandoned = { aborted: false }
    return withDeadline(
      record(postback, policy, log, abandoned),
      config.POSTBACK_TIMEOUT_MS,
      () => {
        abandoned.aborted = true
        return databaseUnavailable()
      },
    )
  }

  // Bodies are kept as received: repeated form parameters survive to the ambiguity check,
  // signatures can cover the raw bytes, and the log stores what came. Only form and JSON.
  app.removeContentTypeParser(['text/plain', 'application/json'])
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, new FormBody(body as string)),
  )
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, new JsonBody(body as string, JSON.parse(body as string)))
    } catch {
      done(new HttpError('INVALID_BODY', 'the body is not valid JSON'), undefined)
    }
  })
  await app.register(rateLimit, {
    max: config.RATE_LIMIT_MAX,
    timeWindow: config.RATE_LIMIT_WINDOW,
    ...(redis ? { redis, nameSpace: 'postback-receiver-rate-limit-', skipOnError: true } : {}),
    errorResponseBuilder: (_request, context) =>
      new HttpError(
        'RATE_LIMITED',
        `more than ${context.max} postbacks from this address in ${context.after}; slow down`,
      ),
  })

  // Every refusal is answered here, and kept in the postback log with its reason.
  app.setErrorHandler(async (error, request, reply) => {
    // Names and values the caller sent may echo back in messages: never a secret's value.
    const refusal = redactHttpError(toHttpError(error as Error), networks.allSecrets())
    let params: Params = new Map()
    try {
      params = collectParams(request.url, request.body)
    } catch {} // the refusal may be about the body itself
    let network: string | undefined
    try {
      network = requestedNetwork((request.params as { network?: string }).network, params)
    } catch {}
    if (refusal.statusCode >= 500) {
      const level = refusal.statusCode === 503 ? 'warn' : 'error'
      request.log[level]({ err: error, code: refusal.code }, 'postback not recorded')
    } else if (refusal.statusCode !== 429) {
      await logRefusal(request, refusal, params, network)
    }
    const profile = network === undefined ? undefined : networks.get(network)
    request.postbackNetwork = profile?.name ?? null
    return sendRefusal(request, reply, refusal, profile)
  })

  async function logRefusal(
    request: FastifyRequest,
    refusal: HttpError,
    params: Params,
    network: string | undefined,
  ) {
    const profile = network === undefined ? undefined : networks.get(network)
    const txNames = profile?.params.tx_id ?? ['tx_id']
    const secrets = networks.allSecrets()
    const redact = (text: string | undefined) =>
      text === undefined ? null : redactValues(text, secrets)
    try {
      await withDeadline(
        insertPostbackLog(
          db.pool,
          Object.assign(describeRequest(request, secrets), {
            network: redact(network),
            statusCode: refusal.statusCode,
            outcome: refusal.code,
            message: refusal.message,
            txId: redact(pickValue(params, txNames).value),
            conversionId: null,
            callerVerified: request.callerVerified,
          }),
        ),
        REFUSAL_LOG_TIMEOUT_MS,
        databaseUnavailable,
      )
    } catch (error) {
      request.log.warn(
        { err: { message: (error as Error).message } },
        'could not store a refused postback',
      )
    }
  }

  async function handlePostback(
    request: FastifyRequest<{ Params: { network?: string } }>,
    reply: FastifyReply,
  ) {
    const params = collectParams(request.url, request.body)
    const profile = resolveNetwork(networks, request.params.network, params)
    request.postbackNetwork = profile.name
    refuseNestedFields(params, profile.params)
    verifyCaller(
      {
        protocol: request.protocol,
        ip: request.ip,
        signed: {
          publicBaseUrl: config.PUBLIC_URL ?? `${request.protocol}://${request.host}`,
          rawUrl: request.raw.url ?? request.url,
          params,
          rawBody: rawBodyOf(request.body),
          headers: request.headers,
        },
      },
      profile,
      config.REQUIRE_HTTPS,
    )
    // From here on, a refusal (a missing field, say) is the network's own request: replayable.
    request.callerVerified = true
    const secrets = networks.allSecrets()
    let postback = parsePostback(params, profile, secrets)
    if (profile.reversalLink)
      postback = await deadline(linkReversal(db.pool, postback, profile.reversalLink))
    // Object.assign, not { ...spread, more }: V8 (Node 20) builds a spread followed by more
    // properties in its runtime, ~20k instructions each time, a few percent of a postback.
    const log = Object.assign(describeRequest(request, secrets), {
      network: profile.name,
      callerVerified: true,
      warnings: fieldWarnings(params, profile),
    })
    if (postback.test && !profile.creditTests)
      return answerTest(request, reply, profile, postback.txId, log)
    const policy = policyOf(profile, config, deliveries?.rules)
    const result = await recordInTime(postback, policy, log)
    if (result.deliveries > 0) deliveries?.wake()
    metrics.points(result.points < 0n ? 'reversed' : 'credited', profile.name, result.points)
    const { outcome, conversionId, points, message } = result
    return sendOutcome(
      request,
      reply,
      { outcome, conversionId, points, message, txId: postback.txId },
      profile,
    )
  }

  /** A network's test postback: logged and acknowledged, never credited. */
  async function answerTest(
    request: FastifyRequest,
    reply: FastifyReply,
    profile: NetworkProfile,
    txId: string,
    log: Omit<
      Parameters<typeof insertPostbackLog>[1],
      'statusCode' | 'outcome' | 'message' | 'txId' | 'conversionId'
    >,
  ) {
    const message = 'test postback (the network flagged it): logged, not credited'
    await deadline(
      insertPostbackLog(
        db.pool,
        Object.assign({}, log, {
          statusCode: 200,
          outcome: 'test',
          message,
          txId,
          conversionId: null,
        }),
      ),
    )
    return sendOutcome(
      request,
      reply,
      { outcome: 'test', conversionId: null, points: 0n, message, txId },
      profile,
    )
  }

  for (const url of ['/api/postback', '/api/postback/:network']) {
    // Fastify would add HEAD for a GET route and run the handler for it: a HEAD would credit.
    app.route({
      method: ['GET', 'POST'],
      url,
      bodyLimit: BODY_LIMIT,
      exposeHeadRoute: false,
      handler: handlePostback,
    })
    app.route({ method: 'HEAD', url, handler: answerMethodNotAllowed })
  }
}

/** HEAD: answered 405 with Allow, before anything is parsed, recorded or logged. */
async function answerMethodNotAllowed(_request: FastifyRequest, reply: FastifyReply) {
  return reply
    .code(CODES.METHOD_NOT_ALLOWED.status)
    .header('allow', 'GET, POST')
    .header('x-postback-outcome', 'METHOD_NOT_ALLOWED' satisfies ErrorCode)
    .send()
}

/** What recordPostback may do for this network (shared with the CLI's replay). */
export function policyOf(profile: NetworkProfile, config: Config, deliveries?: DeliveryRules) {
  return {
    creditPending: profile.creditPending,
    maxPayout: profile.maxPayout,
    payoutTolerance: config.PAYOUT_TOLERANCE,
    deliveries,
  }
}
