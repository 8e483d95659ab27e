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

// The admin API's counterparts of CLI commands: CSV export of a period, manual adjustments.

let t: TestApp
before(async () => {
  t = await createTestApp()
})
after(() => t.close())

const adjust = (userId: string, payload: Record<string, unknown>, headers = adminHeaders) =>
  t.app.inject({
    method: 'POST',
    url: `/admin/users/${encodeURIComponent(userId)}/adjustments`,
    headers,
    payload,
  })

test('GET /admin/conversions.csv exports the conversions of a period as CSV', async () => {
  const txs = [uniqueTx(), `=${uniqueTx()}`]
  for (const tx of txs) {
    const response = await t.app.inject(
      postbackUrl({ tx_id: tx, offer_id: 'o,1', payout: '1.50', user_id: 'csv-user' }),
    )
    assert.equal(response.headers['x-postback-outcome'], 'credited')
  }
  const today = new Date().toISOString().slice(0, 10)
  const response = await t.app.inject({
    url: `/admin/conversions.csv?from=${today}&to=${today}&tz=UTC`,
    headers: adminHeaders,
  })
  assert.equal(response.statusCode, 200)
  assert.match(String(response.headers['content-type']), /^text\/csv/)
  const lines = response.body.trim().split('\r\n')
  assert.equal(
    lines[0],
    'id,network,tx_id,offer_id,user_id,click_id,payout,currency,points,status,network_status,hold_reason,created_at,updated_at,created_at_local',
  )
  const mine = lines.filter((line) => line.includes('csv-user'))
  assert.equal(mine.length, 2)
  assert.match(
    mine[0] ?? '',
    new RegExp(`^\\d+,default,${txs[0]},"o,1",csv-user,,1.5,,150,approved,`),
  )
  assert.match(mine[1] ?? '', /^\d+,default,'=tx-/, 'a formula-looking id is defused')

  const before = await t.app.inject({
    url: '/admin/conversions.csv?from=2001-01-01&to=2001-01-02',
    headers: adminHeaders,
  })
  assert.equal(
    before.body.trim().split('\r\n').length,
    1,
    'a period without conversions has the header only',
  )
})

test('the CSV export needs the admin token and checks its period', async () => {
  const anonymous = await t.app.inject('/admin/conversions.csv')
  assert.equal(anonymous.statusCode, 401)
  const bad = await t.app.inject({
    url: '/admin/conversions.csv?from=yesterday&tz=Mars/Base',
    headers: adminHeaders,
  })
  assert.equal(bad.statusCode, 400)
  assert.match(bad.json().message, /from: must be a local date.*tz: must be an IANA time zone/)
})

test('POST /admin/users/:id/adjustments moves the balance once per reference', async () => {
  const user = uniqueTx('user')
  const created = await adjust(user, {
    points: -250,
    reason: 'chargeback outside the network',
    reference: `r-${user}`,
  })
  assert.equal(created.statusCode, 201)
  const { entryId, ...body } = created.json() as Record<string, unknown>
  assert.match(String(entryId), /^\d+$/)
  assert.deepEqual(body, {
    userId: user,
    points: -250,
    reason: 'chargeback outside the network',
    reference: `r-${user}`,
    balance: -250,
    duplicate: false,
    newUser: true,
  })
  const retried = await adjust(user, {
    points: '-250',
    reason: 'chargeback outside the network',
    reference: `r-${user}`,
  })
  assert.equal(retried.statusCode, 200)
  assert.equal(retried.json().duplicate, true)
  const reused = await adjust(user, { points: 10, reason: 'other', reference: `r-${user}` })
  assert.equal(reused.statusCode, 409)
  assert.equal(reused.json().code, 'REFERENCE_USED')
  assert.equal(await consistentBalance(t.testDb, user), -250)
  const { rows } = await t.testDb.db.pool.query(
    'SELECT created_by FROM ledger_entries WHERE user_id = $1',
    [user],
  )
  assert.match(rows[0]?.created_by, /^admin-api from /)
})

test('an adjustment needs a reason, whole non-zero points and the token', async () => {
  const user = uniqueTx('user')
  for (const payload of [
    { points: 5 },
    { points: 0, reason: 'x' },
    { points: 1.5, reason: 'x' },
    { points: '1e3', reason: 'x' },
  ]) {
    const response = await adjust(user, payload)
    assert.equal(response.statusCode, 400, JSON.stringify(payload))
    assert.equal(response.json().code, 'INVALID_FIELD')
  }
  assert.equal(
    (await adjust(user, { points: 5, reason: 'x' }, { authorization: 'Bearer nope' })).statusCode,
    401,
  )
  assert.equal(await consistentBalance(t.testDb, user), 0)
})
