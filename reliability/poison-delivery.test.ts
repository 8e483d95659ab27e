import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { startReceiver } from '../test/helpers/receiver.js'
import { startServer } from '../test/helpers/server.js'
import {
  checkLedger,
  freshDatabase,
  inParallel,
  report,
  scrapeMetrics,
  sendPostback,
  serverEnv,
} from './harness.js'

// Scenario: a poison delivery rule over 2 instances. Half the postbacks carry no sub1, so the
// rule's URL (http://{sub1}:<port>/…) cannot be built for them; each instance's worker claims
// some. Both must stay up, those deliveries end dead with the reason, and the rest go out once.
const POSTBACKS = 60
const DEADLINE_MS = 30_000

test('poison delivery: an unbuildable URL ends its delivery dead, never an instance', {
  timeout: 120_000,
}, async () => {
  const db = await freshDatabase()
  const receiver = await startReceiver()
  const port = new URL(receiver.url).port
  const dir = await mkdtemp(join(tmpdir(), 'pbr-rel-poison-'))
  const rulesFile = join(dir, 'deliveries.json')
  await writeFile(
    rulesFile,
    JSON.stringify({
      rules: [
        { name: 'poison', on: ['credited'], url: `http://{sub1}:${port}/poison?tx={tx_id}` },
        { name: 'healthy', on: ['credited'], url: `${receiver.url}/healthy?tx={tx_id}` },
      ],
    }),
  )
  const env = serverEnv(db.url, {
    DELIVERY_RULES_FILE: rulesFile,
    DELIVERY_ALLOW_PRIVATE: 'true', // the receiver is on 127.0.0.1
    DELIVERY_POLL_INTERVAL: '50ms',
    DELIVERY_BACKOFF_BASE: '50ms',
    DELIVERY_BACKOFF_MAX: '200ms',
    DELIVERY_LEASE: '15 s',
  })
  const instances = [await startServer(env), await startServer(env)]
  try {
    const sent = await inParallel(
      Array.from({ length: POSTBACKS }, (_, i) => i),
      8,
      (i) =>
        sendPostback(instances[i % 2]?.url ?? '', {
          tx_id: `poison-${i}`,
          offer_id: '7',
          payout: '1.00',
          user_id: `poison-user-${i % 5}`,
          ...(i % 2 === 0 ? {} : { sub1: '127.0.0.1' }),
        }),
    )
    assert.deepEqual(
      sent.filter((a) => a.status !== 200),
      [],
    )

    const started = Date.now()
    let states: { rule: string; state: string; n: number }[] = []
    while (Date.now() - started < DEADLINE_MS) {
      const { rows } = await db.client.query<{ pending: number }>(
        `SELECT count(*)::int AS pending FROM deliveries WHERE state = 'pending'`,
      )
      if (rows[0]?.pending === 0) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const settledMs = Date.now() - started
    states = (
      await db.client.query<{ rule: string; state: string; n: number }>(
        `SELECT rule, state, count(*)::int AS n FROM deliveries GROUP BY rule, state ORDER BY rule, state`,
      )
    ).rows

    const alive = instances.filter((i) => i.child.exitCode === null && !i.child.signalCode)
    assert.equal(
      alive.length,
      2,
      `an instance died:\n${instances.map((i) => i.output()).join('\n')}`,
    )
    const half = POSTBACKS / 2
    assert.deepEqual(states, [
      { rule: 'healthy', state: 'delivered', n: POSTBACKS },
      { rule: 'poison', state: 'dead', n: half },
      { rule: 'poison', state: 'delivered', n: half },
    ])
    const { rows: dead } = await db.client.query<{ attempts: number; last_error: string }>(
      `SELECT attempts, last_error FROM deliveries WHERE state = 'dead'`,
    )
    for (const row of dead) {
      assert.equal(row.attempts, 1, 'an unbuildable request is not retried')
      assert.match(row.last_error, /cannot build the request: .*\{sub1\} is empty/)
    }
    // Every sendable delivery went out exactly once.
    const ids = receiver.requests.map((r) => String(r.headers['x-delivery-id']))
    assert.equal(ids.length, POSTBACKS + half)
    assert.equal(new Set(ids).size, ids.length)

    // Each instance's metrics count the dead ones it found; together, all of them.
    const scraped = await Promise.all(instances.map((i) => scrapeMetrics(i.url)))
    const deadCounted = scraped
      .map((text) => /delivery_attempts_total\{result="dead"\} (\d+)/.exec(text)?.[1] ?? '0')
      .reduce((sum, n) => sum + Number(n), 0)
    assert.equal(deadCounted, half)
    // And they are still serving postbacks.
    for (const [i, instance] of instances.entries()) {
      const answer = await sendPostback(instance.url, {
        tx_id: `poison-after-${i}`,
        offer_id: '7',
        payout: '1.00',
        user_id: 'poison-after',
      })
      assert.equal(answer.status, 200)
    }
    const ledger = await checkLedger(db.client)
    assert.equal(ledger.unbalancedUsers, 0)
    assert.equal(ledger.credits, POSTBACKS + 2)
    report('poison-delivery', {
      instances: 2,
      postbacks: POSTBACKS,
      dead: dead.length,
      delivered: ids.length,
      instancesAlive: alive.length,
      settledMs,
    })
  } finally {
    for (const instance of instances) await instance.stop('SIGTERM')
    await receiver.close()
    await rm(dir, { recursive: true, force: true })
    await db.drop()
  }
})
