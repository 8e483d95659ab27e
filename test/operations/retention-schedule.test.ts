import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { loadConfig } from '../../src/config.js'
import { startRetentionSchedule } from '../../src/operations/retention-schedule.js'
import { createTestApp, postbackUrl, type TestApp, uniqueTx } from '../helpers/app.js'
import { capturingLogger } from '../helpers/logging.js'

// RETENTION_* inside the service: the same batched retention on a timer (off by default).

let t: TestApp
before(async () => {
  t = await createTestApp()
})
after(() => t.close())

test('retention is off unless configured, and a bad value stops the service naming it', () => {
  const config = loadConfig({})
  assert.equal(config.RETENTION_POSTBACK_LOG_DAYS, undefined)
  assert.equal(config.RETENTION_ANONYMIZE_IP_DAYS, undefined)
  assert.equal(config.RETENTION_INTERVAL, 3_600_000)
  assert.throws(
    () => loadConfig({ RETENTION_POSTBACK_LOG_DAYS: '0' }),
    /RETENTION_POSTBACK_LOG_DAYS="0": expected a whole number from 1 to 36500/,
  )
})

test('a scheduled run deletes old log rows, anonymizes IPs and logs it; runs never overlap', async () => {
  const old = uniqueTx()
  const middle = uniqueTx()
  const fresh = uniqueTx()
  for (const tx of [old, middle, fresh])
    await t.app.inject(postbackUrl({ tx_id: tx, offer_id: 'o', payout: '1', user_id: 'u' }))
  for (const [tx, days] of [
    [old, 10],
    [middle, 8],
  ] as const)
    await t.testDb.db.pool.query(
      "UPDATE postback_log SET received_at = now() - $2 * interval '1 day' WHERE tx_id = $1",
      [tx, days],
    )
  const { logger, lines } = capturingLogger()
  const schedule = startRetentionSchedule({
    pool: t.testDb.db.pool,
    log: logger,
    intervalMs: 3_600_000,
    postbackLogDays: 9,
    anonymizeIpDays: 7,
  })
  try {
    const [first, second] = await Promise.all([schedule.run(), schedule.run()])
    assert.equal(first, second, 'a run asked for while one is going joins it')
    assert.equal(first?.deletedLogRows, 1)
    assert.equal(first?.anonymizedLogRows, 1)
  } finally {
    schedule.stop()
  }
  const { rows } = await t.testDb.db.pool.query<{ tx_id: string; source_ip: string }>(
    'SELECT tx_id, source_ip FROM postback_log WHERE tx_id = ANY($1) ORDER BY id',
    [[old, middle, fresh]],
  )
  assert.deepEqual(rows, [
    { tx_id: middle, source_ip: '127.0.0.0' },
    { tx_id: fresh, source_ip: '127.0.0.1' },
  ])
  assert.match(lines(), /"deletedLogRows":1.*retention: old postback log rows deleted/)
})
