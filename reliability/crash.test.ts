import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startServer } from '../test/helpers/server.js'
import {
  type Answer,
  checkLedger,
  findLeakedSecrets,
  freshDatabase,
  inParallel,
  report,
  sendPostback,
  serverEnv,
} from './harness.js'

// Scenario 2: kill -9 a server under sustained load, start another, and retry every postback
// that did not get a 200, as a network would. Each must end applied exactly once.
const TRANSACTIONS = 2000
const KILL_AFTER_MS = 1500
const MAX_ATTEMPTS = 20
const POINTS = 350

test('crash under load: every 200 is kept, every retried postback lands exactly once', {
  timeout: 180_000,
}, async () => {
  const db = await freshDatabase()
  const first = await startServer(serverEnv(db.url))
  let second: Awaited<ReturnType<typeof startServer>> | undefined
  try {
    const txs = Array.from({ length: TRANSACTIONS }, (_, i) => ({
      fields: {
        tx_id: `crash-${i}`,
        offer_id: '7',
        payout: '3.50',
        user_id: `crash-user-${i % 50}`,
      },
      attempts: 0,
      answers: [] as Answer[],
    }))
    const send = async (base: string, tx: (typeof txs)[number]) => {
      tx.attempts += 1
      const answer = await sendPostback(base, tx.fields, 5000)
      tx.answers.push(answer)
      return answer
    }

    const killer = setTimeout(() => first.child.kill('SIGKILL'), KILL_AFTER_MS)
    await inParallel(txs, 16, (tx) => send(first.url, tx))
    clearTimeout(killer)
    const exitCode = await first.exited
    const okBeforeCrash = txs.filter((tx) => tx.answers[0]?.status === 200).length

    // The network retries what was not acknowledged, against the restarted service.
    second = await startServer(serverEnv(db.url))
    const restartedUrl = second.url
    let retries = 0
    for (let round = 0; round < MAX_ATTEMPTS; round++) {
      const pending = txs.filter((tx) => tx.answers.at(-1)?.status !== 200)
      if (pending.length === 0) break
      retries += pending.length
      await inParallel(pending, 16, (tx) => send(restartedUrl, tx))
    }

    const unacknowledged = txs.filter((tx) => tx.answers.at(-1)?.status !== 200).length
    const serverErrors = txs.flatMap((tx) => tx.answers).filter((a) => a.status >= 500).length
    const ledger = await checkLedger(db.client)
    const { rows } = await db.client.query<{ missing_log: number }>(
      `SELECT count(*)::int AS missing_log FROM conversions c
       WHERE NOT EXISTS (SELECT 1 FROM postback_log l WHERE l.conversion_id = c.id AND l.status_code = 200)`,
    )
    const leaks = await findLeakedSecrets(db.client, [first.output(), second.output()])

    report('crash', {
      transactions: TRANSACTIONS,
      killedAfterMs: KILL_AFTER_MS,
      exitSignal: exitCode === null ? 'SIGKILL' : String(exitCode),
      ok200BeforeCrash: okBeforeCrash,
      retries,
      unacknowledged,
      conversions: ledger.conversions,
      credits: ledger.credits,
      partialRows: ledger.uncreditedApprovals + (rows[0]?.missing_log ?? 0),
    })
    assert.ok(
      okBeforeCrash > 0 && okBeforeCrash < TRANSACTIONS,
      `the crash happened mid-load (${okBeforeCrash} acknowledged before)`,
    )
    assert.equal(unacknowledged, 0)
    assert.equal(serverErrors, 0, '503s and 500s are not expected once the new instance is up')
    assert.equal(ledger.conversions, TRANSACTIONS)
    assert.equal(ledger.credits, TRANSACTIONS)
    assert.equal(ledger.balanceTotal, TRANSACTIONS * POINTS)
    assert.equal(ledger.unbalancedUsers, 0)
    assert.equal(ledger.uncreditedApprovals, 0)
    assert.equal(rows[0]?.missing_log, 0, 'every conversion has its accepted log row')
    assert.deepEqual(leaks, [])
  } finally {
    if (first.child.exitCode === null && first.child.signalCode === null) await first.stop()
    await second?.stop()
    await db.drop()
  }
})
