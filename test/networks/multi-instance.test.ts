import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { buildProfile } from '../../src/networks/profile.js'
import { buildTestPostback } from '../../src/operations/test-postback.js'
import { ADMIN_TOKEN, SECRET } from '../helpers/app.js'
import {
  createTestDatabase,
  type TestDatabase,
  testConfig,
  USING_REAL_POSTGRES,
} from '../helpers/database.js'
import { type RunningServer, startServer } from '../helpers/server.js'

// Two real server processes on one PostgreSQL database, as behind a load balancer: a network
// added or edited through instance A is applied by instance B within NETWORKS_RELOAD_INTERVAL,
// without a restart: B accepts the new secret and refuses the old one, and enforces new
// allowed IPs.

const INTERVAL_MS = 1000
/** The interval, plus one poll's round trip and a busy machine's slack. */
const BOUND_MS = INTERVAL_MS + 2000
const FIRST = 'multi-first-secret-0123456789'
const SECOND = 'multi-second-secret-0123456789'

const skip = USING_REAL_POSTGRES
  ? false
  : 'needs DATABASE_URL: two processes cannot share one embedded PGlite'

let testDb: TestDatabase
let a: RunningServer
let b: RunningServer
before(async () => {
  if (skip) return
  testDb = await createTestDatabase()
  const env = {
    ...testDb.env,
    POSTBACK_SECRET: SECRET,
    ADMIN_TOKEN,
    NETWORKS_RELOAD_INTERVAL: `${INTERVAL_MS} ms`,
    TRUST_PROXY: '127.0.0.1',
  }
  ;[a, b] = await Promise.all([startServer(env), startServer(env)])
})
after(async () => {
  await Promise.all([a?.stop(), b?.stop()])
  await testDb?.drop()
})

async function adminCall(server: RunningServer, method: string, path: string, body: object) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  assert.equal(response.status, 200, await response.clone().text())
}

let sent = 0
/** The outcome of a CPX postback signed with `secret`, sent to `server` from `from`. */
async function outcomeOf(server: RunningServer, secret: string, from = '198.51.100.7') {
  const profile = buildProfile('cpx', { preset: 'cpx', secrets: [secret] }, testConfig())
  sent += 1
  const built = buildTestPostback(
    profile,
    { txId: `multi-${Date.now()}-${sent}`, userId: 'multi-user', status: 'approved', extra: [] },
    server.url,
    server.url,
  )
  const response = await fetch(built.url, { headers: { 'x-forwarded-for': from } })
  return response.headers.get('x-postback-outcome')
}

/** Milliseconds until `server` answers `want`, polling every 100 ms; fails past the bound. */
async function msUntil(check: () => Promise<string | null>, want: string): Promise<number> {
  const started = performance.now()
  let last: string | null = null
  while (performance.now() - started < BOUND_MS + 2000) {
    last = await check()
    if (last === want) return performance.now() - started
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.fail(`still ${last}, not ${want}, ${BOUND_MS + 2000} ms after the change`)
}

test('a network added and edited through instance A is applied by instance B within the interval', {
  skip,
}, async (t) => {
  assert.equal(await outcomeOf(b, FIRST), 'UNKNOWN_NETWORK')
  await adminCall(a, 'POST', '/admin/networks', { name: 'cpx', preset: 'cpx', secrets: [FIRST] })
  assert.equal(await outcomeOf(a, FIRST), 'credited', 'A applies its own change at once')
  const added = await msUntil(() => outcomeOf(b, FIRST), 'credited')
  assert.ok(added < BOUND_MS, `B took ${added} ms`)

  await adminCall(a, 'PATCH', '/admin/networks/cpx', { secrets: [SECOND] })
  const rotated = await msUntil(() => outcomeOf(b, SECOND), 'credited')
  assert.ok(rotated < BOUND_MS, `B took ${rotated} ms`)
  assert.equal(await outcomeOf(b, FIRST), 'BAD_SIGNATURE', 'the old secret is refused on B')

  await adminCall(a, 'PATCH', '/admin/networks/cpx', { allowedIps: ['203.0.113.0/24'] })
  const fenced = await msUntil(() => outcomeOf(b, SECOND, '198.51.100.7'), 'IP_NOT_ALLOWED')
  assert.ok(fenced < BOUND_MS, `B took ${fenced} ms`)
  assert.equal(await outcomeOf(b, SECOND, '203.0.113.20'), 'credited')

  t.diagnostic(
    `B applied: add ${added | 0} ms, new secret ${rotated | 0} ms, allowed IPs ${fenced | 0} ms`,
  )
  assert.match(b.output(), /networks reloaded: the database changed/)
  for (const secret of [FIRST, SECOND]) {
    assert.ok(!a.output().includes(secret) && !b.output().includes(secret), 'no secret in a log')
    const { rows } = await testDb.db.pool.query(
      `SELECT 1 FROM postback_log WHERE query LIKE '%' || $1 || '%' OR path LIKE '%' || $1 || '%'`,
      [secret],
    )
    assert.equal(rows.length, 0, 'no secret in the stored requests')
  }
})
