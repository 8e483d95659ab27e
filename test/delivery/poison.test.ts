import assert from 'node:assert/strict'
import { after, afterEach, before, beforeEach, describe, test } from 'node:test'
import { DeliveryRules, loadDeliveryRules } from '../../src/delivery/rules.js'
import { startConfiguredWorker } from '../../src/delivery/start.js'
import { adminHeaders } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase, testConfig } from '../helpers/database.js'
import { silentLogger } from '../helpers/logging.js'
import { startReceiver } from '../helpers/receiver.js'
import { deliveriesOf, eventually, firePostback, setUpDelivery, sleep } from './harness.js'

// A delivery that cannot be prepared or sent must end its own attempt (dead with the reason,
// or a retry), never the process that claimed it.

let testDb: TestDatabase
before(async () => {
  testDb = await createTestDatabase()
})
after(async () => {
  await testDb.drop()
})

// An unhandled rejection would end a real process; here it is caught and counted.
let unhandled: unknown[] = []
const onUnhandled = (reason: unknown) => unhandled.push(reason)
beforeEach(() => {
  unhandled = []
  process.on('unhandledRejection', onUnhandled)
})
afterEach(() => {
  process.off('unhandledRejection', onUnhandled)
})

describe('poison deliveries', () => {
  test('a URL that cannot be built ends that delivery dead with the reason; the worker keeps delivering', async () => {
    const receiver = await startReceiver()
    const port = new URL(receiver.url).port
    const setup = await setUpDelivery(testDb, [
      // Renders http://:<port>/poison when the postback carries no sub1: not a URL.
      { name: 'poison', on: ['credited'], url: `http://{sub1}:${port}/poison?tx={tx_id}` },
      { name: 'healthy', on: ['credited'], url: `${receiver.url}/healthy?tx={tx_id}` },
    ])
    try {
      const { txId } = await firePostback(setup.app)
      const rows = await eventually(
        () => deliveriesOf(testDb, txId),
        (r) => r.length === 2 && r.every((d) => d.state !== 'pending'),
      )
      const poison = rows.find((d) => d.rule === 'poison')
      assert.equal(poison?.state, 'dead')
      assert.equal(poison?.attempts, 1, 'a request that cannot be built is not retried')
      assert.match(poison?.last_error ?? '', /cannot build the request/)
      assert.match(poison?.last_error ?? '', /\{sub1\} is empty/)
      assert.equal(rows.find((d) => d.rule === 'healthy')?.state, 'delivered')

      const detail = await setup.app.inject({
        url: `/admin/deliveries/${poison?.id}`,
        headers: adminHeaders,
      })
      assert.equal(detail.statusCode, 200)
      const [attempt] = detail.json().attemptLog
      assert.match(attempt.error, /\{sub1\} is empty/)
      assert.equal(attempt.statusCode, null)

      // Still alive: the next postbacks are delivered, through both rules once sub1 is a host.
      const next = await firePostback(setup.app, { sub1: '127.0.0.1' })
      const delivered = await eventually(
        () => deliveriesOf(testDb, next.txId),
        (r) => r.length === 2 && r.every((d) => d.state === 'delivered'),
      )
      assert.equal(delivered.length, 2)
      assert.deepEqual(receiver.requests.map((r) => r.url.split('?')[0]).sort(), [
        '/healthy',
        '/healthy',
        '/poison',
      ])
      assert.deepEqual(unhandled, [], 'no unhandled rejection')
    } finally {
      await setup.close()
      await receiver.close()
    }
  })

  test('a corrupt snapshot or an unsendable header value ends the delivery, not the worker', async () => {
    const receiver = await startReceiver()
    const rules = [
      { name: 'snapshot', on: ['credited'], url: `${receiver.url}/snapshot?p={payout}` },
      {
        name: 'header',
        on: ['credited'],
        url: `${receiver.url}/header`,
        headers: { 'X-Click': 'click {click_id}' },
      },
    ]
    // Queue only; the rows are damaged before any worker sees them.
    const setup = await setUpDelivery(testDb, rules, {}, { worker: false })
    const config = testConfig({
      ...testDb.env,
      DELIVERY_ALLOW_PRIVATE: 'true',
      DELIVERY_RULES_FILE: setup.rulesFile,
      DELIVERY_POLL_INTERVAL: '25ms',
    })
    try {
      const { txId } = await firePostback(setup.app)
      await testDb.db.pool.query(
        `UPDATE deliveries d SET data = CASE d.rule
           WHEN 'snapshot' THEN d.data || '{"payout": "12abc"}'::jsonb
           ELSE d.data || '{"click_id": "a\\u0001\\u0007b \\ud83d\\ude00"}'::jsonb END
         FROM conversions c WHERE c.id = d.conversion_id AND c.tx_id = $1`,
        [txId],
      )
      const restarted = startConfiguredWorker(
        config,
        testDb.db.pool,
        new DeliveryRules(await loadDeliveryRules(config)),
        silentLogger(),
      )
      try {
        const rows = await eventually(
          () => deliveriesOf(testDb, txId),
          (r) => r.every((d) => d.state !== 'pending'),
        )
        const snapshot = rows.find((d) => d.rule === 'snapshot')
        assert.equal(snapshot?.state, 'dead')
        assert.equal(snapshot?.attempts, 1)
        assert.match(snapshot?.last_error ?? '', /cannot build the request/)
        // Control characters become spaces and characters a header cannot carry are encoded.
        assert.equal(rows.find((d) => d.rule === 'header')?.state, 'delivered')
        const header = receiver.requests.find((r) => r.url === '/header')
        assert.equal(header?.headers['x-click'], 'click a b %F0%9F%98%80')
        assert.deepEqual(unhandled, [], 'no unhandled rejection')
      } finally {
        await restarted.stop(1000)
      }
    } finally {
      await setup.close()
      await receiver.close()
    }
  })

  test('a delivery whose last attempt was lost is not claimed again: it ends dead with the reason', async () => {
    const receiver = await startReceiver()
    const rules = [{ name: 'lost', on: ['credited'], url: `${receiver.url}/lost`, maxAttempts: 3 }]
    const setup = await setUpDelivery(testDb, rules, {}, { worker: false })
    try {
      const { txId } = await firePostback(setup.app)
      // As a worker that died (or could not record its result) during attempt 3 of 3 leaves it.
      await testDb.db.pool.query(
        `UPDATE deliveries d SET attempts = 3, claim = 'gone-worker', next_attempt_at = now()
         FROM conversions c WHERE c.id = d.conversion_id AND c.tx_id = $1`,
        [txId],
      )
      const withWorker = await setUpDelivery(testDb, rules)
      try {
        const [row] = await eventually(
          () => deliveriesOf(testDb, txId),
          (r) => r[0]?.state !== 'pending',
        )
        assert.equal(row?.state, 'dead')
        assert.equal(row?.attempts, 3)
        assert.match(row?.last_error ?? '', /attempt 3 of 3 .*never recorded/)
        await sleep(200)
        assert.equal(receiver.requests.length, 0, 'a job at its max attempts is not sent again')
      } finally {
        await withWorker.close()
      }
    } finally {
      await setup.close()
      await receiver.close()
    }
  })
})
