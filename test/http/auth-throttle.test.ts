import assert from 'node:assert/strict'
import { once } from 'node:events'
import { after, before, test } from 'node:test'
import { Redis } from 'ioredis'
import { connectRedis } from '../../src/http/redis.js'
import {
  ADMIN_TOKEN,
  adminHeaders,
  buildAppOn,
  createTestApp,
  type TestApp,
} from '../helpers/app.js'

// Guessing ADMIN_TOKEN: after AUTH_FAILURE_MAX wrong tokens from one address within
// AUTH_FAILURE_WINDOW, that address gets 429 + Retry-After (right token or not) until the
// window ends; other addresses and right tokens are unaffected.
const WINDOW_MS = 1500
const settings = { AUTH_FAILURE_MAX: '3', AUTH_FAILURE_WINDOW: `${WINDOW_MS} ms` }
const form = { 'content-type': 'application/x-www-form-urlencoded' }
let t: TestApp
before(async () => {
  t = await createTestApp(settings)
})
after(() => t.close())

let counter = 0
/** An address no other test uses (the counts are per address, and Redis keeps them). */
const address = () => {
  counter += 1
  return `10.${process.pid % 250}.${Math.floor(Math.random() * 250)}.${counter}`
}
const wrong = { authorization: 'Bearer not-the-admin-token-at-all' }
const admin = (app: TestApp['app'], from: string, headers: Record<string, string>) =>
  app.inject({ url: '/admin/stats', headers, remoteAddress: from })
const signIn = (app: TestApp['app'], from: string, token: string) =>
  app.inject({
    method: 'POST',
    url: '/dashboard/login',
    headers: form,
    payload: new URLSearchParams({ token, next: '/dashboard' }).toString(),
    remoteAddress: from,
  })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

test('repeated wrong admin tokens get 429 with Retry-After; the right token from another address still works; the count resets after the window', async () => {
  const attacker = address()
  const statuses = []
  for (let i = 0; i < 5; i++) statuses.push((await admin(t.app, attacker, wrong)).statusCode)
  assert.deepEqual(statuses, [401, 401, 401, 429, 429])
  const blocked = await admin(t.app, attacker, adminHeaders)
  assert.equal(
    blocked.statusCode,
    429,
    'a blocked address learns nothing, even with the right token',
  )
  assert.equal(blocked.json().code, 'TOO_MANY_AUTH_FAILURES')
  const retryAfter = Number(blocked.headers['retry-after'])
  assert.ok(retryAfter >= 1 && retryAfter <= 2, `Retry-After ${retryAfter}`)
  assert.equal((await admin(t.app, address(), adminHeaders)).statusCode, 200)
  // Deliveries admin routes share the same count.
  const deliveries = await t.app.inject({
    url: '/admin/deliveries',
    headers: adminHeaders,
    remoteAddress: attacker,
  })
  assert.equal(deliveries.statusCode, 429)

  await sleep(WINDOW_MS + 200)
  assert.equal((await admin(t.app, attacker, adminHeaders)).statusCode, 200)
  assert.equal((await admin(t.app, attacker, wrong)).statusCode, 401, 'a fresh window')
})

test('right tokens never count, and clear the mistakes before them; a missing header guesses nothing', async () => {
  const operator = address()
  for (let i = 0; i < 30; i++)
    assert.equal((await admin(t.app, operator, adminHeaders)).statusCode, 200)
  for (let round = 0; round < 3; round++) {
    assert.equal((await admin(t.app, operator, wrong)).statusCode, 401)
    assert.equal((await admin(t.app, operator, wrong)).statusCode, 401)
    assert.equal((await admin(t.app, operator, adminHeaders)).statusCode, 200)
  }
  for (let i = 0; i < 5; i++) assert.equal((await admin(t.app, operator, {})).statusCode, 401)
})

test('dashboard sign-in: wrong tokens get 429 and a page that says so; another address signs in; admin API mistakes count too', async () => {
  const attacker = address()
  assert.equal((await admin(t.app, attacker, wrong)).statusCode, 401)
  assert.equal((await signIn(t.app, attacker, 'guess-one')).statusCode, 401)
  assert.equal((await signIn(t.app, attacker, 'guess-two')).statusCode, 401)
  const blocked = await signIn(t.app, attacker, ADMIN_TOKEN)
  assert.equal(blocked.statusCode, 429)
  assert.ok(Number(blocked.headers['retry-after']) >= 1)
  assert.equal(blocked.headers['set-cookie'], undefined)
  assert.match(blocked.body, /Too many wrong tokens from your address: try again in \d+ s\./)
  const other = await signIn(t.app, address(), ADMIN_TOKEN)
  assert.equal(other.statusCode, 303)
  assert.match(String(other.headers['set-cookie']), /pbr_dashboard=/)

  await sleep(WINDOW_MS + 200)
  assert.equal((await signIn(t.app, attacker, ADMIN_TOKEN)).statusCode, 303)
})

test('with Redis, instances share the count of wrong tokens', async () => {
  const redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  await once(redis, 'ready')
  const [a, b] = await Promise.all([
    buildAppOn(t.testDb, settings, undefined, { redis }),
    buildAppOn(t.testDb, settings, undefined, { redis }),
  ])
  try {
    const attacker = address()
    const statuses = []
    for (const app of [a, b, a, b]) statuses.push((await admin(app, attacker, wrong)).statusCode)
    assert.deepEqual(statuses, [401, 401, 401, 429])
    assert.equal((await signIn(a, attacker, ADMIN_TOKEN)).statusCode, 429)
    assert.equal((await admin(b, address(), adminHeaders)).statusCode, 200)
  } finally {
    await Promise.all([a.close(), b.close()])
    redis.disconnect()
  }
})

test('with Redis unreachable, each instance still counts on its own', async () => {
  const down = new Redis('redis://127.0.0.1:1', {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 200,
    lazyConnect: true,
  })
  down.on('error', () => {})
  const app = await buildAppOn(t.testDb, settings, undefined, { redis: down })
  try {
    const attacker = address()
    const statuses = []
    for (let i = 0; i < 4; i++) statuses.push((await admin(app, attacker, wrong)).statusCode)
    assert.deepEqual(statuses, [401, 401, 401, 429])
    assert.equal((await admin(app, address(), adminHeaders)).statusCode, 200)
  } finally {
    await app.close()
    down.disconnect()
  }
})
