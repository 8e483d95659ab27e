import assert from 'node:assert/strict'
import type { ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { after, before, describe, test } from 'node:test'
import { createTestDatabase, type TestDatabase, USING_REAL_POSTGRES } from '../helpers/database.js'
import { spawnTs } from '../helpers/processes.js'
import { startReceiver } from '../helpers/receiver.js'
import { deliveriesOf, eventually, FAST_DELIVERY, firePostback, setUpDelivery } from './harness.js'

// The separate worker process (npm run worker) must expose the delivery metrics, or the
// dead-delivery alert cannot fire when web instances run with DELIVERY_WORKER=false.
const skip = USING_REAL_POSTGRES ? false : 'the worker process needs DATABASE_URL'
const TOKEN = 'worker-metrics-token-0123456789'

describe('worker process metrics', { skip }, () => {
  let testDb: TestDatabase
  before(async () => {
    testDb = await createTestDatabase()
  })
  after(async () => {
    await testDb.drop()
  })

  test('npm run worker serves /metrics behind METRICS_TOKEN with its delivery counters and gauges', async () => {
    const receiver = await startReceiver({ failFirst: 1 })
    const rules = [
      { name: 'fails-once', on: ['credited'], url: `${receiver.url}/a`, maxAttempts: 1 },
      { name: 'works', on: ['credited'], url: `${receiver.url}/b` },
    ]
    // Web instance: queues only. The worker process sends.
    const setup = await setUpDelivery(testDb, rules, {}, { worker: false })
    let worker: ChildProcess | undefined
    try {
      const { txId } = await firePostback(setup.app)
      const started = startWorker({
        ...testDb.env,
        ...FAST_DELIVERY,
        DELIVERY_RULES_FILE: setup.rulesFile,
        METRICS_TOKEN: TOKEN,
        WORKER_METRICS_HOST: '127.0.0.1',
        WORKER_METRICS_PORT: '0',
      })
      worker = started.child
      const metricsUrl = await started.metricsUrl
      const rows = await eventually(
        () => deliveriesOf(testDb, txId),
        (r) => r.length === 2 && r.every((d) => d.state !== 'pending'),
      )
      assert.deepEqual(rows.map((d) => `${d.rule}:${d.state}`).sort(), [
        'fails-once:dead',
        'works:delivered',
      ])

      const refused = await fetch(metricsUrl)
      assert.equal(refused.status, 401)
      assert.equal((await refused.json()).code, 'UNAUTHORIZED')
      const scraped = await fetch(metricsUrl, { headers: { authorization: `Bearer ${TOKEN}` } })
      assert.equal(scraped.status, 200)
      const text = await scraped.text()
      assert.match(text, /postback_receiver_delivery_attempts_total\{result="dead"\} 1\n/)
      assert.match(text, /postback_receiver_delivery_attempts_total\{result="delivered"\} 1\n/)
      const { rows: dead } = await testDb.db.pool.query<{ n: string }>(
        `SELECT count(*) AS n FROM deliveries WHERE state = 'dead'`,
      )
      assert.match(
        text,
        new RegExp(`postback_receiver_deliveries\\{state="dead"\\} ${dead[0]?.n}\n`),
      )
      assert.match(text, /postback_receiver_delivery_overdue_seconds \d/)
      assert.doesNotMatch(text, new RegExp(TOKEN))

      worker.kill('SIGTERM')
      const [code] = await once(worker, 'exit')
      assert.equal(code, 0)
    } finally {
      if (worker && worker.exitCode === null) {
        worker.kill('SIGKILL')
        await once(worker, 'exit')
      }
      await setup.close()
      await receiver.close()
    }
  })
})

function startWorker(env: Record<string, string>) {
  const child = spawnTs('src/worker.ts', [], { LOG_LEVEL: 'info', ...env })
  let output = ''
  const metricsUrl = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no metrics URL:\n${output}`)), 30_000)
    const read = (chunk: Buffer) => {
      output += chunk
      const match = /worker metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(output)
      if (match?.[1]) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', read)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`worker exited with ${code}:\n${output}`))
    })
  })
  return { child, metricsUrl }
}
