import type { Pool } from 'pg'
import type { Logger } from 'pino'
import { isDatabaseUnavailable } from '../db/errors.js'
import { withTransaction } from '../db/transaction.js'
import { applyBatch, type BatchItem } from './apply-batch.js'
import {
  type LogContext,
  type Postback,
  type RecordPolicy,
  type RecordResult,
  recordPostback,
} from './record.js'

export type Recorder = (
  postback: Postback,
  policy: RecordPolicy,
  log: LogContext,
) => Promise<RecordResult>

type Waiting = BatchItem & { resolve(result: RecordResult): void; reject(error: unknown): void }

export type GroupCommitOptions = {
  /** How long the first postback of a batch waits for company; 0 turns batching off. */
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
 * Group commit: postbacks arriving within `windowMs` (or until `maxBatch`) share one
 * transaction, so one WAL flush and a handful of statements cover them all. Each caller's
 * promise settles only after that COMMIT, with its own outcome. While a batch is being
 * written the next one fills up, and goes as soon as the first is done.
 *
 * A batch that fails for any reason but an unavailable database is applied again one postback
 * per transaction, so one bad postback cannot fail the others.
 */
export function createRecorder(pool: Pool, options: GroupCommitOptions): Recorder {
  if (options.windowMs <= 0) {
    return (postback, policy, log) => recordPostback(pool, postback, policy, log)
  }
  const lanes = Array.from({ length: Math.max(1, options.lanes) }, () => createLane(pool, options))
  return (postback, policy, log) => {
    const lane = lanes[laneOf(postback.network, postback.txId, lanes.length)] as Recorder
    return lane(postback, policy, log)
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
    if (waiting.length >= options.maxBatch) {
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

  async function flush() {
    if (writing || waiting.length === 0) return
    writing = true
    const batch = waiting.slice(0, options.maxBatch)
    waiting = waiting.slice(batch.length)
    try {
      await write(batch)
    } finally {
      writing = false
      // Those that arrived meanwhile have waited long enough.
      if (waiting.length > 0) void flush()
    }
  }

  async function write(batch: Waiting[]) {
    try {
      const results = await withTransaction(pool, (client) => applyBatch(client, batch))
      options.onBatch?.(batch.length, false)
      for (const [i, item] of batch.entries()) item.resolve(results[i] as RecordResult)
    } catch (error) {
      if (isDatabaseUnavailable(error)) {
        for (const item of batch) item.reject(error)
        return
      }
      options.log.warn(
        { err: { message: (error as Error).message }, batch: batch.length },
        'group commit failed; applying its postbacks one by one',
      )
      options.onBatch?.(batch.length, true)
      for (const item of batch) {
        try {
          item.resolve(await recordPostback(pool, item.postback, item.policy, item.log))
        } catch (single) {
          item.reject(single)
        }
      }
    }
  }

  return (postback, policy, log) =>
    new Promise<RecordResult>((resolve, reject) => {
      waiting.push({ postback, policy, log, resolve, reject })
      schedule()
    })
}
