import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { RecordPolicy } from '../../src/postbacks/postback.js'
import { recordPostback } from '../../src/postbacks/record.js'
import { createTestDatabase, type TestDatabase, USING_REAL_POSTGRES } from '../helpers/database.js'
import { approvalOf, logContext } from '../helpers/postbacks.js'

// A batch whose conversions are all new writes without a transaction: a peek, then one
// statement that commits on its own. Two writers racing for the same new conversion must still
// credit it once, and the loser's statement must leave nothing behind (no log row without its
// conversion, no second ledger entry): it is undone whole and decided again under the row lock.

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
})
