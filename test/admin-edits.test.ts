import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  adminHeaders,
  consistentBalance,
  createTestApp,
  postbackUrl,
  type TestApp,
  uniqueTx,
} from './helpers/app.js'

// The admin API's day-to-day edits: offers' expected payouts (listed and set, exact), and a
// manual adjustment that says when its user was never seen before.

let t: TestApp
before(async () => {
  t = await createTestApp()
})
after(() => t.close())

const admin = (method: 'GET' | 'PUT' | 'POST', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: adminHeaders, ...(payload ? { payload } : {}) })

test('expected payouts are set and listed exactly, by network, page by page', async () => {
  const set = (offerId: string, expectedPayout: string) =>
    admin('PUT', `/admin/offers/${offerId}`, { network: 'edits-net', expectedPayout })
  assert.equal((await set('o-small', '0.000001')).statusCode, 200)
  assert.equal((await set('o-large', '12345678901234.123456')).statusCode, 200)
  assert.equal((await set('o-plain', '3.50')).json().expectedPayout, '3.5')
  await admin('PUT', '/admin/offers/o-other', { network: 'other-net', expectedPayout: '1' })
  const { rows } = await t.testDb.db.pool.query<{ via: string; after: object }>(
    `SELECT via, after FROM audit_log WHERE action = 'offer.set' AND subject_id = 'edits-net/o-plain'`,
  )
  assert.match(rows[0]?.via ?? '', /^admin-api from /)
  assert.deepEqual(rows[0]?.after, { expectedPayout: '3.5' })

  const seen: [string, string][] = []
  let after: string | undefined
  do {
    const page = await admin(
      'GET',
      `/admin/offers?network=edits-net&limit=2${after ? `&after=${after}` : ''}`,
    )
    assert.equal(page.statusCode, 200)
    for (const item of page.json().items) seen.push([item.offerId, item.expectedPayout])
    after = page.json().nextAfter
  } while (after)
  assert.deepEqual(seen, [
    ['o-large', '12345678901234.123456'],
    ['o-plain', '3.5'],
    ['o-small', '0.000001'],
  ])
  const one = await admin('GET', '/admin/offers?network=edits-net&offerId=o-small')
  assert.deepEqual(
    one.json().items.map((o: { offerId: string }) => o.offerId),
    ['o-small'],
  )
  const bad = await admin('GET', '/admin/offers?after=not-a-cursor')
  assert.deepEqual([bad.statusCode, bad.json().fields[0].field], [400, 'after'])
  const inexact = await admin('PUT', '/admin/offers/o-x', { expectedPayout: '1.0000001' })
  assert.equal(inexact.statusCode, 400)
})

test('an adjustment says whether its user was ever seen (a balance or a conversion)', async () => {
  const stranger = uniqueTx('stranger')
  const adjust = (userId: string, reference?: string) =>
    admin('POST', `/admin/users/${userId}/adjustments`, {
      points: 10,
      reason: 'goodwill',
      reference,
    })
  const first = await adjust(stranger)
  assert.deepEqual([first.statusCode, first.json().newUser], [201, true])
  assert.equal((await adjust(stranger)).json().newUser, false, 'now it has a balance')

  const customer = uniqueTx('customer')
  const pending = await t.app.inject({
    url: postbackUrl({
      tx_id: uniqueTx(),
      offer_id: '1',
      payout: '1',
      user_id: customer,
      status: 'pending',
    }),
  })
  assert.equal(pending.headers['x-postback-outcome'], 'recorded')
  const known = await adjust(customer)
  assert.deepEqual([known.statusCode, known.json().newUser], [201, false])
  assert.equal(await consistentBalance(t.testDb, customer), 10)
})
