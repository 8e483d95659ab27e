import type { Logger } from 'pino'
import type { Actor } from '../audit/actor.js'
import { recordAudit } from '../audit/record.js'
import { withTransaction } from '../db/transaction.js'
import type { ReplayDeps } from '../operations/replay.js'
import {
  logHighWater,
  nextRefusals,
  previewReplay,
  type ReplayCounts,
  type ReplayFilter,
  replayForRun,
} from './replay.js'
import { deliveryHighWater, previewRetry, type RetryFilter, retryBatch } from './retry.js'
import {
  advanceRun,
  type BulkFilter,
  type BulkKind,
  type BulkRun,
  endRun,
  insertRun,
  interruptStale,
  newOwner,
  reclaimRun,
} from './runs.js'

// Runs bulk replays and bulk retries in this process, in the background: the request that
// starts one gets the run's row at once and the dashboard (or an API client) follows its
// progress there. Every step is short: a replay is one postback's own transactions, a retry
// batch one transaction; the run's cursor moves after each, so nothing is held over the run.
// On close (SIGTERM) a run stops after its current step and is left interrupted; a run whose
// process died goes stale, and either can be resumed from its cursor.

/** Rows a run handles at most unless the request says otherwise, and the most it may say. */
export const DEFAULT_CAP = 10_000
export const MAX_CAP = 100_000
const REPLAY_PAGE = 50
const RETRY_BATCH = 200

export type BulkDeps = ReplayDeps & { logger: Logger }

type Owned = BulkRun & { owner: string }

export class BulkRunner {
  readonly #deps: BulkDeps
  readonly #running = new Set<Promise<void>>()
  #closing = false

  constructor(deps: BulkDeps) {
    this.#deps = deps
  }

  /** Starts a bulk replay; BULK_RUN_ACTIVE while another one runs. Audited as bulk.replay.start. */
  async startReplay(filter: ReplayFilter, cap: number, actor: Actor): Promise<BulkRun> {
    const { pool } = this.#deps
    await interruptStale(pool, 'replay')
    const upToId = await logHighWater(pool)
    const preview = await previewReplay(pool, filter, cap)
    const counts: ReplayCounts = { processed: 0, accepted: 0, refused: 0, skipped: 0 }
    const run = { by: actor.name, upToId, cap, planned: preview.willReplay, counts }
    return this.#start('replay', filter, run, actor)
  }

  /** Starts a bulk retry of dead deliveries; BULK_RUN_ACTIVE while another one runs. */
  async startRetry(filter: RetryFilter, cap: number, actor: Actor): Promise<BulkRun> {
    const { pool } = this.#deps
    await interruptStale(pool, 'retry')
    const upToId = await deliveryHighWater(pool)
    const preview = await previewRetry(pool, filter, cap)
    const counts = { processed: 0, retried: 0 }
    const run = { by: actor.name, upToId, cap, planned: preview.willRetry, counts }
    return this.#start('retry', filter, run, actor)
  }

  /** Continues an interrupted (or failed) run from its cursor, with its own filter and cap. */
  async resume(id: string, actor: Actor): Promise<BulkRun> {
    const owner = newOwner()
    const run = await reclaimRun(this.#deps.pool, id, owner)
    await this.#audited(actor, 'bulk.resume', run)
    this.#drive({ ...run, owner })
    return run
  }

  // Who started (or resumed) the run, before its first step; each replay's or retry batch's
  // own audit row names the run's starter and the run.
  async #audited(actor: Actor, action: string, run: BulkRun): Promise<void> {
    await recordAudit(this.#deps.pool, {
      actor,
      action,
      subject: { type: 'bulk-run', id: run.id },
      after: { kind: run.kind, filter: run.filter, cap: run.cap, planned: run.planned },
    })
  }

  /** Stops every run after its current step (left interrupted, resumable); waits for that. */
  async close(): Promise<void> {
    this.#closing = true
    await Promise.all(this.#running)
  }

  async #start(
    kind: BulkKind,
    filter: ReplayFilter | RetryFilter,
    run: { by: string; upToId: string; cap: number; planned: number; counts: object },
    actor: Actor,
  ): Promise<BulkRun> {
    const owner = newOwner()
    const stored: BulkFilter = Object.fromEntries(
      Object.entries(filter).filter(([, value]) => value !== undefined),
    )
    const inserted = await insertRun(
      this.#deps.pool,
      { kind, filter: stored, ...run, counts: run.counts as Record<string, number> },
      owner,
    )
    await this.#audited(actor, `bulk.${kind}.start`, inserted)
    this.#drive({ ...inserted, owner })
    return inserted
  }

  #drive(run: Owned) {
    const work = this.#work(run).finally(() => this.#running.delete(work))
    this.#running.add(work)
  }

  async #work(run: Owned): Promise<void> {
    const { pool, logger } = this.#deps
    try {
      const finished = run.kind === 'replay' ? await this.#replay(run) : await this.#retry(run)
      if (finished === 'lost') return
      await endRun(pool, run, finished === 'closing' ? 'interrupted' : 'done')
    } catch (error) {
      logger.error({ err: error, run: run.id }, `bulk ${run.kind} run stopped by an error`)
      await endRun(
        pool,
        run,
        'failed',
        'stopped by an error (the service log has it); resume to continue',
      ).catch(() => {}) // the database may be what failed: the run then goes stale, resumable
    }
  }

  /** One refusal at a time, the cursor moved after each. */
  async #replay(run: Owned): Promise<'done' | 'closing' | 'lost'> {
    const deps = this.#deps
    const counts = { processed: 0, accepted: 0, refused: 0, skipped: 0, ...run.counts }
    const filter = run.filter as ReplayFilter
    // started_by is the principal's name; the audit row of each replay says which run did it.
    const actor = { name: run.startedBy, via: `bulk run #${run.id}` }
    let cursorId = run.cursorId
    for (;;) {
      if (this.#closing) return 'closing'
      const left = run.cap - counts.processed
      if (left <= 0) return 'done'
      const page = await nextRefusals(
        deps.pool,
        filter,
        { upToId: run.upToId, cursorId },
        Math.min(REPLAY_PAGE, left),
      )
      if (page.length === 0) return 'done'
      for (const stored of page) {
        if (this.#closing) return 'closing'
        await replayForRun(deps, stored, counts, actor)
        cursorId = stored.id
        if (!(await advanceRun(deps.pool, run, cursorId, counts))) return 'lost'
      }
    }
  }

  /** A batch per transaction, the cursor moved in the same one. */
  async #retry(run: Owned): Promise<'done' | 'closing' | 'lost'> {
    const { pool, deliveries } = this.#deps
    const counts = { processed: 0, retried: 0, ...run.counts }
    const filter = run.filter as RetryFilter
    let cursorId = run.cursorId
    for (;;) {
      if (this.#closing) return 'closing'
      const left = run.cap - counts.processed
      if (left <= 0) return 'done'
      const step = await withTransaction(pool, async (client) => {
        const batch = await retryBatch(
          client,
          filter,
          { upToId: run.upToId, cursorId },
          Math.min(RETRY_BATCH, left),
        )
        if (!batch) return 'done' as const
        // One audit row per batch (in its transaction): which deliveries this run retried.
        if (batch.deliveryIds.length > 0)
          await recordAudit(client, {
            actor: { name: run.startedBy, via: `bulk run #${run.id}` },
            action: 'delivery.bulk-retry',
            subject: { type: 'bulk-run', id: run.id },
            before: { state: 'dead' },
            after: { state: 'pending', attempts: 0, deliveryIds: batch.deliveryIds },
          })
        const next = {
          processed: counts.processed + batch.retried,
          retried: counts.retried + batch.retried,
        }
        if (!(await advanceRun(client, run, batch.cursorId, next))) throw new LostRun()
        return { cursorId: batch.cursorId, counts: next }
      }).catch((error: unknown) => {
        if (error instanceof LostRun) return 'lost' as const
        throw error
      })
      if (step === 'done' || step === 'lost') return step
      cursorId = step.cursorId
      Object.assign(counts, step.counts)
      deliveries?.wake()
    }
  }
}

/** The run was resumed by another process: this one's batch is rolled back. */
class LostRun extends Error {}
