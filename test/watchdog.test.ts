import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
import { checkVolumes, startWatchdog } from '../src/watchdog/watchdog.js'
import { createTestDatabase, type TestDatabase } from './helpers/database.js'
import { capturingLogger } from './helpers/logging.js'

let testDb: TestDatabase
before(async () => {
  testDb = await createTestDatabase()
})
after(() => testDb.drop())

const NOW = new Date('2026-11-25T12:00:00Z')
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000)

async function accepted(network: string, at: Date, count = 1) {
  for (let i = 0; i < count; i++) {
    await testDb.db.pool.query(
      `INSERT INTO postback_log (network, method, path, status_code, outcome, received_at)
       VALUES ($1, 'GET', '/api/postback', 200, 'credited', $2)`,
      [network, at.toISOString()],
    )
  }
}

test('an active network silent for an hour and a network far above its usual rate are reported', async () => {
  await accepted('quiet', minutesAgo(180), 5) // active earlier today, nothing in the last hour
  await accepted('steady', minutesAgo(300), 23)
  await accepted('steady', minutesAgo(30), 2) // about its usual hourly rate
  await accepted('burst', minutesAgo(600), 23)
  await accepted('burst', minutesAgo(10), 40) // 40 vs ~1/hour
  await accepted('old', minutesAgo(60 * 30), 5) // silent for more than a day: not "active"
  const alerts = await checkVolumes(testDb.db.pool, NOW)
  assert.deepEqual(
    alerts.map((a) => [a.network, a.kind, a.lastHour, a.previous23Hours]),
    [
      ['burst', 'spike', 40, 23],
      ['quiet', 'silent', 0, 5],
    ],
  )
  // An hour later by the clock, "steady" has gone quiet too.
  const later = await checkVolumes(testDb.db.pool, new Date(NOW.getTime() + 60 * 60_000))
  assert.ok(later.some((a) => a.network === 'steady' && a.kind === 'silent'))
})

test('the watchdog logs and posts each alert once, when it starts', async () => {
  const received: unknown[] = []
  const hook = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
    })
    request.on('end', () => {
      received.push(JSON.parse(body))
      response.end('ok')
    })
  }).listen(0, '127.0.0.1')
  await once(hook, 'listening')
  const { logger, lines } = capturingLogger()
  const watchdog = startWatchdog({
    pool: testDb.db.pool,
    log: logger,
    intervalMs: 3_600_000,
    webhookUrl: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`,
    clock: () => NOW,
  })
  try {
    const first = await watchdog.check()
    const second = await watchdog.check()
    assert.deepEqual(
      first.map((a) => `${a.network}:${a.kind}`),
      ['burst:spike', 'quiet:silent'],
    )
    assert.deepEqual(second, [], 'an alert that still holds is not repeated')
    assert.equal(received.length, 2)
    assert.deepEqual(received[1], {
      source: 'postback-receiver',
      network: 'quiet',
      kind: 'silent',
      lastHour: 0,
      previous23Hours: 5,
      message:
        'network quiet sent no accepted postback in the last hour (5 in the 23 hours before): check its dashboard and /admin/postbacks',
    })
    assert.match(lines(), /watchdog: network burst sent 40 postbacks in the last hour/)
  } finally {
    watchdog.stop()
    hook.close()
  }
})
