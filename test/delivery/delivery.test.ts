import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { adminHeaders } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { startReceiver } from '../helpers/receiver.js'
import { deliveriesOf, eventually, firePostback, setUpDelivery, sleep } from './harness.js'

let testDb: TestDatabase
before(async () => {
  testDb = await createTestDatabase()
})
after(async () => {
  await testDb.drop()
})

const SIGNING_SECRET = 'delivery-signing-secret-0123'

describe('delivery outbox', () => {
  test('a credited conversion is delivered exactly once after the receiver fails twice', async () => {
    const receiver = await startReceiver({ failFirst: 2 })
    const setup = await setUpDelivery(testDb, [
      {
        name: 'tracker',
        on: ['credited'],
        url: `${receiver.url}/conv?tx={tx_id}&user={user_id}&points={points}&payout={payout}&full={full_payout}&s1={sub1}&token=tracker-api-key-123`,
        payoutShare: '0.5',
      },
    ])
    try {
      const { txId, status } = await firePostback(setup.app, { sub1: 'a&b=c d' })
      assert.equal(status, 200)
      await receiver.waitFor(3)
      const [delivery] = await eventually(
        () => deliveriesOf(testDb, txId),
        (rows) => rows[0]?.state === 'delivered',
      )
      assert.equal(delivery?.attempts, 3)
      // Exactly once: nothing more arrives after the 2xx, and a repeat of the postback queues nothing.
      assert.equal((await firePostback(setup.app, { tx_id: txId, sub1: 'a&b=c d' })).status, 200)
      await sleep(300)
      assert.equal(receiver.requests.length, 3)
      assert.equal((await deliveriesOf(testDb, txId)).length, 1)

      const ids = new Set(receiver.requests.map((r) => r.headers['x-delivery-id']))
      assert.deepEqual([...ids], [delivery?.id], 'one stable delivery id for every attempt')
      assert.deepEqual(
        receiver.requests.map((r) => r.headers['x-delivery-attempt']),
        ['1', '2', '3'],
      )
      const query = new URL(receiver.requests[2]?.url ?? '', receiver.url).searchParams
      assert.equal(query.get('tx'), txId)
      assert.equal(query.get('user'), 'dl-user')
      assert.equal(query.get('points'), '350')
      assert.equal(query.get('payout'), '1.75', 'payout × payoutShare, exact')
      assert.equal(query.get('full'), '3.5')
      assert.equal(query.get('s1'), 'a&b=c d', 'macros are URL-encoded on substitution')

      const log = await setup.app.inject({
        url: `/admin/deliveries/${delivery?.id}`,
        headers: adminHeaders,
      })
      assert.equal(log.statusCode, 200)
      const body = log.json()
      assert.equal(body.state, 'delivered')
      assert.deepEqual(
        body.attemptLog.map((a: { statusCode: number }) => a.statusCode),
        [500, 500, 200],
      )
      assert.equal(body.attemptLog[0].responseExcerpt, 'failure 1')
      assert.equal(body.attemptLog[0].error, 'answered 500')
      assert.match(body.attemptLog[0].url, /token=\[REDACTED\]/)
      assert.doesNotMatch(log.body, /tracker-api-key-123/)
    } finally {
      await setup.close()
      await receiver.close()
    }
  })

  test('a reversal triggers its own rule; POST bodies are signed so the receiver can verify them', async () => {
    const receiver = await startReceiver()
    const setup = await setUpDelivery(testDb, [
      {
        name: 'app-credit',
        on: ['credited'],
        url: `${receiver.url}/credited`,
        method: 'POST',
        signingSecret: SIGNING_SECRET,
        headers: { 'X-Api-Key': 'operator-app-key-456' },
      },
      {
        name: 'app-reversal',
        on: ['reversed'],
        url: `${receiver.url}/reversed`,
        method: 'POST',
        body: 'form',
        fields: { tx: '{tx_id}', kind: '{event}', points: '{points}', status: '{status}' },
      },
    ])
    try {
      const { txId } = await firePostback(setup.app)
      await receiver.waitFor(1)
      assert.equal((await firePostback(setup.app, { tx_id: txId, status: 'reversed' })).status, 200)
      await receiver.waitFor(2)
      const [credit, reversal] = receiver.requests
      assert.equal(credit?.url, '/credited')
      assert.equal(credit?.headers['content-type'], 'application/json')
      assert.equal(credit?.headers['x-api-key'], 'operator-app-key-456')
      const expected = createHmac('sha256', SIGNING_SECRET)
        .update(credit?.body ?? '')
        .digest('hex')
      assert.equal(credit?.headers['x-signature'], `sha256=${expected}`)
      const json = JSON.parse(credit?.body ?? '{}')
      assert.equal(json.event, 'credited')
      assert.equal(json.tx_id, txId)
      assert.equal(json.points, '350')
      assert.equal(json.status, 'approved', 'the snapshot taken when the credit committed')

      assert.equal(reversal?.url, '/reversed')
      assert.equal(reversal?.headers['x-delivery-event'], 'reversed')
      const form = new URLSearchParams(reversal?.body)
      assert.equal(form.get('tx'), txId)
      assert.equal(form.get('kind'), 'reversed')
      assert.equal(form.get('status'), 'reversed')
      assert.equal(reversal?.headers['x-signature'], undefined, 'unsigned without a secret')
      const rows = await eventually(
        () => deliveriesOf(testDb, txId),
        (r) => r.length === 2 && r.every((d) => d.state === 'delivered'),
      )
      assert.deepEqual(
        rows.map((d) => [d.rule, d.event]),
        [
          ['app-credit', 'credited'],
          ['app-reversal', 'reversed'],
        ],
      )
    } finally {
      await setup.close()
      await receiver.close()
    }
  })

  test('a postback whose transaction rolls back queues no delivery', async () => {
    const receiver = await startReceiver()
    const setup = await setUpDelivery(testDb, [
      { name: 'rollback-check', on: ['credited'], url: `${receiver.url}/x` },
    ])
    // The raw-log insert is the last write of the transaction, after the outbox row: failing
    // it rolls back everything before it.
    await testDb.db.pool.query(`
      CREATE FUNCTION fail_rollback_tx() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.tx_id LIKE 'rollback-%' THEN RAISE EXCEPTION 'injected failure'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail_rollback_tx BEFORE INSERT ON postback_log
        FOR EACH ROW EXECUTE FUNCTION fail_rollback_tx();`)
    try {
      const { status } = await firePostback(setup.app, { tx_id: 'rollback-1' })
      assert.notEqual(status, 200)
      const { rows } = await testDb.db.pool.query(
        `SELECT (SELECT count(*) FROM conversions WHERE tx_id = 'rollback-1')::int AS conversions,
                (SELECT count(*) FROM deliveries d JOIN conversions c ON c.id = d.conversion_id
                 WHERE c.tx_id = 'rollback-1')::int AS deliveries`,
      )
      assert.deepEqual(rows[0], { conversions: 0, deliveries: 0 })
      // A committed one right after still goes out: the worker was running all along.
      const { txId } = await firePostback(setup.app)
      await receiver.waitFor(1)
      assert.equal(receiver.requests.length, 1)
      assert.match(receiver.requests[0]?.headers['x-delivery-id'] as string, /^\d+$/)
      assert.equal((await deliveriesOf(testDb, txId)).length, 1)
    } finally {
      await testDb.db.pool.query(
        'DROP TRIGGER fail_rollback_tx ON postback_log; DROP FUNCTION fail_rollback_tx()',
      )
      await setup.close()
      await receiver.close()
    }
  })

  test('a held conversion approved by the operator is delivered as credited; rejection has its own event', async () => {
    const receiver = await startReceiver()
    const setup = await setUpDelivery(
      testDb,
      [{ name: 'reviewed', on: ['credited', 'rejected', 'held'], url: `${receiver.url}/{event}` }],
      { MAX_PAYOUT: '10' },
    )
    try {
      const held = await firePostback(setup.app, { payout: '25' })
      await receiver.waitFor(1)
      const [delivery] = await deliveriesOf(testDb, held.txId)
      const { rows } = await testDb.db.pool.query<{ id: string }>(
        'SELECT id::text FROM conversions WHERE tx_id = $1',
        [held.txId],
      )
      const approve = await setup.app.inject({
        method: 'POST',
        url: `/admin/conversions/${rows[0]?.id}/approve`,
        headers: adminHeaders,
      })
      assert.equal(approve.statusCode, 200)
      await receiver.waitFor(2)
      assert.deepEqual(
        receiver.requests.map((r) => r.url),
        ['/held', '/credited'],
      )
      assert.equal(delivery?.event, 'held')
    } finally {
      await setup.close()
      await receiver.close()
    }
  })

  test('metrics count attempts by result and show the outbox by state', async () => {
    const receiver = await startReceiver({ failFirst: 1000 })
    const token = 'metrics-token-0123456789'
    const setup = await setUpDelivery(
      testDb,
      [{ name: 'failing', on: ['credited'], url: `${receiver.url}/x`, maxAttempts: 2 }],
      { METRICS_TOKEN: token },
    )
    try {
      const { txId } = await firePostback(setup.app)
      await eventually(
        () => deliveriesOf(testDb, txId),
        (rows) => rows[0]?.state === 'dead',
      )
      const metrics = await setup.app.inject({
        url: '/metrics',
        headers: { authorization: `Bearer ${token}` },
      })
      assert.equal(metrics.statusCode, 200)
      assert.match(metrics.body, /postback_receiver_delivery_attempts_total\{result="retry"\} 1\n/)
      assert.match(metrics.body, /postback_receiver_delivery_attempts_total\{result="dead"\} 1\n/)
      const dead = await testDb.db.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM deliveries WHERE state = 'dead'`,
      )
      assert.match(
        metrics.body,
        new RegExp(`postback_receiver_deliveries\\{state="dead"\\} ${dead.rows[0]?.n}\n`),
      )
      assert.match(metrics.body, /postback_receiver_delivery_overdue_seconds \d/)
    } finally {
      await setup.close()
      await receiver.close()
    }
  })

  test('a loopback destination is refused unless DELIVERY_ALLOW_PRIVATE; dead ones can be retried', async () => {
    const receiver = await startReceiver()
    const port = new URL(receiver.url).port
    const setup = await setUpDelivery(
      testDb,
      [
        { name: 'literal', on: ['credited'], url: `${receiver.url}/literal` },
        { name: 'by-name', on: ['credited'], url: `http://localhost:${port}/by-name` },
      ],
      { DELIVERY_ALLOW_PRIVATE: 'false' },
    )
    let txId = ''
    try {
      txId = (await firePostback(setup.app)).txId
      const rows = await eventually(
        () => deliveriesOf(testDb, txId),
        (r) => r.length === 2 && r.every((d) => d.state === 'dead'),
      )
      for (const row of rows) {
        assert.match(row.last_error ?? '', /loopback, private, link-local or reserved/)
        assert.match(row.last_error ?? '', /DELIVERY_ALLOW_PRIVATE=true/)
        assert.equal(row.attempts, 1, 'a refused destination is not retried by itself')
      }
      assert.equal(receiver.requests.length, 0)

      const dead = await setup.app.inject({
        url: `/admin/deliveries?state=dead&conversionId=${await conversionIdOf(txId)}`,
        headers: adminHeaders,
      })
      assert.deepEqual(
        dead
          .json()
          .items.map((d: { rule: string }) => d.rule)
          .sort(),
        ['by-name', 'literal'],
      )
      const missing = await setup.app.inject({
        method: 'POST',
        url: '/admin/deliveries/999999999/retry',
        headers: adminHeaders,
      })
      assert.equal(missing.statusCode, 404)
      assert.equal(missing.json().code, 'DELIVERY_NOT_FOUND')
      const unauthorized = await setup.app.inject({ url: '/admin/deliveries' })
      assert.equal(unauthorized.statusCode, 401)
    } finally {
      await setup.close()
    }

    // The operator allows private destinations and retries: now it goes through.
    const allowed = await setUpDelivery(
      testDb,
      [
        { name: 'literal', on: ['credited'], url: `${receiver.url}/literal` },
        { name: 'by-name', on: ['credited'], url: `http://localhost:${port}/by-name` },
      ],
      { DELIVERY_ALLOW_PRIVATE: 'true' },
    )
    try {
      const { rows } = await testDb.db.pool.query<{ id: string }>(
        `SELECT id::text FROM deliveries WHERE rule = 'literal' AND state = 'dead'`,
      )
      const id = rows[0]?.id
      const retry = await allowed.app.inject({
        method: 'POST',
        url: `/admin/deliveries/${id}/retry`,
        headers: adminHeaders,
      })
      assert.equal(retry.statusCode, 200)
      assert.equal(retry.json().state, 'pending')
      await receiver.waitFor(1)
      // Pending or already delivered, it is no longer dead: a second retry is refused.
      const again = await allowed.app.inject({
        method: 'POST',
        url: `/admin/deliveries/${id}/retry`,
        headers: adminHeaders,
      })
      assert.equal(again.statusCode, 409)
      await eventually(
        () => allowed.app.inject({ url: `/admin/deliveries/${id}`, headers: adminHeaders }),
        (r) => r.json().state === 'delivered',
      )
      const conflict = await allowed.app.inject({
        method: 'POST',
        url: `/admin/deliveries/${id}/retry`,
        headers: adminHeaders,
      })
      assert.equal(conflict.statusCode, 409)
      assert.equal(conflict.json().code, 'NOT_DEAD')
      const history = await allowed.app.inject({
        url: `/admin/conversions/${await conversionIdOf(txId)}/deliveries`,
        headers: adminHeaders,
      })
      const literal = history.json().items.find((d: { rule: string }) => d.rule === 'literal')
      assert.deepEqual(
        literal.attemptLog.map((a: { statusCode: number | null }) => a.statusCode),
        [null, 200],
        'the refused attempt stays in the log after the retry',
      )
    } finally {
      await allowed.close()
      await receiver.close()
    }
  })
})

async function conversionIdOf(txId: string): Promise<string> {
  const { rows } = await testDb.db.pool.query<{ id: string }>(
    'SELECT id::text FROM conversions WHERE tx_id = $1',
    [txId],
  )
  return rows[0]?.id ?? ''
}
