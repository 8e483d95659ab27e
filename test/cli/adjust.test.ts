import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { consistentBalance, uniqueTx } from '../helpers/app.js'
import { CLI_SKIP, runCli } from '../helpers/cli.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

describe('adjust', { skip: CLI_SKIP }, () => {
  let testDb: TestDatabase
  before(async () => {
    testDb = await createTestDatabase()
  })
  after(() => testDb?.drop())
  const adjust = (...args: string[]) => runCli(['adjust', ...args], testDb.env)

  test('when an operator adjusts a balance, an adjustment entry with the reason moves it', async () => {
    const user = uniqueTx('user')
    const plus = await adjust(user, '500', '--reason', 'goodwill, ticket 12', '--by', 'ana')
    assert.equal(plus.code, 0, plus.stderr)
    assert.match(plus.stdout, new RegExp(`adjusted ${user} by \\+500 points .*; balance 500`))
    const minus = await adjust(user, '-700', '--reason', 'chargeback')
    assert.equal(minus.code, 0, minus.stderr)
    assert.match(minus.stdout, /balance -200/)
    assert.equal(await consistentBalance(testDb, user), -200)
    const { rows } = await testDb.db.pool.query(
      `SELECT kind, points::int, reason, conversion_id, created_by FROM ledger_entries
       WHERE user_id = $1 ORDER BY id`,
      [user],
    )
    assert.deepEqual(rows[0], {
      kind: 'adjustment',
      points: 500,
      reason: 'goodwill, ticket 12',
      conversion_id: null,
      created_by: 'cli:ana',
    })
    assert.equal(rows[1]?.points, -700)
    assert.match(rows[1]?.created_by, /^cli:.+@.+/)
  })

  test('a repeated reference applies once; reused for other points it is refused (exit 1)', async () => {
    const user = uniqueTx('user')
    const first = await adjust(user, '250', '--reason', 'bonus', '--reference', `ref-${user}`)
    const again = await adjust(user, '250', '--reason', 'bonus', '--reference', `ref-${user}`)
    assert.equal(first.code, 0, first.stderr)
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, /already applied: entry \d+ .*balance 250/)
    const other = await adjust(user, '300', '--reason', 'bonus', '--reference', `ref-${user}`)
    assert.equal(other.code, 1)
    assert.match(other.stderr, /reference ref-.* was already used for 250 points/)
    assert.equal(await consistentBalance(testDb, user), 250)
  })

  test('a missing reason or a bad amount is a usage error (exit 2) and changes nothing', async () => {
    const user = uniqueTx('user')
    const runs = await Promise.all([
      adjust(user, '100'),
      adjust(user, '0', '--reason', 'x'),
      adjust(user, '1.5', '--reason', 'x'),
      adjust(user, '--reason', 'x'),
    ])
    for (const run of runs) assert.equal(run.code, 2, run.stdout)
    assert.match(runs[0]?.stderr ?? '', /--reason is required/)
    assert.match(runs[1]?.stderr ?? '', /non-zero whole number/)
    assert.match(runs[3]?.stderr ?? '', /missing points/)
    const { rows } = await testDb.db.pool.query('SELECT 1 FROM ledger_entries WHERE user_id = $1', [
      user,
    ])
    assert.equal(rows.length, 0)
  })
})
