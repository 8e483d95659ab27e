import type { Pool } from 'pg'
import type { Logger } from 'pino'
import { isDatabaseUnavailable } from '../db/errors.js'
import type { BatchItem } from './apply-batch.js'
import type { LogContext, Postback, RecordPolicy, RecordResult } from './postback.js'
import { recordPostback, recordPostbacks } from './record.js'

/**
 * Records a postback. `abandoned` tells that its caller has been answered already (the route's
 * deadline passed): a postback still waiting for its lane is then dropped, not written, so a
 * 503 means "not recorded" wherever it can and an overloaded lane sheds work nobody awaits.
 */
export type Recorder = (
  postback: Postback,
  policy: RecordPolicy,
  log: LogContext,
  abandoned?: Abandoned,
) => Promise<RecordResult>

/** Set once the caller has been answered; a flag, not an AbortSignal: it is read, never listened to. */
export type Abandoned = { readonly aborted: boolean }

type Waiting = BatchItem & {
  abandoned: Abandoned | undefined
  resolve(result: RecordResult): void
  reject(error: unknown): void
}

/** Its caller gave up before its lane reached it; nothing of it was written. */
export class PostbackAbandoned extends Error {
  override name = 'PostbackAbandoned'
}

export type GroupCommitOptions = {
  /** How long an idle lane's first postback waits for company; 0 writes it at once. */
  windowMs: number
  maxBatch: number
  /**
   * Batches written at once, each on its own connection. A transaction always goes to the same
   * lane, so lanes never contend for one conversion; balances are locked in user order.
   */
  lanes: number
  log: Logger
  /** Told the size of every batch written (and whether it fell back to one by one). */
  onBatch?: (size: number, fellBack: boolean) => void
}

/**
 * Group commit: postbacks for one lane share a transaction. A lane writes one batch at a time;
 * whatever arrives while a batch is in flight goes together in the next one, so the batch size
 * follows the load. `windowMs` adds an optional wait for company before a lane's first batch
 * (0: an idle lane writes at once). Each caller's promise settles only after that COMMIT, with
 * its own outcome.
 *
 * A transaction always goes to the same lane, so requests for one conversion queue in memory
 * behind their lane instead of each holding a pooled connection while it waits for the row
 * lock: a hot key cannot exhaust the pool and turn into 503s.
 *
 * A batch that lost a race with another writer (a conversion it thought new was inserted, a
 * deadlock) is read and decided again as a batch; any other failure but an unavailable
 * database applies its postbacks one per transaction, so one bad postback cannot fail the others.
 */
export function createRecorder(pool: Pool, options: GroupCommitOptions): Recorder {
  const lanes = Array.from({ length: Math.max(1, options.lanes) }, () => createLane(pool, options))
  return (postback, policy, log, abandoned) => {
    const lane = lanes[laneOf(postback.network, postback.txId, lanes.length)] as Recorder
    return lane(postback, policy, log, abandoned)
  }
}

/** FNV-1a of the transaction's key: cheap, and the same key always lands in the same lane. */
function laneOf(network: string, txId: string, count: number): number {
  if (count === 1) return 0
  let hash = 0x811c9dc5
  const key = `${network}\u0000${txId}`
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % count
}

function createLane(pool: Pool, options: GroupCommitOptions): Recorder {
  let waiting: Waiting[] = []
  let timer: NodeJS.Timeout | undefined
  let writing = false

  function schedule() {
    if (writing) return // the batch in flight starts the next one when it is done
    if (options.windowMs <= 0 || waiting.length >= options.maxBatch) {
      clearTimeout(timer)
      timer = undefined
      void flush()
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = undefined
        void flush()
      }, options.windowMs)
    }
  }

  /** Never rejects (so `void flush()` is safe): a failure settles the batch's own callers. */
  async function flush() {
    if (writing) return
    waiting = waiting.filter((item) => {
      if (!item.abandoned?.aborted) return true
      item.reject(new PostbackAbandoned('its caller was answered before its lane reached it'))
      return false
    })
    if (waiting.length === 0) return
    writing = true
    const batch = waiting.slice(0, options.maxBatch)
    waiting = waiting.slice(batch.length)
    try {
      await write(batch)
    } catch (error) {
      // write() settles every caller itself; this is for a bug in it (a throwing onBatch): its
      // callers get the error instead of waiting for ever, and flush() never rejects.
      for (const item of batch) item.reject(error)
    } finally {
      writing = false
      // Those that arrived meanwhile have waited long enough.
      if (waiting.length > 0) void flush()
    }
  }

  async function write(batch: Waiting[]) {
    try {
      const results = await recordPostbacks(pool, batch)
      options.onBatch?.(batch.length, false)
      for (const [i, item] of batch.entries()) item.resolve(results[i] as RecordResult)
      return
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        for (const item of batch) item.reject(error)
        return
      }
      options.log.warn(
        { err: { message: (error as Error).message }, batch: batch.length },
        'group commit failed; applying its postbacks one by one',
      )
    }
    // One failing postback must not fail the others: each alone, as a batch of one.
    options.onBatch?.(batch.length, true)
    for (const item of batch) {
      try {
        item.resolve(await recordPostback(pool, item.postback, item.policy, item.log))
      } catch (single) {
        item.reject(single)
      }
    }
  }

  return (postback, policy, log, abandoned) =>
    new Promise<RecordResult>((resolve, reject) => {
      waiting.push({ postback, policy, log, abandoned, resolve, reject })
      schedule()
    })
}
