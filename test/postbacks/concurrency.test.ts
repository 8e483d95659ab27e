import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { openDatabase } from '../../src/db/database.js'
import {
  balanceOf,
  createTestApp,
  postbackUrl,
  SECRET,
  type TestApp,
  uniqueTx,
} from '../helpers/app.js'
import { testConfig, USING_REAL_POSTGRES } from '../helpers/database.js'
import { silentLogger } from '../helpers/logging.js'

// On real PostgreSQL the pool has several connections, so these requests really race inside
// the database; on the embedded database they queue on its single connection.
// Every case runs with group commit on (postbacks share transactions) and off (one each).
for (const [mode, window] of [
  ['group commit on', '2'],
  ['group commit off', '0'],
] as const) {
  describe(mode, () => {
    let t: TestApp
    before(async () => {
      t = await createTestApp({ DATABASE_POOL_MAX: '20', GROUP_COMMIT_WINDOW_MS: window })
    })
    after(() => t.close())

    function fire(app: FastifyInstance, fields: Record<string, string>) {
      return app.inject(postbackUrl(fields))
    }

    async function ledgerRows(txId: string) {
      const { rows } = await t.testDb.db.pool.query(
        `SELECT l.kind, l.points::int FROM ledger_entries l JOIN conversions c ON c.id = l.conversion_id
       WHERE c.tx_id = $1 ORDER BY l.id`,
        [txId],
      )
      return rows
    }

    test('when 50 identical postbacks arrive at once, the user is credited once and all get 200', async () => {
      const tx = uniqueTx()
      const user = uniqueTx('u')
      const responses = await Promise.all(
        Array.from({ length: 50 }, () =>
          fire(t.app, { tx_id: tx, offer_id: '1', payout: '3.50', user_id: user }),
        ),
      )
      assert.deepEqual(
        responses.map((r) => r.statusCode),
        Array(50).fill(200),
      )
      const outcomes = responses.map((r) => r.headers['x-postback-outcome']).sort()
      assert.deepEqual(outcomes, ['credited', ...Array(49).fill('duplicate')])
      assert.deepEqual(await ledgerRows(tx), [{ kind: 'credit', points: 350 }])
      assert.deepEqual(await balanceOf(t.testDb, user), { balance: 350, ledger: 350 })
    })

    test('when an approval and its reversal race, the balance ends consistent with the final status', async () => {
      for (let round = 0; round < 10; round++) {
        const tx = uniqueTx()
        const user = uniqueTx('u')
        const fields = { tx_id: tx, offer_id: '1', payout: '1', user_id: user }
        const answers = await Promise.all([
          fire(t.app, fields),
          fire(t.app, { ...fields, status: 'reversed' }),
          fire(t.app, fields),
          fire(t.app, { ...fields, status: 'reversed' }),
        ])
        for (const answer of answers) assert.equal(answer.statusCode, 200)
        const { rows } = await t.testDb.db.pool.query(
          'SELECT status FROM conversions WHERE tx_id = $1',
          [tx],
        )
        assert.equal(rows[0]?.status, 'reversed')
        // Either credited then reversed, or reversed first and the approval ignored: never a net credit.
        assert.deepEqual(await balanceOf(t.testDb, user), { balance: 0, ledger: 0 })
        const kinds = (await ledgerRows(tx)).map((row) => row.kind)
        assert.ok(
          kinds.length === 0 ||
            (kinds.length === 2 && kinds[0] === 'credit' && kinds[1] === 'reversal'),
        )
      }
    })

    test('when many conversions for one user arrive at once, the balance is their exact sum', async () => {
      const user = uniqueTx('hot-user')
      const responses = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          fire(t.app, {
            tx_id: uniqueTx(),
            offer_id: '1',
            payout: `0.0${(i % 9) + 1}`,
            user_id: user,
          }),
        ),
      )
      for (const response of responses)
        assert.equal(response.headers['x-postback-outcome'], 'credited')
      const expected = Array.from({ length: 40 }, (_, i) => (i % 9) + 1).reduce((a, b) => a + b, 0)
      assert.deepEqual(await balanceOf(t.testDb, user), { balance: expected, ledger: expected })
    })

    test('when two instances share one database, duplicates across them still credit once', {
      skip: USING_REAL_POSTGRES ? false : 'the embedded database serves one process',
    }, async () => {
      const config = testConfig({
        ...t.testDb.env,
        POSTBACK_SECRET: SECRET,
        DATABASE_POOL_MAX: '10',
        GROUP_COMMIT_WINDOW_MS: window,
      })
      const otherDb = await openDatabase(config, silentLogger())
      const other = await buildApp(config, { db: otherDb, logger: silentLogger() })
      try {
        const user = uniqueTx('u')
        const txs = Array.from({ length: 20 }, () => uniqueTx())
        const requests = txs.flatMap((tx) =>
          [t.app, other, t.app, other].map((app) =>
            fire(app, { tx_id: tx, offer_id: '1', payout: '1', user_id: user }),
          ),
        )
        const responses = await Promise.all(requests)
        assert.ok(responses.every((r) => r.statusCode === 200))
        assert.equal(
          responses.filter((r) => r.headers['x-postback-outcome'] === 'credited').length,
          20,
        )
        assert.deepEqual(await balanceOf(t.testDb, user), { balance: 2000, ledger: 2000 })
      } finally {
        await other.close()
        await otherDb.close()
      }
    })
  })
}
