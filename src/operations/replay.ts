import type { Pool } from 'pg'
import { type Actor, actorText } from '../audit/actor.js'
import { recordAudit } from '../audit/record.js'
import type { Config } from '../config.js'
import type { DeliveryHooks } from '../delivery/hooks.js'
import { HttpError } from '../http/errors.js'
import { REDACTED } from '../http/redact.js'
import type { NetworkRegistry } from '../networks/registry.js'
import type { LogEntry } from '../postback-log/rows.js'
import { fieldWarnings, parsePostback } from '../postbacks/fields.js'
import { insertPostbackLog, type PostbackLogEntry } from '../postbacks/log.js'
import { resolveNetwork } from '../postbacks/network.js'
import {
  collectParams,
  FormBody,
  JsonBody,
  type Params,
  pickValue,
  refuseNestedFields,
} from '../postbacks/params.js'
import { recordPostback } from '../postbacks/record.js'
import { linkReversal } from '../postbacks/reversal-link.js'
import { policyOf } from '../postbacks/routes.js'
import { verifyCaller } from '../postbacks/verify.js'

// Re-runs refused postbacks from postback_log through the same parse -> record path, after a
// configuration fix (a missing alias, a network added). Only requests whose caller was
// verified when they arrived (caller_verified) are trusted by default: the stored copy has its
// secret or signature redacted, so a request refused before verification (415, 413, an unknown
// network, a bad secret, a disallowed address ...) can be re-verified only when today's
// profile needs nothing the log does not keep (no secret, the stored address allowed).
// Anything else runs only on the operator's word (includeUnauthorized). The new log row says
// who ran it (replayed_by), which row it re-ran (replay_of), and whether its caller is verified.

/** A refused postback_log row, as replay reads it (already redacted). */
export type StoredRequest = Pick<
  LogEntry,
  | 'id'
  | 'receivedAt'
  | 'method'
  | 'path'
  | 'query'
  | 'body'
  | 'headers'
  | 'sourceIp'
  | 'statusCode'
  | 'outcome'
  | 'callerVerified'
>

export type ReplayOutcome = {
  logId: string
  /** The original refusal. */
  was: string
  /** 'replayed': a new log row exists; 'skipped': nothing was done (see message). */
  kind: 'replayed' | 'skipped'
  statusCode: number | null
  outcome: string
  message: string
  replayLogId: string | null
  conversionId: string | null
  points: bigint
  /** Deliveries the replay queued (DELIVERY_RULES_FILE rules matching its outcome). */
  deliveries: number
}
// The log keeps at most this much of a body; a longer one was cut and cannot be replayed.
const STORED_TEXT_MAX = 4096

export type ReplayDeps = {
  pool: Pool
  config: Config
  networks: NetworkRegistry
  /** The delivery rules to queue with a replay's outcome, and the worker to wake after. */
  deliveries?: DeliveryHooks
}

/** Why a stored request is skipped without --include-unauthorized. */
export function unverifiedMessage(outcome: string): string {
  return `refused as ${outcome} before its caller was verified (secret or signature, source address), and the stored copy cannot prove it genuine: replay it only if you know the network really sent it (--include-unauthorized)`
}

export type ReplayOptions = { actor: Actor; includeUnauthorized: boolean }

/**
 * Replays one stored request; a replay that ran leaves an audit row (after its own log row and
 * conversion commit: the postback path writes them in its own transaction, and the log row's
 * replay_of/replayed_by already record the replay if the audit insert fails).
 */
export async function replayOne(
  deps: ReplayDeps,
  stored: StoredRequest,
  options: ReplayOptions,
): Promise<ReplayOutcome> {
  const result = await replayStored(deps, stored, options)
  if (result.kind === 'replayed') {
    await recordAudit(deps.pool, {
      actor: options.actor,
      action: 'postback.replay',
      subject: { type: 'postback', id: stored.id },
      conversionId: result.conversionId,
      before: { outcome: stored.outcome, statusCode: stored.statusCode },
      after: {
        replayLogId: result.replayLogId,
        outcome: result.outcome,
        statusCode: result.statusCode,
        conversionId: result.conversionId,
        points: result.points,
      },
    })
  }
  return result
}

async function replayStored(
  deps: ReplayDeps,
  stored: StoredRequest,
  options: ReplayOptions,
): Promise<ReplayOutcome> {
  const base = {
    logId: stored.id,
    was: stored.outcome,
    conversionId: null,
    points: 0n,
    deliveries: 0,
  }
  const skip = (message: string): ReplayOutcome => ({
    ...base,
    kind: 'skipped',
    statusCode: null,
    outcome: 'skipped',
    message,
    replayLogId: null,
  })
  if (stored.statusCode < 400) return skip(`it was accepted (${stored.outcome}), not refused`)
  if ((stored.body?.length ?? 0) > STORED_TEXT_MAX || (stored.query?.length ?? 0) > STORED_TEXT_MAX)
    return skip('its stored query or body was cut to 4096 characters; it cannot be replayed')
  const callerVerified = stored.callerVerified || reverified(deps, stored)
  if (!callerVerified && !options.includeUnauthorized)
    return skip(unverifiedMessage(stored.outcome))

  const { network, txId, ...log } = {
    ...requestLog(stored, actorText(options.actor)),
    callerVerified,
  }
  let params: Params = new Map()
  let txNames = ['tx_id']
  let networkName = network
  try {
    params = collectParams(rawUrl(stored), storedBody(stored))
    const profile = resolveNetwork(deps.networks, pathNetwork(stored.path), params)
    networkName = profile.name
    txNames = profile.params.tx_id
    refuseNestedFields(params, profile.params)
    refuseRedactedFields(params, profile.params)
    let postback = parsePostback(params, profile, deps.networks.allSecrets())
    // As the live route does: a reversal under a new id is aimed at the conversion it reverses.
    if (profile.reversalLink)
      postback = await linkReversal(deps.pool, postback, profile.reversalLink)
    const context = { ...log, network: profile.name, warnings: fieldWarnings(params, profile) }
    if (postback.test && !profile.creditTests) {
      const message = 'test postback (the network flagged it): logged, not credited'
      const replayLogId = await insertPostbackLog(deps.pool, {
        ...context,
        statusCode: 200,
        outcome: 'test',
        message,
        txId: postback.txId,
        conversionId: null,
      })
      return { ...base, kind: 'replayed', statusCode: 200, outcome: 'test', message, replayLogId }
    }
    const result = await recordPostback(
      deps.pool,
      postback,
      policyOf(profile, deps.config, deps.deliveries?.rules),
      context,
    )
    // As a live postback does: what the replay queued goes out without waiting for a poll.
    if (result.deliveries > 0) deps.deliveries?.wake()
    return {
      ...base,
      kind: 'replayed',
      statusCode: 200,
      outcome: result.outcome,
      message: result.message,
      replayLogId: result.logId,
      conversionId: result.conversionId,
      points: result.points,
      deliveries: result.deliveries,
    }
  } catch (error) {
    if (!(error instanceof HttpError)) throw error
    const replayLogId = await insertPostbackLog(deps.pool, {
      ...log,
      network: networkName,
      statusCode: error.statusCode,
      outcome: error.code,
      message: error.message,
      txId: pickValue(params, txNames).value ?? txId,
      conversionId: null,
    })
    return {
      ...base,
      kind: 'replayed',
      statusCode: error.statusCode,
      outcome: error.code,
      message: error.message,
      replayLogId,
    }
  }
}

/** The new log row: the stored request as it was (already redacted), marked as a replay. */
function requestLog(stored: StoredRequest, by: string) {
  return {
    network: null as string | null,
    txId: null as string | null,
    method: stored.method,
    path: stored.path,
    query: stored.query,
    body: stored.body,
    headers: stored.headers,
    sourceIp: stored.sourceIp ?? '',
    replayOf: stored.id,
    replayedBy: by,
  } satisfies Partial<PostbackLogEntry>
}

/**
 * Verifies the stored request as the postback route would, against today's profile. The log
 * keeps no secret, signature or signature header, so this passes only where the profile needs
 * none of them (signature kind none) and the stored source address is allowed. The protocol is
 * not stored: under REQUIRE_HTTPS nothing is re-verified.
 */
function reverified(deps: ReplayDeps, stored: StoredRequest): boolean {
  try {
    const params = collectParams(rawUrl(stored), storedBody(stored))
    const profile = resolveNetwork(deps.networks, pathNetwork(stored.path), params)
    verifyCaller(
      {
        protocol: 'http',
        ip: stored.sourceIp ?? '',
        signed: {
          publicBaseUrl: deps.config.PUBLIC_URL ?? 'http://localhost',
          rawUrl: rawUrl(stored),
          params,
          rawBody: stored.body,
          headers: stored.headers,
        },
      },
      profile,
      deps.config.REQUIRE_HTTPS,
    )
    return true
  } catch (error) {
    if (error instanceof HttpError) return false
    throw error
  }
}

function rawUrl(stored: StoredRequest): string {
  return stored.query === null ? stored.path : `${stored.path}?${stored.query}`
}

function storedBody(stored: StoredRequest): unknown {
  if (stored.body === null) return undefined
  const type = stored.headers['content-type'] ?? ''
  if (type.includes('application/json')) {
    try {
      return new JsonBody(stored.body, JSON.parse(stored.body))
    } catch {
      throw new HttpError('INVALID_BODY', 'the body is not valid JSON')
    }
  }
  return new FormBody(stored.body)
}

function pathNetwork(path: string): string | undefined {
  const match = /^\/api\/postback\/([^/?]+)\/?$/.exec(path)
  if (!match?.[1]) return undefined
  try {
    return decodeURIComponent(match[1])
  } catch {
    return match[1]
  }
}

/** A field whose value was redacted on the way into the log cannot be replayed faithfully. */
function refuseRedactedFields(params: Params, names: Record<string, string[]>) {
  for (const [field, fieldNames] of Object.entries(names)) {
    const value = pickValue(params, fieldNames).value
    if (value?.includes(REDACTED)) {
      throw new HttpError(
        'REDACTED_FIELD',
        `${field} was redacted when the request was stored (its parameter name or value looks like a secret); it cannot be replayed`,
      )
    }
  }
}
