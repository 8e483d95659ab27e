import type { Pool } from 'pg'
import type { Logger } from 'pino'
import { redactUrl, redactValues } from '../http/redact.js'
import { type ClaimedJob, claimDue, type ExhaustedJob, recordAttempt } from './queue.js'
import { DeliveryRenderError, renderDelivery } from './render.js'
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
        const { jobs, exhausted } = await claimDue(pool, free, options.leaseMs)
        for (const job of exhausted) buried(job)
        moreWaiting = jobs.length === free || exhausted.length === free
        for (const job of jobs) track(job)
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

  function track(job: ClaimedJob) {
    // deliver() handles its own failures; this only keeps a bug in it from ending the process.
    const send = deliver(job).catch((error: unknown) => {
      log.error(
        { err: { message: (error as Error)?.message }, deliveryId: job.id },
        'delivery attempt failed unexpectedly; retried when its lease runs out',
      )
    })
    inFlight.add(send)
    void send.finally(() => {
      // send never rejects (the catch above)
      inFlight.delete(send)
      if (moreWaiting) schedule(0)
    })
  }

  /**
   * One attempt, start to finish. Nothing in it may end the process: a request that cannot be
   * built is dead with the reason, any other failure is a retry (within the job's attempts).
   */
  async function deliver(job: ClaimedJob) {
    const startedAt = new Date()
    let url = ''
    let result: SendResult
    try {
      const rule = rules.get(job.rule)
      if (!rule) {
        result = failure(`rule "${job.rule}" is no longer configured`, true)
      } else {
        const outgoing = renderDelivery(rule, job)
        url = outgoing.url
        result = await sender.send(outgoing, rule.timeoutMs, shutdown.signal)
      }
    } catch (error) {
      result =
        error instanceof DeliveryRenderError
          ? failure(error.message, true)
          : failure(`unexpected failure: ${(error as Error)?.message ?? String(error)}`, false)
    }
    await finish(job, url, startedAt, result)
  }

  async function finish(job: ClaimedJob, url: string, startedAt: Date, result: SendResult) {
    const aborted = shutdown.signal.aborted && result.error !== null
    const state =
      result.error === null
        ? 'delivered'
        : result.permanent || (!aborted && job.attempt >= job.maxAttempts)
          ? 'dead'
          : 'pending'
    // Shutdown is not the receiver's fault: the next start tries again at once.
    const delayMs = state === 'pending' && !aborted ? backoff(job.attempt) : 0
    let error: string | null
    try {
      const secrets = rules.secrets()
      const redact = (text: string | null) => (text === null ? null : redactValues(text, secrets))
      error = redact(result.error)
      await recordAttempt(pool, job, {
        startedAt,
        url: redact(redactUrl(url)) ?? '',
        statusCode: result.statusCode,
        latencyMs: result.latencyMs,
        excerpt: redact(result.excerpt),
        error,
        state,
        delayMs,
        givenBack: aborted,
      })
    } catch (cause) {
      // The lease runs out and another attempt follows (or, after the last, the job is dead):
      // at least once, never lost.
      log.warn(
        { err: { message: (cause as Error)?.message }, deliveryId: job.id },
        'delivery attempt not recorded',
      )
      return
    }
    options.onAttempt?.(state === 'delivered' ? 'delivered' : state === 'dead' ? 'dead' : 'retry')
    const fields = { deliveryId: job.id, rule: job.rule, event: job.event, attempt: job.attempt }
    if (state === 'delivered') log.debug({ ...fields, status: result.statusCode }, 'delivered')
    else if (state === 'dead') log.warn(fields, `delivery dead: ${error}`)
    else {
      log.warn(
        fields,
        `delivery failed (attempt ${job.attempt}/${job.maxAttempts}): ${error}; next try in ${Math.round(delayMs / 1000)} s`,
      )
    }
  }

  function buried(job: ExhaustedJob) {
    options.onAttempt?.('dead')
    log.warn(
      { deliveryId: job.id, rule: job.rule, event: job.event, attempt: job.attempt },
      `delivery dead: attempt ${job.attempt} was never recorded and no attempts are left`,
    )
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

function failure(error: string, permanent: boolean): SendResult {
  return { statusCode: null, latencyMs: 0, excerpt: null, error, permanent }
}
