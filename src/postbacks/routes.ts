import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Config } from '../config.js'
import type { Database } from '../db/database.js'
import { databaseUnavailable, HttpError, toHttpError } from '../http/errors.js'
import { withDeadline } from '../lib/deadline.js'
import { sendOutcome, sendRefusal } from './answer.js'
import { describeRequest } from './describe-request.js'
import { FIELD_NAMES, parsePostback } from './fields.js'
import { insertPostbackLog } from './log.js'
import { resolveNetwork } from './network.js'
import { collectParams, FormBody, type Params, pickValue } from './params.js'
import { type RecordPolicy, recordPostback } from './record.js'
import { type Guard, verifyCaller } from './verify.js'

// Postbacks are a few hundred bytes; anything much larger is not one.
export const BODY_LIMIT = 8 * 1024
// Storing a refusal must not hold its answer long when the database is struggling.
const REFUSAL_LOG_TIMEOUT_MS = 1000

export type PostbackRoutesOptions = { config: Config; db: Database; secrets: readonly string[] }

export async function postbackRoutes(
  app: FastifyInstance,
  { config, db, secrets }: PostbackRoutesOptions,
) {
  const guard: Guard = {
    requireHttps: config.REQUIRE_HTTPS,
    allowedIps: config.ALLOWED_IPS,
    secrets,
  }
  const policy: RecordPolicy = {
    pointsPerUnit: config.POINTS_PER_UNIT,
    creditPending: config.CREDIT_PENDING,
    maxPayout: config.MAX_PAYOUT,
    payoutTolerance: config.PAYOUT_TOLERANCE,
  }
  const deadline = <T>(work: Promise<T>) =>
    withDeadline(work, config.POSTBACK_TIMEOUT_MS, databaseUnavailable)

  // Form bodies are kept as received so repeated parameters survive to the ambiguity check and
  // the log stores the bytes that came. Only form and JSON are postbacks: no text/plain.
  app.removeContentTypeParser('text/plain')
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => done(null, new FormBody(body as string)),
  )
  await app.register(rateLimit, {
    max: config.RATE_LIMIT_MAX,
    timeWindow: config.RATE_LIMIT_WINDOW,
    errorResponseBuilder: (_request, context) =>
      new HttpError(
        429,
        'RATE_LIMITED',
        `more than ${context.max} postbacks from this address in ${context.after}; slow down`,
      ),
  })

  // Every refusal is answered here, and kept in the postback log with its reason.
  app.setErrorHandler(async (error, request, reply) => {
    const refusal = toHttpError(error as Error)
    if (refusal.statusCode >= 500) {
      const level = refusal.statusCode === 503 ? 'warn' : 'error'
      request.log[level]({ err: error, code: refusal.code }, 'postback not recorded')
    } else if (refusal.statusCode !== 429) await logRefusal(request, refusal)
    return sendRefusal(request, reply, refusal)
  })

  async function logRefusal(request: FastifyRequest, refusal: HttpError) {
    let params: Params = new Map()
    try {
      params = collectParams(request.url, request.body)
    } catch {} // the refusal may be about the body itself
    const network =
      (request.params as { network?: string }).network ?? pickValue(params, ['network']).value
    try {
      await withDeadline(
        insertPostbackLog(db.pool, {
          ...describeRequest(request, secrets),
          network: network ?? 'default',
          statusCode: refusal.statusCode,
          outcome: refusal.code,
          message: refusal.message,
          txId: pickValue(params, FIELD_NAMES.tx_id).value ?? null,
          conversionId: null,
        }),
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
    const network = resolveNetwork(request.params.network, params)
    const secret = pickValue(params, ['secret'])
    const headerSecret = request.headers['x-postback-secret']
    verifyCaller(
      {
        protocol: request.protocol,
        ip: request.ip,
        secret: secret.ambiguous
          ? ''
          : (secret.value ?? (typeof headerSecret === 'string' ? headerSecret : undefined)),
      },
      guard,
    )
    const postback = parsePostback(params, network)
    const log = { ...describeRequest(request, secrets), network }
    const result = await deadline(recordPostback(db.pool, postback, policy, log))
    return sendOutcome(request, reply, result)
  }

  for (const url of ['/api/postback', '/api/postback/:network']) {
    app.route({ method: ['GET', 'POST'], url, bodyLimit: BODY_LIMIT, handler: handlePostback })
  }
}
