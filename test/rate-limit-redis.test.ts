import assert from 'node:assert/strict'
import { once } from 'node:events'
import { after, before, test } from 'node:test'
import { Redis } from 'ioredis'
import { connectRedis } from '../src/http/redis.js'
import { buildAppOn, createTestApp, postbackUrl, type TestApp, uniqueTx } from './helpers/app.js'

// Redis runs on this machine (127.0.0.1:6379); keys are per source address, so each test uses
// an address of its own.
let t: TestApp
let redis: Redis
before(async () => {
  t = await createTestApp()
  redis = connectRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  await once(redis, 'ready')
})
after(async () => {
  redis.disconnect()
  await t.close()
})

const address = () =>
  `10.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`

test('with Redis, two instances share one rate limit per source address', async () => {
  const [a, b] = await Promise.all([
    buildAppOn(t.testDb, { RATE_LIMIT_MAX: '3' }, undefined, { redis }),
    buildAppOn(t.testDb, { RATE_LIMIT_MAX: '3' }, undefined, { redis }),
  ])
  try {
    const from = address()
    const send = (app: typeof a) =>
      app.inject({
        url: postbackUrl({ tx_id: uniqueTx(), offer_id: '1', payout: '1' }),
        remoteAddress: from,
      })
    const statuses = []
    for (const app of [a, b, a, b]) statuses.push((await send(app)).statusCode)
    assert.deepEqual(statuses, [200, 200, 200, 429])
    const other = await b.inject({
      url: postbackUrl({ tx_id: uniqueTx(), offer_id: '1', payout: '1' }),
      remoteAddress: address(),
    })
    assert.equal(other.statusCode, 200, 'another address has its own budget')
  } finally {
    await Promise.all([a.close(), b.close()])
  }
})

test('when Redis is unreachable, postbacks are not refused for it', async () => {
  const down = new Redis('redis://127.0.0.1:1', {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 200,
    lazyConnect: true,
  })
  down.on('error', () => {})
  const app = await buildAppOn(t.testDb, { RATE_LIMIT_MAX: '1' }, undefined, { redis: down })
  try {
    for (let i = 0; i < 2; i++) {
      const response = await app.inject({
        url: postbackUrl({ tx_id: uniqueTx(), offer_id: '1', payout: '1' }),
        remoteAddress: address(),
      })
      assert.equal(response.statusCode, 200)
    }
  } finally {
    await app.close()
    down.disconnect()
  }
})
