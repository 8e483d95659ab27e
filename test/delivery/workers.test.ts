import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { after, before, describe, test } from 'node:test'
import { openDatabase } from '../../src/db/database.js'
import {
  createTestDatabase,
  type TestDatabase,
  testConfig,
  USING_REAL_POSTGRES,
} from '../helpers/database.js'
import { silentLogger } from '../helpers/logging.js'
import { spawnTs } from '../helpers/processes.js'
import { startReceiver } from '../helpers/receiver.js'
import { deliveriesOf, eventually, FAST_DELIVERY, firePostback, setUpDelivery } from './harness.js'

// Several workers on one database: only real PostgreSQL has several connections to race.
const skip = USING_REAL_POSTGRES ? false : 'needs DATABASE_URL (embedded PGlite has one connection)'

describe('delivery workers', { skip }, () => {
  let testDb: TestDatabase
  before(async () => {
    testDb = await createTestDatabase()
  })
  after(async () => {
    await testDb.drop()
  })

  test('a worker killed mid-send leaves the job to the next worker, which delivers it', async () => {
    const receiver = await startReceiver({ hangFirst: 1 })
    // Only the app queues; the sends happen in worker processes.
    const rules = [{ name: 'crash', on: ['credited'], url: `${receiver.url}/x`, timeoutMs: 2000 }]
    const setup = await setUpDelivery(testDb, rules, {}, { worker: false })
    const env = {
      ...testDb.env,
      ...FAST_DELIVERY,
      DELIVERY_RULES_FILE: setup.rulesFile,
      DELIVERY_LEASE: '3500ms',
    }
    let first: ChildProcess | undefined
    let second: ChildProcess | undefined
    try {
      const { txId } = await firePostback(setup.app)
      first = startWorkerProcess(env)
      await receiver.waitFor(1, 20_000)
      first.kill('SIGKILL') // mid-send: the receiver never answered
      await once(first, 'exit')
      const [claimed] = await deliveriesOf(testDb, txId)
      assert.equal(claimed?.state, 'pending')
      assert.equal(claimed?.attempts, 1)

      second = startWorkerProcess(env)
      await receiver.waitFor(2, 20_000)
      const [delivered] = await eventually(
        () => deliveriesOf(testDb, txId),
        (rows) => rows[0]?.state === 'delivered',
      )
      assert.equal(delivered?.attempts, 2)
      // At least once, and the receiver can tell it is the same delivery.
      const ids = receiver.requests.map((r) => r.headers['x-delivery-id'])
      assert.deepEqual(ids, [delivered?.id, delivered?.id])
    } finally {
      first?.kill('SIGKILL')
      second?.kill('SIGTERM')
      if (second && second.exitCode === null) await once(second, 'exit')
      await setup.close()
      await receiver.close()
    }
  })

  test('two workers on one database never send the same job, and send every job once', async () => {
    const receiver = await startReceiver({ delayMs: 15 })
    const rules = [{ name: 'race', on: ['credited'], url: `${receiver.url}/x` }]
    // Each worker has its own pool: its own connections, as separate instances would.
    const otherDb = await openDatabase(testConfig(testDb.env), silentLogger())
    const one = await setUpDelivery(testDb, rules, { DELIVERY_POLL_INTERVAL: '5ms' })
    const two = await setUpDelivery(
      testDb,
      rules,
      { DELIVERY_POLL_INTERVAL: '5ms' },
      { pool: otherDb.pool },
    )
    const jobs = 120
    try {
      const results = await Promise.all(
        Array.from({ length: jobs }, (_, i) =>
          firePostback(i % 2 ? one.app : two.app, { user_id: `race-${i % 7}` }),
        ),
      )
      assert.ok(results.every((r) => r.status === 200))
      await receiver.waitFor(jobs, 30_000)
      await new Promise((resolve) => setTimeout(resolve, 300))
      assert.deepEqual(receiver.overlapping, [], 'no job was in flight twice at once')
      const ids = receiver.requests.map((r) => String(r.headers['x-delivery-id']))
      assert.equal(ids.length, jobs, 'nothing sent twice')
      assert.equal(new Set(ids).size, jobs)
      const { rows } = await testDb.db.pool.query<{ state: string; n: number }>(
        `SELECT state, count(*)::int AS n FROM deliveries WHERE rule = 'race' GROUP BY state`,
      )
      assert.deepEqual(rows, [{ state: 'delivered', n: jobs }])
    } finally {
      await one.close()
      await two.close()
      await otherDb.close()
      await receiver.close()
    }
  })
})

function startWorkerProcess(env: Record<string, string>): ChildProcess {
  return spawnTs('src/worker.ts', [], { LOG_LEVEL: 'warn', ...env }, [
    'ignore',
    'ignore',
    'inherit',
  ])
}
