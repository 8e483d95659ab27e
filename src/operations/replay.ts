import type { Pool } from 'pg'
import type { Config } from '../config.js'
import { HttpError } from '../http/errors.js'
import { REDACTED } from '../http/redact.js'
import type { NetworkRegistry } from '../networks/registry.js'
import { parsePostback } from '../postbacks/fields.js'
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
import { policyOf } from '../postbacks/routes.js'

// Re-runs refused postbacks from postback_log through the same parse -> record path, after a
// configuration fix (a missing alias, a network added). Stored requests have their secrets
// redacted, so the caller cannot be verified again: a replay is trusted operator input, and
// its new log row says who ran it (replayed_by) and which row it re-ran (replay_of).

export type StoredRequest = {
  id: string
  receivedAt: Date
  method: string
  path: string
  query: string | null
  body: string | null
  headers: Record<string, string>
  sourceIp: string | null
  statusCode: number
  outcome: string
}

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
}

/** Refusals about who called: the original caller can no longer be checked. */
export const UNAUTHORIZED_CODES = [
  'BAD_SECRET',
  'BAD_SIGNATURE',
  'IP_NOT_ALLOWED',
  'HTTPS_REQUIRED',
]
// The log keeps at most this much of a body; a longer one was cut and cannot be replayed.
const STORED_TEXT_MAX = 4096

export type ReplayDeps = { pool: Pool; config: Config; networks: NetworkRegistry }

export async function replayOne(
  deps: ReplayDeps,
  stored: StoredRequest,
  options: { by: string; includeUnauthorized: boolean },
): Promise<ReplayOutcome> {
  const base = { logId: stored.id, was: stored.outcome, conversionId: null, points: 0n }
  const skip = (message: string): ReplayOutcome => ({
    ...base,
    kind: 'skipped',
    statusCode: null,
    outcome: 'skipped',
    message,
    replayLogId: null,
  })
  if (stored.statusCode < 400) return skip(`it was accepted (${stored.outcome}), not refused`)
  if (UNAUTHORIZED_CODES.includes(stored.outcome) && !options.includeUnauthorized) {
    return skip(
      `refused as ${stored.outcome}: its caller was not authorized, and the stored request cannot prove otherwise; replay it only if you know it is genuine (--include-unauthorized)`,
    )
  }
  if ((stored.body?.length ?? 0) > STORED_TEXT_MAX || (stored.query?.length ?? 0) > STORED_TEXT_MAX)
    return skip('its stored query or body was cut to 4096 characters; it cannot be replayed')

  const { network, txId, ...log } = requestLog(stored, options.by)
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
    const postback = parsePostback(params, profile)
    const context = { ...log, network: profile.name }
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
      policyOf(profile, deps.config),
      context,
    )
    return {
      ...base,
      kind: 'replayed',
      statusCode: 200,
      outcome: result.outcome,
      message: result.message,
      replayLogId: result.logId,
      conversionId: result.conversionId,
      points: result.points,
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
      throw new HttpError(400, 'INVALID_BODY', 'the body is not valid JSON')
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
        400,
        'REDACTED_FIELD',
        `${field} was redacted when the request was stored (its parameter name or value looks like a secret); it cannot be replayed`,
      )
    }
  }
}
