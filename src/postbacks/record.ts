import type { Pool } from 'pg'
import { UNIQUE_VIOLATION } from '../db/errors.js'
import { withTransaction } from '../db/transaction.js'
import {
  applyBatch,
  type BatchItem,
  decideBatch,
  postbacksOf,
  queuesDeliveries,
  writePlan,
} from './apply-batch.js'
import { readBatchState } from './batch-sql.js'
import type { LogContext, Postback, RecordPolicy, RecordResult } from './postback.js'

// The one writer: a group commit's batch and a lone postback (a replay, a batch's fallback)
// go through the same read-decide-write transaction; a lone postback is a batch of one.

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
  for (let attempt = 1; ; attempt++) {
    try {
      return await writeOnce(pool, items)
    } catch (error) {
      if (!isLostRace(error) || attempt >= RACE_ATTEMPTS) throw error
    }
  }
}

/**
 * When every conversion is new (most approvals) there is nothing to lock: a peek and the write,
 * which commits on its own, are the whole transaction, two round trips instead of four. Anything
 * that exists is decided under its row lock, in a transaction.
 */
async function writeOnce(pool: Pool, items: readonly BatchItem[]): Promise<RecordResult[]> {
  const state = await readBatchState(pool, postbacksOf(items), 'peek')
  if (state.rows.size > 0) return withTransaction(pool, (client) => applyBatch(client, items))
  const plan = decideBatch(items, state)
  if (!queuesDeliveries(plan)) return writePlan(pool, plan)
  return withTransaction(pool, (client) => writePlan(client, plan))
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
