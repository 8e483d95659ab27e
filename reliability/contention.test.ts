import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startServer } from '../test/helpers/server.js'
import {
  checkLedger,
  countStatuses,
  freshDatabase,
  ledgerViolations,
  percentile,
  report,
  sendPostback,
  serverEnv,
} from './harness.js'

// Scenario: contention on a few keys. 5 transactions × 200 identical copies, all 1,000 in
// flight at once over two instances on a healthy database. Requests for one conversion must
// queue for it, not exhaust the pool and be answered 503 DATABASE_UNAVAILABLE.
const TRANSACTIONS = 5
const COPIES = 200
const POINTS = 350

for (const window of ['2', '0']) {
  test(`1,000 identical postbacks over two instances (GROUP_COMMIT_WINDOW_MS=${window}): all 200, each credited once`, {
    timeout: 180_000,
  }, async () => {
    const db = await freshDatabase()
    const env = serverEnv(db.url, { GROUP_COMMIT_WINDOW_MS: window })
    const servers = [await startServer(env, 120_000), await startServer(env, 120_000)]
    try {
      const started = performance.now()
      const answers = await Promise.all(
        Array.from({ length: TRANSACTIONS * COPIES }, (_, i) => {
          const tx = i % TRANSACTIONS
          const fields = {
            tx_id: `hot-${tx}`,
            offer_id: '7',
            payout: '3.50',
            user_id: `hot-user-${tx}`,
          }
          return sendPostback(servers[i % 2]?.url ?? '', fields, 30_000)
        }),
      )
      const seconds = (performance.now() - started) / 1000
      const statuses = countStatuses(answers)
      const credited = answers.filter((a) => a.outcome === 'credited').length
      const ledger = await checkLedger(db.client)
      const failed = await ledgerViolations(db.url)
      report(`contention window=${window}`, {
        requests: answers.length,
        seconds: seconds.toFixed(1),
        statuses: [...statuses].map(([status, count]) => `${status}x${count}`).join(','),
        credited,
        p50_ms: percentile(
          answers.map((a) => a.ms),
          50,
        ),
        max_ms: percentile(
          answers.map((a) => a.ms),
          100,
        ),
      })
      const warnings = servers.flatMap((server) =>
        server
          .output()
          .split('\n')
          .filter((line) => /"level":(40|50)/.test(line)),
      )
      assert.deepEqual(
        [...statuses],
        [[200, TRANSACTIONS * COPIES]],
        `every copy answered 200; server warnings:\n${warnings.slice(0, 5).join('\n')}`,
      )
      assert.equal(credited, TRANSACTIONS, 'one credit answer per transaction')
      assert.equal(ledger.credits, TRANSACTIONS)
      assert.equal(ledger.balanceTotal, TRANSACTIONS * POINTS)
      assert.deepEqual(failed, [])
    } finally {
      await Promise.all(servers.map((server) => server.stop()))
      await db.drop()
    }
  })
}
