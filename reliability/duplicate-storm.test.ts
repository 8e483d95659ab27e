import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startServer } from '../test/helpers/server.js'
import {
  checkLedger,
  countStatuses,
  findLeakedSecrets,
  freshDatabase,
  inParallel,
  report,
  sendPostback,
  serverEnv,
} from './harness.js'

// Scenario 1: every transaction sent 5 times at once, spread over two instances on one
// database, a quarter of them also reversed (3 times) in the same burst.
const TRANSACTIONS = 400
const COPIES = 5
const REVERSAL_COPIES = 3
const POINTS = 350 // payout 3.50 at the default 100 points per unit

test('duplicate storm over two instances: each transaction credited once, reversals applied once', {
  timeout: 120_000,
}, async () => {
  const db = await freshDatabase()
  const servers = await Promise.all([
    startServer(serverEnv(db.url)),
    startServer(serverEnv(db.url)),
  ])
  try {
    const started = performance.now()
    const txs = Array.from({ length: TRANSACTIONS }, (_, i) => ({
      txId: `storm-${i}`,
      userId: `storm-user-${i % 37}`,
      reversed: i % 4 === 0,
    }))
    const answers = (
      await inParallel(txs, 16, (tx) => {
        const fields = { tx_id: tx.txId, offer_id: '7', payout: '3.50', user_id: tx.userId }
        const sends = Array.from({ length: COPIES }, (_, copy) =>
          sendPostback(servers[copy % 2]?.url ?? '', fields),
        )
        if (tx.reversed) {
          for (let copy = 0; copy < REVERSAL_COPIES; copy++) {
            sends.push(
              sendPostback(servers[copy % 2]?.url ?? '', { ...fields, status: 'reversed' }),
            )
          }
        }
        return Promise.all(sends)
      })
    ).flat()
    const seconds = (performance.now() - started) / 1000

    const statuses = countStatuses(answers)
    const credited = answers.filter((a) => a.outcome === 'credited').length

    const ledger = await checkLedger(db.client)
    const { rows } = await db.client.query<{
      tx_id: string
      status: string
      credits: number
      reversals: number
    }>(
      `SELECT c.tx_id, c.status,
              count(*) FILTER (WHERE l.kind = 'credit')::int AS credits,
              count(*) FILTER (WHERE l.kind = 'reversal')::int AS reversals
       FROM conversions c LEFT JOIN ledger_entries l ON l.conversion_id = c.id
       GROUP BY c.id`,
    )
    const byTx = new Map(rows.map((row) => [row.tx_id, row]))
    const violations: string[] = []
    for (const tx of txs) {
      const row = byTx.get(tx.txId)
      if (!row) violations.push(`${tx.txId} missing`)
      else if (
        !tx.reversed &&
        (row.status !== 'approved' || row.credits !== 1 || row.reversals !== 0)
      ) {
        violations.push(
          `${tx.txId}: ${row.status}, ${row.credits} credits, ${row.reversals} reversals`,
        )
      } else if (
        tx.reversed &&
        (row.status !== 'reversed' || row.credits !== row.reversals || row.credits > 1)
      ) {
        violations.push(
          `${tx.txId}: ${row.status}, ${row.credits} credits, ${row.reversals} reversals`,
        )
      }
    }
    const kept = txs.filter((tx) => !tx.reversed).length
    const leaks = await findLeakedSecrets(
      db.client,
      servers.map((s) => s.output()),
    )

    report('duplicate-storm', {
      transactions: TRANSACTIONS,
      requests: answers.length,
      instances: 2,
      seconds: seconds.toFixed(1),
      answered200: statuses.get(200) ?? 0,
      other: answers.length - (statuses.get(200) ?? 0),
      credits: ledger.credits,
      reversals: ledger.reversals,
      violations: violations.length,
    })
    assert.deepEqual(violations, [])
    assert.equal(
      statuses.get(200),
      answers.length,
      `every request answered 200: ${JSON.stringify([...statuses])}`,
    )
    assert.equal(ledger.credits, credited, 'one ledger credit per "credited" answer')
    assert.equal(ledger.conversions, TRANSACTIONS)
    assert.equal(ledger.balanceTotal, kept * POINTS)
    assert.equal(ledger.unbalancedUsers, 0)
    assert.equal(ledger.uncreditedApprovals, 0)
    assert.equal(ledger.unreversedCredits, 0)
    assert.deepEqual(leaks, [])
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
    await db.drop()
  }
})
