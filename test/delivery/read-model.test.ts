import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { attemptRowSchema, deliveryRowSchema } from '../../src/delivery/rows.js'
import { DeliveryRules } from '../../src/delivery/rules.js'
import { ADMIN_TOKEN, adminHeaders, buildAppOn, postbackUrl, uniqueTx } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { assertSchemaAgrees } from '../helpers/row-schemas.js'

// The outbox as operators read it (src/delivery/rows.ts) and the retry of a dead delivery
// (src/delivery/retry.ts), called by the admin API and the dashboard alike.

const form = { 'content-type': 'application/x-www-form-urlencoded' }
const DEAD = 35

let testDb: TestDatabase
let app: FastifyInstance
let cookie = ''
let csrf = ''
let wakes = 0
let conversionId = ''
let deadIds: string[] = []

before(async () => {
  testDb = await createTestDatabase()
  app = await buildAppOn(testDb, { AUTH_FAILURE_MAX: '2' }, undefined, {
    deliveries: {
      rules: new DeliveryRules([]),
      wake: () => {
        wakes += 1
      },
    },
  })
  const signIn = await app.inject({
    method: 'POST',
    url: '/dashboard/login',
    headers: form,
    payload: new URLSearchParams({ token: ADMIN_TOKEN, next: '/dashboard' }).toString(),
  })
  cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? ''
  const page = await app.inject({ url: '/dashboard/deliveries', headers: { cookie } })
  csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
  assert.ok(csrf, 'signed in to the dashboard')

  const tx = uniqueTx('outbox')
  const recorded = await app.inject(
    postbackUrl({ tx_id: tx, user_id: 'u', offer_id: 'o', payout: '1' }),
  )
  assert.equal(recorded.statusCode, 200)
  const { rows } = await testDb.db.pool.query<{ id: string }>(
    'SELECT id::text FROM conversions WHERE tx_id = $1',
    [tx],
  )
  conversionId = rows[0]?.id ?? ''
  // More than 9 (ids 10 and up), more than a page of the admin API and of the dashboard.
  const dead = await testDb.db.pool.query<{ id: string }>(
    `WITH d AS (INSERT INTO deliveries (conversion_id, rule, event, data, state, attempts, max_attempts, last_status, last_error)
                SELECT $1, 'crm', 'credited', '{}', 'dead', 3, 3, 502, 'HTTP 502'
                FROM generate_series(1, ${DEAD}) RETURNING id)
     , a AS (INSERT INTO delivery_attempts (delivery_id, attempt, started_at, url, status_code, latency_ms, error)
             SELECT id, 1, now(), 'https://crm.example/hook', 502, 40, 'HTTP 502' FROM d)
     SELECT id::text FROM d ORDER BY id`,
    [conversionId],
  )
  deadIds = dead.rows.map((row) => row.id)
})
after(async () => {
  await app?.close()
  await testDb?.drop()
})

const byNumber = (ids: string[], order: 'asc' | 'desc') =>
  [...ids].sort((a, b) => (order === 'asc' ? 1 : -1) * (Number(a) - Number(b)))

test('the deliveries and delivery_attempts row schemas allow NULL exactly where the tables do', async () => {
  await assertSchemaAgrees(testDb.db.pool, 'deliveries', deliveryRowSchema)
  await assertSchemaAgrees(testDb.db.pool, 'delivery_attempts', attemptRowSchema)
})

test('when more than 9 deliveries exist, then the admin API and the dashboard page through all of them in id order', async () => {
  const seen: string[] = []
  let before = ''
  for (let pages = 0; pages < 20; pages += 1) {
    const response = await app.inject({
      url: `/admin/deliveries?state=dead&limit=5${before ? `&before=${before}` : ''}`,
      headers: adminHeaders,
    })
    assert.equal(response.statusCode, 200, response.body)
    const { items, nextBefore } = response.json()
    seen.push(...items.map((item: { id: string }) => item.id))
    if (!nextBefore) break
    before = nextBefore
  }
  assert.deepEqual(seen, byNumber(deadIds, 'desc'))

  const ofConversion = await app.inject({
    url: `/admin/conversions/${conversionId}/deliveries`,
    headers: adminHeaders,
  })
  const items = ofConversion.json().items as { id: string; attemptLog: unknown[] }[]
  assert.deepEqual(
    items.map((item) => item.id),
    byNumber(deadIds, 'asc'),
  )
  assert.ok(items.every((item) => item.attemptLog.length === 1))

  const shown: string[] = []
  let url = '/dashboard/deliveries?state=dead'
  for (let pages = 0; pages < 5; pages += 1) {
    const page = await app.inject({ url, headers: { cookie } })
    assert.equal(page.statusCode, 200)
    shown.push(...[...page.body.matchAll(/id="delivery-(\d+)"/g)].map((m) => m[1] ?? ''))
    const older = /href="(\/dashboard\/deliveries\?[^"]+)">Older/.exec(page.body)?.[1]
    if (!older) break
    url = older.replaceAll('&amp;', '&')
  }
  assert.deepEqual(shown, byNumber(deadIds, 'desc'))
})

test('when the loopback address is locked out for wrong admin tokens, then the dashboard still retries a dead delivery', async () => {
  // The dashboard's requests are checked by its session cookie; the lock is the admin API's.
  for (let i = 0; i < 3; i += 1)
    await app.inject({ url: '/admin/deliveries', headers: { authorization: 'Bearer wrong' } })
  const locked = await app.inject({ url: '/admin/deliveries', headers: adminHeaders })
  assert.equal(locked.statusCode, 429)

  const [id] = deadIds
  const wakesBefore = wakes
  const retry = (target: string) =>
    app.inject({
      method: 'POST',
      url: `/dashboard/deliveries/${target}/retry`,
      headers: { cookie, ...form },
      payload: new URLSearchParams({ _csrf: csrf }).toString(),
    })
  const first = await retry(id ?? '')
  assert.equal(first.statusCode, 303)
  assert.equal(first.headers.location, '/dashboard/deliveries?state=failing&notice=retried')
  const { rows } = await testDb.db.pool.query<{ state: string; attempts: number }>(
    'SELECT state, attempts FROM deliveries WHERE id = $1',
    [id],
  )
  assert.deepEqual(rows, [{ state: 'pending', attempts: 0 }])
  assert.equal(wakes, wakesBefore + 1, 'the worker is woken')

  const again = await retry(id ?? '')
  assert.equal(again.headers.location, '/dashboard/deliveries?state=dead&notice=not-dead')
  const missing = await retry('999999999')
  assert.equal(missing.statusCode, 404)
  assert.match(missing.body, /no delivery with id 999999999/)
})
