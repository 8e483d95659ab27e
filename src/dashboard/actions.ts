import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'
import { HttpError } from '../http/errors.js'
import { redactUrl } from '../http/redact.js'
import type { NetworkRegistry } from '../networks/registry.js'
import { type ReplayDeps, type ReplayOptions, replayOne } from '../operations/replay.js'
import { type ReplayCandidate, selectRefusals } from '../operations/replay-selection.js'
import { buildTestPostback, TestPostbackError } from '../operations/test-postback.js'
import type { NetworkStatus } from '../postbacks/transitions.js'

// The dashboard's buttons, as thin wrappers over the operations the CLI and admin API use.

export type ReplayResult =
  | { kind: 'replayed'; logId: string }
  | { kind: 'skipped'; reason: 'replay-accepted-before' | 'replay-unauthorized' | 'replay-skipped' }

/** Replays one refused log row (or the row a replay row re-ran), as `replay <id>` does. */
export async function replayFromLog(
  deps: ReplayDeps,
  id: string,
  options: ReplayOptions,
): Promise<ReplayResult> {
  let stored: ReplayCandidate | undefined
  for await (const candidate of selectRefusals(deps.pool, { id })) stored = candidate
  if (!stored) throw new HttpError('NOT_FOUND', `no postback log entry #${id}`)
  if (stored.acceptedReplay) return { kind: 'skipped', reason: 'replay-accepted-before' }
  const result = await replayOne(deps, stored, options)
  if (result.kind === 'replayed' && result.replayLogId)
    return { kind: 'replayed', logId: result.replayLogId }
  const unauthorized = !stored.callerVerified && !options.includeUnauthorized
  return { kind: 'skipped', reason: unauthorized ? 'replay-unauthorized' : 'replay-skipped' }
}

export type TestResult = {
  network: string
  request: string
  txId: string
  statusCode: number
  outcome: string
  answer: string
}

/**
 * Builds the network's signed test postback (operations/test-postback) and sends it through
 * the service's own HTTP stack in-process (routing, verification, recording, the log), from
 * 127.0.0.1. What is shown of the request has its secret or signature redacted.
 */
export async function sendTestPostback(
  app: FastifyInstance,
  deps: { config: Config; networks: NetworkRegistry },
  network: string,
  fields: { userId: string; status: NetworkStatus; payout?: string },
): Promise<TestResult> {
  const profile = deps.networks.get(network)
  if (!profile) throw new HttpError('UNKNOWN_NETWORK', `unknown network "${network}"`)
  const signedBase = deps.config.PUBLIC_URL ?? 'http://localhost'
  let built: ReturnType<typeof buildTestPostback>
  try {
    built = buildTestPostback(
      profile,
      { userId: fields.userId, status: fields.status, payout: fields.payout, extra: [] },
      '',
      signedBase,
    )
  } catch (error) {
    if (error instanceof TestPostbackError) throw new HttpError('TEST_NOT_POSSIBLE', error.message)
    throw error
  }
  const response = await app.inject({
    method: built.method,
    url: built.url,
    headers: { ...built.headers, host: new URL(signedBase).host, accept: 'application/json' },
    ...(built.body === null ? {} : { payload: built.body }),
  })
  const outcome = response.headers['x-postback-outcome']
  return {
    network: profile.name,
    request: `${built.method} ${redactUrl(built.url)}`,
    txId: built.txId,
    statusCode: response.statusCode,
    outcome: typeof outcome === 'string' ? outcome : String(response.statusCode),
    answer: response.body.slice(0, 1000),
  }
}
