import type { Pool } from 'pg'
import { UNIQUE_VIOLATION } from '../db/errors.js'
import { withClient, withTransaction } from '../db/transaction.js'
import {
  applyBatch,
  type BatchItem,
  decideBatch,
  postbacksOf,
  queuesDeliveries,
  writePlan,
} from './apply-batch.js'
import { type BatchState, keyOf, offerKeysOf, readBatchState } from './batch-sql.js'
import type { LogContext, Postback, RecordPolicy, RecordResult } from './postback.js'

// The one writer: a group commit's batch and a lone postback (a replay, a batch's fallback)
// go through the same read-decide-write transaction; a lone postback is a batch of one.
//
// Most batches are approvals of conversions nobody has seen, so the writer first guesses that
// nothing exists and writes at once: one round trip. The write statement checks that guess
// (every conversion it decided as new is inserted, every offer's expected payout is the one it
// assumed) and undoes itself when it was wrong; then the batch is read and decided again.

// A batch that keeps losing races gives up; its caller applies its postbacks one by one.
const RACE_ATTEMPTS = 3
const DEADLOCK_DETECTED = '40P01'
const SERIALIZATION_FAILURE = '40001'

/**
 * Another writer got there first (a conversion decided as new was inserted meanwhile, which the
 * write statement reports as a serialization failure; a deadlock): decide again.
 */
export function isLostRace(error: unknown): boolean {
  const code = (error as { code?: unknown }).code
  return code === DEADLOCK_DETECTED || code === SERIALIZATION_FAILURE || code === UNIQUE_VIOLATION
}

/**
 * Records postbacks atomically, each with its own outcome, in arrival order. The unique
 * (network, tx_id) key decides what is new, row locks serialize transitions of what exists, and
 * the ledger's unique index makes a second credit or reversal impossible. A batch that lost a
 * race is read and decided again, since the next read sees the other writer's rows.
 */
export async function recordPostbacks(
  pool: Pool,
  items: readonly BatchItem[],
): Promise<RecordResult[]> {
  const memory = memoryOf(pool)
  let guess = shouldGuess(memory, items)
  for (let attempt = 1; ; ) {
    try {
      return await writeOnce(pool, items, memory, guess)
    } catch (error) {
      if (!isLostRace(error)) throw error
      if (guess) {
        // A wrong guess is no lost race: read from now on for a while, so traffic that is
        // mostly updates (pending, then approved) pays for at most one wrong guess in
        // GUESS_PAUSE + 1 batches.
        guess = false
        memory.pause = GUESS_PAUSE
      } else if (++attempt > RACE_ATTEMPTS) throw error
    }
  }
}

/**
 * When every conversion is new (most approvals) there is nothing to lock: the write commits on
 * its own, after a peek or a guess. Anything that exists is decided under its row lock, in a
 * transaction.
 */
async function writeOnce(
  pool: Pool,
  items: readonly BatchItem[],
  memory: Memory,
  guess: boolean,
): Promise<RecordResult[]> {
  const state = guess ? guessedState(memory, items) : await peek(pool, memory, items)
  if (state.rows.size > 0) return withTransaction(pool, (client) => applyBatch(client, items))
  const plan = decideBatch(items, state)
  if (!queuesDeliveries(plan)) return withClient(pool, (client) => writePlan(client, plan, false))
  return withTransaction(pool, (client) => writePlan(client, plan, true))
}

/** Records one postback: a batch of one. */
export async function recordPostback(
  pool: Pool,
  postback: Postback,
  policy: RecordPolicy,
  log: LogContext,
): Promise<RecordResult> {
  const [result] = await recordPostbacks(pool, [{ postback, policy, log }])
  return result as RecordResult
}

// What a process remembers per database to guess with: the expected payouts its reads found
// (a guess that is wrong costs one undone statement, never a wrong decision), and how many more
// batches read before guessing again after a wrong guess.
type Memory = { offers: Map<string, string | null>; pause: number }
const memories = new WeakMap<Pool, Memory>()
const GUESS_PAUSE = 16
const REMEMBERED_OFFERS = 10_000

function memoryOf(pool: Pool): Memory {
  let memory = memories.get(pool)
  if (!memory) {
    memory = { offers: new Map(), pause: 0 }
    memories.set(pool, memory)
  }
  return memory
}

/**
 * Whether this batch guesses: not while a pause after a wrong guess runs (this counts it down),
 * nor with a reversal, which names a conversion that exists.
 */
function shouldGuess(memory: Memory, items: readonly BatchItem[]): boolean {
  if (memory.pause > 0) {
    memory.pause--
    return false
  }
  return items.every(({ postback }) => postback.status !== 'reversed')
}

/** Nothing exists yet; offers' expected payouts as last read (none, for an offer never read). */
function guessedState(memory: Memory, items: readonly BatchItem[]): BatchState {
  const offers = [...offerKeysOf(postbacksOf(items))].map(([key, [network, offerId]]) => ({
    network,
    offerId,
    expected: memory.offers.get(key) ?? null,
  }))
  return { rows: new Map(), offers }
}

/** Reads what exists without locking it, and remembers the offers' expected payouts. */
async function peek(pool: Pool, memory: Memory, items: readonly BatchItem[]): Promise<BatchState> {
  const state = await readBatchState(pool, postbacksOf(items), 'peek')
  if (memory.offers.size + state.offers.length > REMEMBERED_OFFERS) memory.offers.clear()
  for (const o of state.offers) memory.offers.set(keyOf(o.network, o.offerId), o.expected)
  return state
}
