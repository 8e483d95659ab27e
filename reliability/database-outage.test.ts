import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startServer } from '../test/helpers/server.js'
import { startTcpProxy } from '../test/helpers/tcp-proxy.js'
import {
  type Answer,
  checkLedger,
  findLeakedSecrets,
  freshDatabase,
  inParallel,
  percentile,
  report,
  sendPostback,
  serverEnv,
} from './harness.js'

// Scenario 3: the service reaches PostgreSQL through a TCP proxy that the test cuts (the
// server is gone: resets) and then stalls (no answer at all) while postbacks keep coming.
// The stall outlasts POSTBACK_TIMEOUT_MS (4 s), so the deadline itself is exercised.
const RUN_MS = 11_000
const PHASES: [atMs: number, action: 'cut' | 'restore' | 'hang'][] = [
  [1500, 'cut'],
  [3500, 'restore'],
  [4500, 'hang'],
  [10_000, 'restore'],
]
const BOUND_MS = 5000
const WORKERS = 16
const POINTS = 350

test('database outage: 200 or 503 with Retry-After within 5 s, no crash, then every retry lands once', {
  timeout: 180_000,
}, async () => {
  const db = await freshDatabase()
  const target = new URL(db.url)
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) })
  const proxied = new URL(db.url)
  proxied.host = `${proxy.host}:${proxy.port}`
  const server = await startServer(serverEnv(proxied.toString()))
  try {
    const started = performance.now()
    const timers = PHASES.map(([at, action]) => setTimeout(() => proxy[action](), at))
    const sent: { fields: Record<string, string>; answers: Answer[] }[] = []
    let sequence = 0
    await Promise.all(
      Array.from({ length: WORKERS }, async () => {
        while (performance.now() - started < RUN_MS) {
          const tx = {
            fields: {
              tx_id: `outage-${sequence}`,
              offer_id: '7',
              payout: '3.50',
              user_id: `outage-user-${sequence % 40}`,
            },
            answers: [] as Answer[],
          }
          sequence += 1
          sent.push(tx)
          tx.answers.push(await sendPostback(server.url, tx.fields, 15_000))
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
      }),
    )
    for (const timer of timers) clearTimeout(timer)
    proxy.restore()

    const during = sent.map((tx) => tx.answers[0] as Answer)
    const unavailable = during.filter((a) => a.status === 503)
    const violations = during.filter(
      (a) => !(a.status === 200 || (a.status === 503 && a.retryAfter !== null)) || a.ms > BOUND_MS,
    )
    const alive = server.child.exitCode === null
    const ready = (await fetch(`${server.url}/readyz`)).status

    // The network retries everything that did not get a 200, against the same process.
    let retries = 0
    for (let round = 0; round < 20; round++) {
      const pending = sent.filter((tx) => tx.answers.at(-1)?.status !== 200)
      if (pending.length === 0) break
      retries += pending.length
      await inParallel(pending, WORKERS, async (tx) => {
        tx.answers.push(await sendPostback(server.url, tx.fields))
      })
    }
    const unacknowledged = sent.filter((tx) => tx.answers.at(-1)?.status !== 200).length
    const ledger = await checkLedger(db.client)
    const leaks = await findLeakedSecrets(db.client, [server.output()])

    report('database-outage', {
      requests: during.length,
      ok200: during.filter((a) => a.status === 200).length,
      answered503: unavailable.length,
      p50ms503: percentile(
        unavailable.map((a) => a.ms),
        50,
      ),
      maxMs503: percentile(
        unavailable.map((a) => a.ms),
        100,
      ),
      maxMsAll: percentile(
        during.map((a) => a.ms),
        100,
      ),
      violations: violations.length,
      alive: String(alive),
      retries,
      unacknowledged,
      conversions: ledger.conversions,
      credits: ledger.credits,
    })
    assert.ok(unavailable.length > 0, 'the outage was felt')
    assert.deepEqual(
      violations.map((a) => `${a.status} ${a.outcome} ${Math.round(a.ms)} ms`),
      [],
    )
    assert.ok(alive, 'the server process survived')
    assert.equal(ready, 200, 'the same process is ready again')
    assert.equal(unacknowledged, 0)
    assert.equal(ledger.conversions, sent.length)
    assert.equal(ledger.credits, sent.length)
    assert.equal(ledger.balanceTotal, sent.length * POINTS)
    assert.equal(ledger.unbalancedUsers, 0)
    assert.equal(ledger.uncreditedApprovals, 0)
    assert.deepEqual(leaks, [])
  } finally {
    await server.stop()
    await proxy.close()
    await db.drop()
  }
})
