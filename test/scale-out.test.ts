import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Redis } from 'ioredis'
import { SECRET, uniqueTx } from './helpers/app.js'
import { createTestDatabase, type TestDatabase, USING_REAL_POSTGRES } from './helpers/database.js'
import { type RunningServer, startServer } from './helpers/server.js'

// Two real server processes on one PostgreSQL database and one Redis, as behind a load
// balancer: duplicates and conflicting transitions sent to both at once are decided once, and
// the rate limit is one budget across both.

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const RATE_LIMIT_MAX = 10

async function redisAnswers(): Promise<boolean> {
  const redis = new Redis(REDIS_URL, {
    lazyConnect: true,
    connectTimeout: 500,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
  redis.on('error', () => {})
  try {
    await redis.connect()
    return (await redis.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    redis.disconnect()
  }
}

const skip = !USING_REAL_POSTGRES
  ? 'needs DATABASE_URL: two processes cannot share one embedded PGlite'
  : !(await redisAnswers())
    ? `needs Redis at ${REDIS_URL} for the shared rate limit`
    : false

let testDb: TestDatabase
let servers: RunningServer[] = []
before(async () => {
  if (skip) return
  testDb = await createTestDatabase()
  const env = {
    ...testDb.env,
    POSTBACK_SECRET: SECRET,
    REDIS_URL,
    // The client address comes from X-Forwarded-For, so each test run limits addresses of its
    // own in the shared Redis.
    TRUST_PROXY: '127.0.0.1',
    RATE_LIMIT_MAX: String(RATE_LIMIT_MAX),
  }
  servers = await Promise.all([startServer(env), startServer(env)])
})
after(async () => {
  await Promise.all(servers.map((server) => server.stop()))
  await testDb?.drop()
})

/** An address no other request (or test run) uses, so it has a full rate-limit budget. */
const freshAddress = () =>
  `10.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`

async function send(server: RunningServer, fields: Record<string, string>, from = freshAddress()) {
  const query = new URLSearchParams({ offer_id: '7', payout: '3.50', secret: SECRET, ...fields })
  const response = await fetch(`${server.url}/api/postback?${query}`, {
    headers: { accept: 'application/json', 'x-forwarded-for': from },
  })
  const body = (await response.json()) as { outcome?: string; code?: string }
  return { status: response.status, outcome: body.outcome ?? body.code }
}

async function balanceAndLedger(userId: string) {
  const { rows } = await testDb.db.pool.query<{ balance: string | null; ledger: string }>(
    `SELECT (SELECT points::text FROM balances WHERE user_id = $1) AS balance,
            (SELECT COALESCE(sum(points), 0)::text FROM ledger_entries WHERE user_id = $1) AS ledger`,
    [userId],
  )
  return { balance: Number(rows[0]?.balance ?? 0), ledger: Number(rows[0]?.ledger ?? 0) }
}

const count = (outcomes: (string | undefined)[], outcome: string) =>
  outcomes.filter((o) => o === outcome).length

test('the same postback sent 6 times to two instances at once is credited once', {
  skip,
}, async () => {
  const user = uniqueTx('scale-user')
  const txIds = Array.from({ length: 20 }, () => uniqueTx('scale-dup'))
  const answers = await Promise.all(
    txIds.flatMap((tx_id) =>
      Array.from({ length: 6 }, (_, i) =>
        send(servers[i % 2] as RunningServer, { tx_id, user_id: user }).then((a) => ({
          tx_id,
          ...a,
        })),
      ),
    ),
  )
  assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]))
  for (const tx_id of txIds) {
    const outcomes = answers.filter((a) => a.tx_id === tx_id).map((a) => a.outcome)
    assert.equal(count(outcomes, 'credited'), 1, `${tx_id}: ${outcomes}`)
    assert.equal(count(outcomes, 'duplicate'), 5, `${tx_id}: ${outcomes}`)
  }
  assert.deepEqual(await balanceAndLedger(user), { balance: 20 * 350, ledger: 20 * 350 })
})

test('approvals and reversals of one conversion racing on two instances: reversed at most once', {
  skip,
}, async () => {
  const user = uniqueTx('scale-race')
  const txIds = Array.from({ length: 20 }, () => uniqueTx('scale-race'))
  const answers = await Promise.all(
    txIds.flatMap((tx_id) =>
      ['approved', 'reversed', 'approved', 'reversed'].map((status, i) =>
        send(servers[i % 2 === 0 ? 0 : 1] as RunningServer, { tx_id, user_id: user, status }).then(
          (a) => ({ tx_id, ...a }),
        ),
      ),
    ),
  )
  assert.deepEqual(new Set(answers.map((a) => a.status)), new Set([200]))
  for (const tx_id of txIds) {
    const outcomes = answers.filter((a) => a.tx_id === tx_id).map((a) => a.outcome)
    const credited = count(outcomes, 'credited')
    const reversed = count(outcomes, 'reversed')
    // Approval first: credited, then reversed. Reversal first: recorded as reversed, the
    // approvals ignored. Never credited without its reversal, never reversed twice.
    if (credited === 1) assert.equal(reversed, 1, `${tx_id}: ${outcomes}`)
    else assert.deepEqual([credited, reversed, count(outcomes, 'recorded')], [0, 0, 1])
  }
  const { rows } = await testDb.db.pool.query<{ status: string }>(
    'SELECT DISTINCT status FROM conversions WHERE tx_id = ANY($1)',
    [txIds],
  )
  assert.deepEqual(rows, [{ status: 'reversed' }])
  assert.deepEqual(await balanceAndLedger(user), { balance: 0, ledger: 0 })
})

test('the rate limit is one budget across both instances', { skip }, async () => {
  const from = freshAddress()
  const answers = await Promise.all(
    Array.from({ length: 3 * RATE_LIMIT_MAX }, (_, i) =>
      send(
        servers[i % 2] as RunningServer,
        { tx_id: uniqueTx('scale-limit'), user_id: 'limited' },
        from,
      ),
    ),
  )
  const accepted = answers.filter((a) => a.status === 200).length
  const limited = answers.filter((a) => a.status === 429 && a.outcome === 'RATE_LIMITED').length
  assert.equal(accepted, RATE_LIMIT_MAX, 'one budget of RATE_LIMIT_MAX, not one per instance')
  assert.equal(limited, 2 * RATE_LIMIT_MAX)
  const other = await send(servers[1] as RunningServer, { tx_id: uniqueTx('scale-limit') })
  assert.equal(other.status, 200, 'another address keeps its own budget')
})
