import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../../src/app.js'
import { type Database, openDatabase } from '../../src/db/database.js'
import { balanceOf, createTestApp, postbackUrl, SECRET, uniqueTx } from '../helpers/app.js'
import {
  createTestDatabase,
  type TestDatabase,
  testConfig,
  USING_REAL_POSTGRES,
} from '../helpers/database.js'
import { capturingLogger, silentLogger } from '../helpers/logging.js'
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js'

// The database goes away under a running app: postbacks must get a quick 503 the network will
// retry, never a 200 for something not recorded, and the same app must recover on its own.

const ANSWER_WITHIN_MS = 5000
// A postback that never answers fails its test instead of holding the suite.
const TEST_TIMEOUT_MS = 60_000
const NEEDS_REAL_POSTGRES = USING_REAL_POSTGRES
  ? false
  : 'needs a real PostgreSQL (set DATABASE_URL): the embedded database runs inside this process, there is no connection to cut'

type Fields = { tx_id: string; offer_id: string; payout: string; user_id: string }

function freshFields(userId: string): Fields {
  return { tx_id: uniqueTx('outage'), offer_id: 'offer-outage', payout: '1.50', user_id: userId }
}

async function timedPostback(app: FastifyInstance, fields: Fields) {
  const started = performance.now()
  const response = await app.inject({
    url: postbackUrl(fields),
    headers: { accept: 'application/json' },
  })
  return { response, ms: performance.now() - started }
}

function assertUnavailable(response: LightMyRequestResponse, ms: number, what: string) {
  assert.notEqual(response.statusCode, 200, `${what}: never 200 while the database is away`)
  assert.equal(response.statusCode, 503, `${what}: ${response.body}`)
  assert.equal(response.json().code, 'DATABASE_UNAVAILABLE', what)
  assert.match(String(response.headers['retry-after']), /^[1-9]\d*$/, `${what}: Retry-After`)
  assert.ok(ms < ANSWER_WITHIN_MS, `${what}: answered in ${Math.round(ms)} ms`)
}

function assertCredited(response: LightMyRequestResponse, what: string) {
  assert.equal(response.statusCode, 200, `${what}: ${response.body}`)
  assert.equal(response.json().outcome, 'credited', what)
}

const rounded = (latencies: number[]) => latencies.map((ms) => Math.round(ms)).join(', ')

/** Credits per conversion, straight from the database (not through the proxy). */
async function creditsPerConversion(testDb: TestDatabase, txIds: string[]) {
  const { rows } = await testDb.db.pool.query<{ tx_id: string; credits: number }>(
    `SELECT c.tx_id, count(l.id)::int AS credits
     FROM conversions c LEFT JOIN ledger_entries l ON l.conversion_id = c.id AND l.kind = 'credit'
     WHERE c.tx_id = ANY($1)
     GROUP BY c.tx_id`,
    [txIds],
  )
  const credits = new Map(rows.map((row) => [row.tx_id, row.credits]))
  return txIds.map((tx) => credits.get(tx) ?? 0)
}

async function assertCreditedOnce(testDb: TestDatabase, user: string, all: Fields[]) {
  assert.deepEqual(
    await creditsPerConversion(
      testDb,
      all.map((fields) => fields.tx_id),
    ),
    all.map(() => 1),
    'each conversion credited exactly once',
  )
  const points = 150 * all.length
  assert.deepEqual(await balanceOf(testDb, user), { balance: points, ledger: points })
}

type ProxiedApp = { app: FastifyInstance; db: Database; proxy: TcpProxy; testDb: TestDatabase }

/** A migrated database of its own, and an app that reaches it only through a TCP proxy. */
async function withProxiedApp(work: (setup: ProxiedApp) => Promise<void>) {
  const testDb = await createTestDatabase()
  const direct = new URL(testDb.env.DATABASE_URL ?? '')
  const proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) })
  const viaProxy = new URL(direct)
  viaProxy.hostname = proxy.host
  viaProxy.port = String(proxy.port)
  const config = testConfig({ DATABASE_URL: viaProxy.toString(), POSTBACK_SECRET: SECRET })
  const db = await openDatabase(config, silentLogger())
  const app = await buildApp(config, { db, logger: silentLogger() })
  try {
    await work({ app, db, proxy, testDb })
  } finally {
    proxy.restore()
    await app.close()
    await db.close().catch(() => {})
    await proxy.close()
    await testDb.drop()
  }
}

/** Waits until the pool has noticed that its idle connections are gone. */
async function poolEmptied(db: Database, withinMs = 2000) {
  const until = Date.now() + withinMs
  while (db.pool.totalCount > 0 && Date.now() < until)
    await new Promise((resolve) => setTimeout(resolve, 10))
  assert.equal(db.pool.totalCount, 0, 'the pool dropped its dead connections')
}

test('when the connection to PostgreSQL is cut, then postbacks answer 503 with Retry-After within 5 s; when it is back, then the same app credits each retry exactly once', {
  skip: NEEDS_REAL_POSTGRES,
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  await withProxiedApp(async ({ app, db, proxy, testDb }) => {
    const user = uniqueTx('outage-user')
    const before = freshFields(user)
    assertCredited((await timedPostback(app, before)).response, 'before the outage')
    assert.ok(proxy.accepted > 0, 'the app reaches the database through the proxy')

    proxy.cut()
    // Postbacks arriving the instant the connection drops are the next test's subject.
    await poolEmptied(db)
    const during = Array.from({ length: 10 }, () => freshFields(user))
    const latencies: number[] = []
    for (const [index, fields] of during.entries()) {
      const { response, ms } = await timedPostback(app, fields)
      latencies.push(ms)
      assertUnavailable(response, ms, `postback ${index + 1} during the outage`)
    }
    t.diagnostic(`503 latencies while cut (ms): ${rounded(latencies)}`)
    const ready = await app.inject('/readyz')
    assert.equal(ready.statusCode, 503, 'readyz during the outage')
    assert.equal(ready.json().code, 'DATABASE_UNAVAILABLE')
    assert.ok(ready.headers['retry-after'], 'readyz says when to retry')

    proxy.restore()
    for (const fields of during) {
      assertCredited((await timedPostback(app, fields)).response, `retry of ${fields.tx_id}`)
      const again = (await timedPostback(app, fields)).response
      assert.equal(again.statusCode, 200, again.body)
      assert.equal(again.json().outcome, 'duplicate', `second retry of ${fields.tx_id}`)
    }
    assert.equal((await app.inject('/readyz')).statusCode, 200, 'readyz after the outage')
    await assertCreditedOnce(testDb, user, [before, ...during])
  })
})

test('when the connection drops just as a postback takes it from the pool, then that postback answers 503 and the process does not crash', {
  skip: NEEDS_REAL_POSTGRES,
  timeout: TEST_TIMEOUT_MS,
}, async () => {
  await withProxiedApp(async ({ app, db, proxy, testDb }) => {
    const user = uniqueTx('race-user')
    const before = freshFields(user)
    assertCredited((await timedPostback(app, before)).response, 'before the outage')
    // Background work (the statistics refresh, the network profiles' poll) may have opened a
    // few more; the cut drops every one of them, so whichever the postback takes is dead.
    assert.ok(db.pool.idleCount >= 1, 'an idle connection waits in the pool')

    // pg learns of the drop on its next read; the postback checks the connection out first.
    proxy.cut()
    const during = freshFields(user)
    const { response, ms } = await timedPostback(app, during)
    assertUnavailable(response, ms, 'the postback on the dropped connection')

    proxy.restore()
    assertCredited((await timedPostback(app, during)).response, 'its retry')
    await assertCreditedOnce(testDb, user, [before, during])
  })
})

test('when the network to PostgreSQL stalls (no reset, no answer), then concurrent postbacks answer 503 within 5 s; when it recovers, then each retry is credited exactly once', {
  skip: NEEDS_REAL_POSTGRES,
  timeout: TEST_TIMEOUT_MS,
}, async (t) => {
  await withProxiedApp(async ({ app, proxy, testDb }) => {
    const user = uniqueTx('stall-user')
    const before = freshFields(user)
    assertCredited((await timedPostback(app, before)).response, 'before the stall')

    proxy.hang()
    const during = Array.from({ length: 10 }, () => freshFields(user))
    const answers = await Promise.all(during.map((fields) => timedPostback(app, fields)))
    for (const [index, { response, ms }] of answers.entries())
      assertUnavailable(response, ms, `postback ${index + 1} during the stall`)
    t.diagnostic(`503 latencies while stalled (ms): ${rounded(answers.map((a) => a.ms))}`)
    assert.equal((await app.inject('/readyz')).statusCode, 503, 'readyz during the stall')

    proxy.restore()
    // A transaction held up by the stall may commit once it clears: its retry is a duplicate.
    const lateCommits: string[] = []
    for (const fields of during) {
      const retry = (await timedPostback(app, fields)).response
      assert.equal(retry.statusCode, 200, `retry of ${fields.tx_id}: ${retry.body}`)
      assert.ok(['credited', 'duplicate'].includes(retry.json().outcome), retry.body)
      if (retry.json().outcome === 'duplicate') lateCommits.push(fields.tx_id)
      const again = (await timedPostback(app, fields)).response
      assert.equal(again.json().outcome, 'duplicate', `second retry of ${fields.tx_id}`)
    }
    t.diagnostic(`answered 503 but committed after the stall: ${lateCommits.length}`)
    await assertCreditedOnce(testDb, user, [before, ...during])
  })
})

test('when the database is closed under a running app, then postbacks answer 503 DATABASE_UNAVAILABLE with Retry-After and the app keeps answering', async (t) => {
  const capture = capturingLogger()
  const running = await createTestApp({}, capture.logger)
  try {
    const user = uniqueTx('closed-user')
    const before = freshFields(user)
    assertCredited((await timedPostback(running.app, before)).response, 'before closing')

    await running.testDb.db.close()
    const latencies: number[] = []
    for (let index = 0; index < 3; index += 1) {
      const { response, ms } = await timedPostback(running.app, freshFields(user))
      latencies.push(ms)
      assertUnavailable(response, ms, `postback ${index + 1} after the database closed`)
    }
    t.diagnostic(`503 latencies after close (ms): ${rounded(latencies)}`)

    assert.equal((await running.app.inject('/healthz')).statusCode, 200, 'the process answers')
    assert.equal((await running.app.inject('/readyz')).statusCode, 503, 'and is not ready')
    const log = capture.lines()
    assert.match(log, /postback not recorded/, 'the operator sees why in the log')
    assert.ok(!log.includes(SECRET), 'the log does not carry the secret')
  } finally {
    await running.close()
  }
})
