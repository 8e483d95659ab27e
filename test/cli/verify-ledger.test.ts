import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildAppOn, postbackUrl, uniqueTx } from '../helpers/app.js'
import { CLI_SKIP, runCli } from '../helpers/cli.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

describe('verify-ledger', { skip: CLI_SKIP }, () => {
  let testDb: TestDatabase
  let app: FastifyInstance
  before(async () => {
    testDb = await createTestDatabase()
    app = await buildAppOn(testDb)
  })
  after(async () => {
    await app?.close()
    await testDb?.drop()
  })

  async function credit(user: string, payout: string) {
    const tx = uniqueTx()
    const response = await app.inject(
      postbackUrl({ tx_id: tx, offer_id: 'o', payout, user_id: user }),
    )
    assert.equal(response.headers['x-postback-outcome'], 'credited')
    return tx
  }

  test('when balances match their ledgers and nothing was paid twice, it says OK (exit 0)', async () => {
    const tx = await credit('alice', '1.50')
    await credit('bob', '2.00')
    await app.inject(
      postbackUrl({
        tx_id: tx,
        offer_id: 'o',
        payout: '1.50',
        user_id: 'alice',
        status: 'reversed',
      }),
    )
    const run = await runCli(['verify-ledger'], testDb.env)
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.match(run.stdout, /^ok {4}every balance equals the sum of its ledger entries$/m)
    assert.match(run.stdout, /^ledger OK$/m)
  })

  test('a balance that drifted from its ledger is reported with the user (exit 1)', async () => {
    await testDb.db.pool.query("UPDATE balances SET points = points + 7 WHERE user_id = 'bob'")
    const run = await runCli(['verify-ledger'], testDb.env)
    assert.equal(run.code, 1)
    assert.match(
      run.stdout,
      /FAIL {2}every balance equals the sum of its ledger entries: 1 violation/,
    )
    assert.match(run.stdout, /user bob: balance 207, ledger sum 200/)
    await testDb.db.pool.query("UPDATE balances SET points = points - 7 WHERE user_id = 'bob'")
  })

  test('a conversion credited twice (the unique index gone) is reported (exit 1)', async () => {
    const tx = await credit('carol', '1.00')
    await testDb.db.pool.query('DROP INDEX ledger_entries_one_per_kind')
    await testDb.db.pool.query(
      `WITH c AS (SELECT id FROM conversions WHERE tx_id = $1)
       INSERT INTO ledger_entries (user_id, conversion_id, kind, points)
       SELECT 'carol', id, 'credit', 100 FROM c`,
      [tx],
    )
    await testDb.db.pool.query("UPDATE balances SET points = points + 100 WHERE user_id = 'carol'")
    const run = await runCli(['verify-ledger'], testDb.env)
    assert.equal(run.code, 1)
    assert.match(run.stdout, /^ok {4}every balance equals/m)
    assert.match(
      run.stdout,
      /FAIL {2}no conversion was credited or reversed more than once: 1 violation/,
    )
    assert.match(run.stdout, /conversion \d+: credit 2 times/)
  })
})
