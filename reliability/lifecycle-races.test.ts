import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { verifyLedger } from '../src/operations/verify-ledger.js'
import { ADMIN_TOKEN, consistentBalance, SECRET, uniqueTx } from '../test/helpers/app.js'
import {
  createTestDatabase,
  type TestDatabase,
  USING_REAL_POSTGRES,
} from '../test/helpers/database.js'
import { type RunningServer, startServer } from '../test/helpers/server.js'
import { report } from './harness.js'

// Conflicting lifecycle changes of one conversion on two real server processes, made to collide
// deterministically: a third session holds the conversion's row lock while both requests queue
// behind it, then lets go. Whatever order the lock is granted in, the money must follow the
// final status: a reversed conversion keeps no credit, an approved one is credited once.

const skip = USING_REAL_POSTGRES
  ? false
  : 'needs DATABASE_URL: two processes cannot share one embedded PGlite'
const HOLD_MS = 1500

let testDb: TestDatabase
const instances: Record<'batched' | 'unbatched', RunningServer[]> = { batched: [], unbatched: [] }
before(async () => {
  if (skip) return
  testDb = await createTestDatabase()
  const env = { ...testDb.env, POSTBACK_SECRET: SECRET, ADMIN_TOKEN, MAX_PAYOUT: '10' }
  // One at a time: four processes compiling at once on a busy 2-core machine start slowly.
  const start = (window: string) => startServer({ ...env, GROUP_COMMIT_WINDOW_MS: window }, 120_000)
  const a = await start('2')
  const b = await start('2')
  const c = await start('0')
  const d = await start('0')
  instances.batched = [a, b]
  instances.unbatched = [c, d]
})
after(async () => {
  if (!skip)
    report('lifecycle-races', {
      instances: 4,
      held_lock_ms: HOLD_MS,
      cases: 12,
      settled,
    })
  await Promise.all([...instances.batched, ...instances.unbatched].map((server) => server.stop()))
  await testDb?.drop()
})

async function postback(server: RunningServer, fields: Record<string, string>) {
  const query = new URLSearchParams({ secret: SECRET, ...fields })
  const response = await fetch(`${server.url}/api/postback?${query}`, {
    headers: { accept: 'application/json' },
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function approveInReview(server: RunningServer, id: string) {
  const response = await fetch(`${server.url}/admin/conversions/${id}/approve`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function conversionOf(txId: string) {
  const { rows } = await testDb.db.pool.query<{ id: string; status: string }>(
    `SELECT id::text, status FROM conversions WHERE network = 'default' AND tx_id = $1`,
    [txId],
  )
  return rows[0] as { id: string; status: string }
}

/**
 * Holds the conversion's row lock in another session, starts `first`, then `second` (each
 * queues behind the lock), and releases the lock after HOLD_MS.
 */
async function behindHeldLock<A, B>(
  txId: string,
  first: () => Promise<A>,
  second: () => Promise<B>,
) {
  const holder = new pg.Client({ connectionString: testDb.env.DATABASE_URL })
  await holder.connect()
  try {
    await holder.query('BEGIN')
    await holder.query(
      `SELECT id FROM conversions WHERE network = 'default' AND tx_id = $1 FOR UPDATE`,
      [txId],
    )
    const a = first()
    await sleep(200) // the first request is queued on the lock before the second arrives
    const b = second()
    await sleep(HOLD_MS)
    await holder.query('COMMIT')
    return await Promise.all([a, b])
  } finally {
    await holder.end()
  }
}

let settled = 0
async function assertLedgerClean() {
  const failed = (await verifyLedger(testDb.db.pool)).filter((check) => check.violations > 0)
  assert.deepEqual(failed, [], 'verify-ledger finds no violation')
  settled += 1
}

for (const mode of ['batched', 'unbatched'] as const) {
  describe(`two instances, ${mode === 'batched' ? 'group commit on' : 'GROUP_COMMIT_WINDOW_MS=0'}`, {
    skip,
  }, () => {
    test('when an approval and a reversal queue behind one row lock, the reversal takes the credit back', async () => {
      const [a, b] = instances[mode] as [RunningServer, RunningServer]
      const tx = uniqueTx('race')
      const user = uniqueTx('user')
      const fields = { tx_id: tx, user_id: user, offer_id: 'o1', payout: '5.00' }
      assert.equal((await postback(a, { ...fields, status: 'pending' })).status, 200)

      const [approval, reversal] = await behindHeldLock(
        tx,
        () => postback(a, { ...fields, status: 'approved' }),
        () => postback(b, { ...fields, status: 'reversed' }),
      )
      assert.equal(approval.status, 200)
      assert.equal(approval.body.outcome, 'credited')
      assert.equal(reversal.status, 200)
      assert.equal(reversal.body.outcome, 'reversed')
      assert.equal(
        reversal.body.points,
        -500,
        'the reversal takes back the 500 points just credited',
      )
      assert.equal((await conversionOf(tx)).status, 'reversed')
      assert.equal(await consistentBalance(testDb, user), 0)
      await assertLedgerClean()
    })

    test('when a reversal is granted the lock before the approval, nothing is credited', async () => {
      const [a, b] = instances[mode] as [RunningServer, RunningServer]
      const tx = uniqueTx('race')
      const user = uniqueTx('user')
      const fields = { tx_id: tx, user_id: user, offer_id: 'o1', payout: '5.00' }
      assert.equal((await postback(a, { ...fields, status: 'pending' })).status, 200)

      const [reversal, approval] = await behindHeldLock(
        tx,
        () => postback(b, { ...fields, status: 'reversed' }),
        () => postback(a, { ...fields, status: 'approved' }),
      )
      assert.equal(reversal.body.outcome, 'reversed')
      assert.equal(approval.body.outcome, 'ignored')
      assert.equal((await conversionOf(tx)).status, 'reversed')
      assert.equal(await consistentBalance(testDb, user), 0)
      await assertLedgerClean()
    })

    test("when an operator's approval of a held conversion races a network reversal, the credit does not stand", async () => {
      const [a, b] = instances[mode] as [RunningServer, RunningServer]
      const tx = uniqueTx('race')
      const user = uniqueTx('user')
      // MAX_PAYOUT is 10: a payout of 50 is held for review.
      const fields = { tx_id: tx, user_id: user, offer_id: 'o1', payout: '50.00' }
      assert.equal((await postback(a, { ...fields, status: 'approved' })).body.outcome, 'held')
      const { id } = await conversionOf(tx)

      const [approval, reversal] = await behindHeldLock(
        tx,
        () => approveInReview(a, id),
        () => postback(b, { ...fields, status: 'reversed' }),
      )
      assert.equal(approval.status, 200)
      assert.equal(approval.body.outcome, 'credited')
      assert.equal(reversal.body.outcome, 'reversed')
      assert.equal(reversal.body.points, -5000)
      assert.equal((await conversionOf(tx)).status, 'reversed')
      assert.equal(await consistentBalance(testDb, user), 0)
      await assertLedgerClean()
    })

    test('pending, then approved and reversed together: credited once and taken back once', async () => {
      const [a, b] = instances[mode] as [RunningServer, RunningServer]
      const tx = uniqueTx('race')
      const user = uniqueTx('user')
      const fields = { tx_id: tx, user_id: user, offer_id: 'o1', payout: '2.50' }
      assert.equal((await postback(b, { ...fields, status: 'pending' })).body.outcome, 'recorded')

      // Approval and a duplicate approval on one instance, the reversal twice on the other.
      const [approvals, reversals] = await behindHeldLock(
        tx,
        () =>
          Promise.all([
            postback(a, { ...fields, status: 'approved' }),
            postback(a, { ...fields, status: 'approved' }),
          ]),
        () =>
          Promise.all([
            postback(b, { ...fields, status: 'reversed' }),
            postback(b, { ...fields, status: 'reversed' }),
          ]),
      )
      // The approval queued first credits; the first reversal takes it back; the repeats change
      // nothing (a second approval after the reversal is ignored: reversed is final).
      const outcomes = [...approvals, ...reversals].map((answer) => String(answer.body.outcome))
      assert.equal(outcomes.filter((o) => o === 'credited').length, 1, outcomes.join())
      assert.equal(outcomes.filter((o) => o === 'reversed').length, 1, outcomes.join())
      assert.ok(outcomes.every((o) => ['credited', 'reversed', 'duplicate', 'ignored'].includes(o)))
      const moved = [...approvals, ...reversals].reduce(
        (sum, answer) => sum + Number(answer.body.points),
        0,
      )
      assert.equal(moved, 0, 'what the answers say moved adds up to nothing')
      assert.equal((await conversionOf(tx)).status, 'reversed')
      assert.equal(await consistentBalance(testDb, user), 0)
      await assertLedgerClean()
    })

    for (const ending of ['ROLLBACK', 'COMMIT'] as const) {
      test(`two approvals of a new conversion wait behind another session's uncommitted insert of it (${ending}): credited once`, async () => {
        const [a, b] = instances[mode] as [RunningServer, RunningServer]
        const tx = uniqueTx('insert-race')
        const user = uniqueTx('user')
        const fields = { tx_id: tx, user_id: user, offer_id: 'o1', payout: '5.00' }
        // Both writers guess that the conversion is new; their inserts of its key wait for the
        // holder's uncommitted one, then either go ahead (ROLLBACK) or find it (COMMIT).
        const holder = new pg.Client({ connectionString: testDb.env.DATABASE_URL })
        await holder.connect()
        let answers: Awaited<ReturnType<typeof postback>>[]
        try {
          await holder.query('BEGIN')
          await holder.query(
            `INSERT INTO conversions (network, tx_id, offer_id, user_id, payout, points, status)
             VALUES ('default', $1, 'o1', $2, 5, 500, 'pending')`,
            [tx, user],
          )
          const pending = [a, b].map((server) =>
            postback(server, { ...fields, status: 'approved' }),
          )
          await sleep(HOLD_MS)
          await holder.query(ending)
          answers = await Promise.all(pending)
        } finally {
          await holder.end()
        }
        assert.deepEqual(
          answers.map((answer) => answer.status),
          [200, 200],
        )
        assert.deepEqual(answers.map((answer) => answer.body.outcome).sort(), [
          'credited',
          'duplicate',
        ])
        const { rows } = await testDb.db.pool.query(
          `SELECT (SELECT count(*)::int FROM conversions WHERE tx_id = $1) AS conversions,
                  (SELECT count(*)::int FROM postback_log WHERE tx_id = $1) AS logged,
                  (SELECT count(*)::int FROM postback_log
                    WHERE tx_id = $1 AND conversion_id IS NULL) AS orphaned`,
          [tx],
        )
        assert.deepEqual(rows[0], { conversions: 1, logged: 2, orphaned: 0 })
        assert.equal((await conversionOf(tx)).status, 'approved')
        assert.equal(await consistentBalance(testDb, user), 500)
        await assertLedgerClean()
      })
    }
  })
}
