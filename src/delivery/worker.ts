import { randomUUID } from 'node:crypto'
import type { Pool } from 'pg'
import type { Logger } from 'pino'
import { redactUrl, redactValues } from '../http/redact.js'
import { type DeliveryJob, renderDelivery } from './render.js'
import type { DeliveryRules } from './rules.js'
import { createSender, type SendResult } from './send.js'

export type DeliveryWorkerOptions = {
  pool: Pool
  rules: DeliveryRules
  log: Logger
  /** Sends in flight at once. */
  concurrency: number
  /** How often to look for due jobs when idle. */
  pollMs: number
  /** How long a claimed job stays invisible to other workers; longer than any send. */
  leaseMs: number
  backoffBaseMs: number
  backoffMaxMs: number
  allowPrivate: boolean
  onAttempt?: (result: 'delivered' | 'retry' | 'dead') => void
  random?: () => number
}

export type DeliveryWorker = {
  /** Look for due jobs now (after a commit queued some). */
  wake(): void
  /** Stops claiming, waits up to `timeoutMs` for sends in flight, aborts the rest. */
  stop(timeoutMs: number): Promise<void>
}

const WAKE_GAP_MS = 10

type ClaimedJob = DeliveryJob & { rule: string; maxAttempts: number; claim: string }

/**
 * Claims due jobs with FOR UPDATE SKIP LOCKED and a lease (next_attempt_at moved into the
 * future), so any number of workers on one database never send one job at the same time; a
 * worker that dies mid-send leaves its jobs to be claimed again when the lease runs out.
 * Polling only: no LISTEN/NOTIFY or session locks, so the embedded database works too.
 */
export function startDeliveryWorker(options: DeliveryWorkerOptions): DeliveryWorker {
  const { pool, rules, log, concurrency, pollMs } = options
  const sender = createSender({ allowPrivate: options.allowPrivate })
  const random = options.random ?? Math.random
  const inFlight = new Set<Promise<void>>()
  const shutdown = new AbortController()
  let timer: NodeJS.Timeout | undefined
  let ticking = false
  let stopping = false
  let moreWaiting = false
  let dueAt = Number.POSITIVE_INFINITY
  let lastTick = 0
  let wokenWhileTicking = Number.POSITIVE_INFINITY
  let currentTick: Promise<void> | undefined

  function schedule(ms: number) {
    if (stopping) return
    if (ticking) {
      // Woken while claiming: look again right after, not a poll interval later.
      wokenWhileTicking = Math.min(wokenWhileTicking, ms)
      return
    }
    // Under load every postback wakes the worker: one claim per WAKE_GAP_MS gathers them.
    const at = Math.max(Date.now() + ms, lastTick + WAKE_GAP_MS)
    if (timer && at >= dueAt) return
    clearTimeout(timer)
    dueAt = at
    timer = setTimeout(() => {
      currentTick = tick()
    }, at - Date.now())
    timer.unref()
  }

  async function tick() {
    timer = undefined
    dueAt = Number.POSITIVE_INFINITY
    lastTick = Date.now()
    ticking = true
    let delay = pollMs
    try {
      const free = concurrency - inFlight.size
      if (free > 0) {
        const jobs = await claim(pool, free, options.leaseMs)
        moreWaiting = jobs.length === free
        for (const job of jobs) track(deliver(job))
        if (moreWaiting && inFlight.size < concurrency) delay = 0
      }
    } catch (error) {
      log.warn({ err: { message: (error as Error).message } }, 'delivery worker cannot claim jobs')
    } finally {
      ticking = false
    }
    schedule(Math.min(delay, wokenWhileTicking))
    wokenWhileTicking = Number.POSITIVE_INFINITY
  }

  function track(send: Promise<void>) {
    inFlight.add(send)
    void send.finally(() => {
      inFlight.delete(send)
      if (moreWaiting) schedule(0)
    })
  }

  async function deliver(job: ClaimedJob) {
    const rule = rules.get(job.rule)
    const startedAt = new Date()
    if (!rule) {
      const error = `rule "${job.rule}" is no longer configured`
      await finish(job, '', startedAt, refusal(error))
      return
    }
    const outgoing = renderDelivery(rule, job)
    const result = await sender.send(outgoing, rule.timeoutMs, shutdown.signal)
    await finish(job, outgoing.url, startedAt, result)
  }

  async function finish(job: ClaimedJob, url: string, startedAt: Date, result: SendResult) {
    const secrets = rules.secrets()
    const redact = (text: string | null) => (text === null ? null : redactValues(text, secrets))
    const aborted = shutdown.signal.aborted && result.error !== null
    const state =
      result.error === null
        ? 'delivered'
        : result.permanent || (!aborted && job.attempt >= job.maxAttempts)
          ? 'dead'
          : 'pending'
    // Shutdown is not the receiver's fault: the next start tries again at once.
    const delayMs = state === 'pending' && !aborted ? backoff(job.attempt) : 0
    try {
      await pool.query(
        `WITH attempt AS (
           INSERT INTO delivery_attempts
             (delivery_id, attempt, started_at, url, status_code, latency_ms, response_excerpt, error)
           VALUES ($1, $3, $4, $5, $6, $7, $8, $9))
         UPDATE deliveries SET
           state = $10,
           next_attempt_at = now() + $11 * interval '1 millisecond',
           last_status = $6,
           last_error = $9,
           delivered_at = CASE WHEN $10 = 'delivered' THEN now() END,
           claim = NULL,
           updated_at = now()
         WHERE id = $1 AND claim = $2`,
        [
          job.id,
          job.claim,
          job.attempt,
          startedAt,
          redact(redactUrl(url)),
          result.statusCode,
          result.latencyMs,
          redact(result.excerpt?.replaceAll(String.fromCharCode(0), '') ?? null),
          redact(result.error),
          state,
          delayMs,
        ],
      )
    } catch (error) {
      // The lease runs out and another attempt follows: at least once, never lost.
      log.warn(
        { err: { message: (error as Error).message }, deliveryId: job.id },
        'delivery attempt not recorded',
      )
      return
    }
    options.onAttempt?.(state === 'delivered' ? 'delivered' : state === 'dead' ? 'dead' : 'retry')
    const fields = { deliveryId: job.id, rule: job.rule, event: job.event, attempt: job.attempt }
    if (state === 'delivered') log.debug({ ...fields, status: result.statusCode }, 'delivered')
    else if (state === 'dead') log.warn(fields, `delivery dead: ${redact(result.error)}`)
    else {
      log.warn(
        fields,
        `delivery failed (attempt ${job.attempt}/${job.maxAttempts}): ${redact(result.error)}; next try in ${Math.round(delayMs / 1000)} s`,
      )
    }
  }

  function backoff(attempt: number): number {
    const full = Math.min(options.backoffBaseMs * 2 ** (attempt - 1), options.backoffMaxMs)
    return Math.round(full / 2 + (random() * full) / 2) // "equal jitter": spread, never zero
  }

  schedule(0)
  return {
    wake: () => schedule(0),
    async stop(timeoutMs) {
      stopping = true
      clearTimeout(timer)
      await currentTick // jobs it claims are in flight below
      const settled = () => Promise.allSettled([...inFlight])
      let waited: NodeJS.Timeout | undefined
      await Promise.race([
        settled(),
        new Promise((resolve) => {
          waited = setTimeout(resolve, timeoutMs)
        }),
      ])
      clearTimeout(waited)
      if (inFlight.size > 0) {
        log.warn(
          `delivery: aborting ${inFlight.size} send(s) still in flight; retried on next start`,
        )
        shutdown.abort()
        await settled()
      }
      await sender.close()
    },
  }
}

function refusal(error: string): SendResult {
  return { statusCode: null, latencyMs: 0, excerpt: null, error, permanent: true }
}

async function claim(pool: Pool, limit: number, leaseMs: number): Promise<ClaimedJob[]> {
  const token = randomUUID()
  const { rows } = await pool.query<{
    id: string
    rule: string
    event: string
    data: Record<string, string | null>
    attempts: number
    max_attempts: number
  }>(
    `UPDATE deliveries d SET
       attempts = d.attempts + 1,
       claim = $3,
       next_attempt_at = now() + $2 * interval '1 millisecond',
       updated_at = now()
     FROM (SELECT id FROM deliveries
           WHERE state = 'pending' AND next_attempt_at <= now()
           ORDER BY next_attempt_at, id
           LIMIT $1
           FOR UPDATE SKIP LOCKED) due
     WHERE d.id = due.id
     RETURNING d.id::text, d.rule, d.event, d.data, d.attempts, d.max_attempts`,
    [limit, leaseMs, token],
  )
  return rows.map((row) => ({
    id: row.id,
    rule: row.rule,
    event: row.event,
    data: row.data,
    attempt: row.attempts,
    maxAttempts: row.max_attempts,
    claim: token,
  }))
}
