import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { RecordPolicy } from '../../src/postbacks/postback.js'
import { recordPostback } from '../../src/postbacks/record.js'
import { createTestDatabase, type TestDatabase, USING_REAL_POSTGRES } from '../helpers/database.js'
import { approvalOf, logContext } from '../helpers/postbacks.js'

// A batch whose conversions are all new writes without a transaction: one statement that
// commits on its own, after a peek or on the guess that nothing exists. Two writers racing for
// the same new conversion must still credit it once, and the loser's statement must leave
// nothing behind (no log row without its conversion, no second ledger entry): it is undone
// whole and decided again under the row lock.

let testDb: TestDatabase
before(async () => {
  testDb = await createTestDatabase()
})
after(async () => {
  await testDb?.drop()
})

const policy: RecordPolicy = { creditPending: false, maxPayout: undefined, payoutTolerance: '0' }
const log = logContext('race')
const approval = (txId: string, user: string) => approvalOf({ network: 'race', txId, userId: user })

describe('the one writer', () => {
  test('two writers racing for the same new conversion: credited once, the loser retried as a repeat, nothing orphaned', {
    skip: USING_REAL_POSTGRES ? false : 'one embedded connection cannot race itself',
  }, async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `tx-${i}`)
    // Each pair goes out at once on two pooled connections: both peeks see nothing.
    const results = await Promise.all(
      ids.flatMap((id) => [
        recordPostback(testDb.db.pool, approval(id, 'racer'), policy, log),
        recordPostback(testDb.db.pool, approval(id, 'racer'), policy, log),
      ]),
    )
    const outcomes = results.map((r) => r.outcome).sort()
    assert.deepEqual(outcomes, [...Array(60).fill('credited'), ...Array(60).fill('duplicate')])
    const { rows } = await testDb.db.pool.query(`SELECT
        (SELECT count(*)::int FROM conversions WHERE network = 'race') AS conversions,
        (SELECT count(*)::int FROM ledger_entries WHERE user_id = 'racer') AS entries,
        (SELECT points::text FROM balances WHERE user_id = 'racer') AS balance,
        (SELECT count(*)::int FROM postback_log WHERE network = 'race') AS logged,
        (SELECT count(*)::int FROM postback_log
          WHERE network = 'race' AND conversion_id IS NULL) AS orphaned`)
    assert.deepEqual(rows[0], {
      conversions: 60,
      entries: 60,
      balance: String(60 * 125),
      logged: 120,
      orphaned: 0,
    })
  })

  test('a lone approval and its repeat: the repeat is decided under the lock and says so', async () => {
    const first = await recordPostback(testDb.db.pool, approval('solo', 'solo-user'), policy, log)
    const again = await recordPostback(
      testDb.db.pool,
      { ...approval('solo', 'solo-user'), payout: '9.99', points: 999n },
      policy,
      log,
    )
    assert.equal(first.outcome, 'credited')
    assert.equal(again.outcome, 'duplicate')
    assert.match(again.message, /payout 9\.99 differs from the recorded 1\.25/)
    assert.equal(again.conversionId, first.conversionId)
    const { rows } = await testDb.db.pool.query(
      "SELECT points::text FROM balances WHERE user_id = 'solo-user'",
    )
    assert.deepEqual(rows, [{ points: '125' }])
  })

  test("a guess made without knowing an offer's expected payout: the write finds it, and the mismatch is held", async () => {
    await testDb.db.pool.query(
      "INSERT INTO offers (network, offer_id, expected_payout) VALUES ('guess-a', 'o1', 1.00)",
    )
    // Fresh approvals first, one after another: after the earlier tests' repeats the writer
    // reads before writing for a while; by now it guesses again.
    for (let i = 0; i < 40; i++) {
      const warm = approvalOf({ network: 'guess-warm', txId: `w${i}`, userId: 'guess-warm-user' })
      await recordPostback(testDb.db.pool, warm, policy, logContext('guess-warm'))
    }
    const result = await recordPostback(
      testDb.db.pool,
      approvalOf({
        network: 'guess-a',
        txId: 'a1',
        userId: 'guess-a-user',
        offerId: 'o1',
        payout: '5.00',
        points: 500n,
      }),
      policy,
      logContext('guess-a'),
    )
    assert.equal(result.outcome, 'held')
    const { rows } = await testDb.db.pool.query(`SELECT
        (SELECT status FROM conversions WHERE network = 'guess-a') AS status,
        (SELECT count(*)::int FROM balances WHERE user_id = 'guess-a-user') AS balances,
        (SELECT count(*)::int FROM postback_log WHERE network = 'guess-a') AS logged`)
    assert.deepEqual(rows[0], { status: 'held', balances: 0, logged: 1 })
  })

  test('an expected payout changed after the writer read it: later postbacks are held, none credited on the old figure', async () => {
    const send = (i: number) =>
      recordPostback(
        testDb.db.pool,
        approvalOf({
          network: 'guess-b',
          txId: `b${i}`,
          userId: 'guess-b-user',
          offerId: 'o2',
          payout: '2.00',
          points: 200n,
        }),
        policy,
        logContext('guess-b'),
      )
    await testDb.db.pool.query(
      "INSERT INTO offers (network, offer_id, expected_payout) VALUES ('guess-b', 'o2', 3.00)",
    )
    // Enough one after another that the writer has read the offer and gone back to guessing.
    const before = []
    for (let i = 0; i < 40; i++) before.push((await send(i)).outcome)
    assert.deepEqual(before, Array(40).fill('credited'))
    await testDb.db.pool.query(
      "UPDATE offers SET expected_payout = 1.00 WHERE network = 'guess-b' AND offer_id = 'o2'",
    )
    const afterwards = []
    for (let i = 40; i < 80; i++) afterwards.push((await send(i)).outcome)
    assert.deepEqual(afterwards, Array(40).fill('held'))
    const { rows } = await testDb.db.pool.query(`SELECT
        (SELECT points::text FROM balances WHERE user_id = 'guess-b-user') AS balance,
        (SELECT count(*)::int FROM conversions WHERE network = 'guess-b') AS conversions,
        (SELECT count(*)::int FROM postback_log WHERE network = 'guess-b') AS logged`)
    assert.deepEqual(rows[0], { balance: '8000', conversions: 80, logged: 80 })
  })

  test('a wrong guess keeps its database connection: the repeat is answered, no connection is dropped', async () => {
    const pool = testDb.db.pool
    for (let i = 0; i < 40; i++) {
      const fresh = approvalOf({ network: 'guess-c', txId: `c${i}`, userId: 'guess-c-user' })
      await recordPostback(pool, fresh, policy, logContext('guess-c'))
    }
    // pg-pool ends a connection released with an error: count those releases.
    let dropped = 0
    const onRelease = (error: unknown) => {
      if (error) dropped += 1
    }
    pool.on('release', onRelease)
    try {
      // The writer guesses again by now: the repeat's write finds c0 and undoes itself.
      const again = approvalOf({ network: 'guess-c', txId: 'c0', userId: 'guess-c-user' })
      const result = await recordPostback(pool, again, policy, logContext('guess-c'))
      assert.equal(result.outcome, 'duplicate')
    } finally {
      pool.off('release', onRelease)
    }
    assert.equal(dropped, 0)
    const { rows } = await pool.query(
      "SELECT points::text FROM balances WHERE user_id = 'guess-c-user'",
    )
    assert.deepEqual(rows, [{ points: String(40 * 125) }])
  })
})
