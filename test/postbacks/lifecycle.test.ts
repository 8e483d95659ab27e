import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  balanceOf,
  buildAppOn,
  createTestApp,
  postbackUrl,
  SECRET,
  type TestApp,
  uniqueTx,
} from '../helpers/app.js'

let t: TestApp
before(async () => {
  t = await createTestApp()
})
after(() => t.close())

async function send(fields: Record<string, string>, app = t.app) {
  const response = await app.inject({
    url: postbackUrl(fields),
    headers: { accept: 'application/json' },
  })
  return {
    status: response.statusCode,
    outcome: response.headers['x-postback-outcome'],
    body: response.json(),
  }
}

async function conversion(txId: string) {
  const { rows } = await t.testDb.db.pool.query(
    'SELECT status, payout::text, points::int, user_id FROM conversions WHERE network = $1 AND tx_id = $2',
    ['default', txId],
  )
  return rows[0]
}

async function expectBalance(userId: string, points: number) {
  const { balance, ledger } = await balanceOf(t.testDb, userId)
  assert.equal(balance, points, `balance of ${userId}`)
  assert.equal(ledger, points, `ledger sum of ${userId}`)
}

test("the seed's example credits 350 points; sending it again credits nothing", async () => {
  const user = uniqueTx('testuser')
  const url = `/api/postback?click_id=test123&offer_id=1&payout=3.50&tx_id=${uniqueTx('test_txn')}&user_id=${user}&secret=${SECRET}`
  const first = await t.app.inject(url)
  assert.equal(first.statusCode, 200)
  assert.equal(first.body, 'OK')
  assert.equal(first.headers['x-postback-outcome'], 'credited')
  assert.match(String(first.headers['content-type']), /^text\/plain/)
  const second = await t.app.inject(url)
  assert.equal(second.statusCode, 200)
  assert.equal(second.headers['x-postback-outcome'], 'duplicate')
  await expectBalance(user, 350)
})

test('when asked for JSON, the answer names the outcome, conversion and points', async () => {
  const tx = uniqueTx()
  const answer = await send({ tx_id: tx, offer_id: '1', payout: '0.25', user_id: uniqueTx('u') })
  assert.equal(answer.status, 200)
  assert.equal(answer.body.status, 'ok')
  assert.equal(answer.body.outcome, 'credited')
  assert.equal(answer.body.points, 25)
  assert.match(answer.body.conversionId, /^\d+$/)
})

test('when pending then approved, the user is credited once, at approval', async () => {
  const tx = uniqueTx()
  const user = uniqueTx('u')
  assert.equal(
    (await send({ tx_id: tx, offer_id: '1', payout: '2', user_id: user, status: 'pending' }))
      .outcome,
    'recorded',
  )
  await expectBalance(user, 0)
  assert.equal(
    (await send({ tx_id: tx, offer_id: '1', payout: '2', user_id: user, status: 'pending' }))
      .outcome,
    'duplicate',
  )
  assert.equal(
    (await send({ tx_id: tx, offer_id: '1', payout: '2.5', user_id: user, status: 'approved' }))
      .outcome,
    'credited',
  )
  await expectBalance(user, 250)
  assert.deepEqual(await conversion(tx), {
    status: 'approved',
    payout: '2.500000',
    points: 250,
    user_id: user,
  })
})

test('when the approval omits the user that the pending postback named, that user is credited', async () => {
  const tx = uniqueTx()
  const user = uniqueTx('u')
  await send({ tx_id: tx, offer_id: '1', payout: '1', user_id: user, status: 'pending' })
  assert.equal(
    (await send({ tx_id: tx, offer_id: '1', payout: '1', status: 'approved' })).outcome,
    'credited',
  )
  await expectBalance(user, 100)
})

test('when approved then reversed, exactly the credited points are taken back, once', async () => {
  const tx = uniqueTx()
  const user = uniqueTx('u')
  await send({ tx_id: tx, offer_id: '1', payout: '1.99', user_id: user })
  await expectBalance(user, 199)
  const reversal = await send({
    tx_id: tx,
    offer_id: '1',
    payout: '1.99',
    user_id: user,
    status: 'reversed',
  })
  assert.equal(reversal.outcome, 'reversed')
  assert.equal(reversal.body.points, -199)
  assert.equal(
    (await send({ tx_id: tx, offer_id: '1', payout: '1.99', user_id: user, status: 'chargeback' }))
      .outcome,
    'duplicate',
  )
  await expectBalance(user, 0)
  assert.equal(
    (await send({ tx_id: tx, offer_id: '1', payout: '1.99', user_id: user })).outcome,
    'ignored',
  )
  await expectBalance(user, 0)
  assert.equal((await conversion(tx)).status, 'reversed')
})

test('when a reversal arrives before its conversion, it is recorded and the later approval is ignored', async () => {
  const tx = uniqueTx()
  const user = uniqueTx('u')
  const early = await send({
    tx_id: tx,
    offer_id: '1',
    payout: '1',
    user_id: user,
    status: 'rejected',
  })
  assert.equal(early.outcome, 'recorded')
  assert.match(early.body.message, /before its conversion/)
  assert.equal(
    (await send({ tx_id: tx, offer_id: '1', payout: '1', user_id: user })).outcome,
    'ignored',
  )
  await expectBalance(user, 0)
})

test('when pending then reversed, no money moves', async () => {
  const tx = uniqueTx()
  const user = uniqueTx('u')
  await send({ tx_id: tx, offer_id: '1', payout: '1', user_id: user, status: 'hold' })
  assert.equal(
    (await send({ tx_id: tx, offer_id: '1', payout: '1', user_id: user, status: 'declined' }))
      .outcome,
    'reversed',
  )
  await expectBalance(user, 0)
  assert.equal((await conversion(tx)).status, 'reversed')
})

test('when approved then pending, the step back is ignored', async () => {
  const tx = uniqueTx()
  const user = uniqueTx('u')
  await send({ tx_id: tx, offer_id: '1', payout: '1', user_id: user })
  assert.equal(
    (await send({ tx_id: tx, offer_id: '1', payout: '1', user_id: user, status: 'pending' }))
      .outcome,
    'ignored',
  )
  await expectBalance(user, 100)
  assert.equal((await conversion(tx)).status, 'approved')
})

test('when CREDIT_PENDING is on, pending credits at once, approval adds nothing, reversal takes it back', async () => {
  const app = await buildAppOn(t.testDb, { CREDIT_PENDING: 'true' })
  try {
    const tx = uniqueTx()
    const user = uniqueTx('u')
    assert.equal(
      (await send({ tx_id: tx, offer_id: '1', payout: '1', user_id: user, status: 'pending' }, app))
        .outcome,
      'credited',
    )
    await expectBalance(user, 100)
    assert.equal(
      (await send({ tx_id: tx, offer_id: '1', payout: '1', user_id: user }, app)).outcome,
      'recorded',
    )
    await expectBalance(user, 100)
    assert.equal(
      (await send({ tx_id: tx, offer_id: '1', payout: '1', user_id: user, status: '2' }, app))
        .outcome,
      'reversed',
    )
    await expectBalance(user, 0)
  } finally {
    await app.close()
  }
})

test('when no user_id is sent, sub1 is the user; with neither, the conversion is recorded uncredited', async () => {
  const user = uniqueTx('sub1-user')
  assert.equal(
    (await send({ tx_id: uniqueTx(), offer_id: '1', payout: '1', sub1: user })).outcome,
    'credited',
  )
  await expectBalance(user, 100)
  const tx = uniqueTx()
  const nobody = await send({ tx_id: tx, offer_id: '1', payout: '1' })
  assert.equal(nobody.outcome, 'recorded')
  assert.match(nobody.body.message, /no user_id/)
  assert.equal((await conversion(tx)).user_id, null)
})

test('when the same transaction comes back with another payout or user, it is a duplicate and the log says what differed', async () => {
  const tx = uniqueTx()
  const user = uniqueTx('u')
  await send({ tx_id: tx, offer_id: '1', payout: '3.50', user_id: user })
  const repeat = await send({ tx_id: tx, offer_id: '1', payout: '35.00', user_id: 'someone-else' })
  assert.equal(repeat.outcome, 'duplicate')
  assert.match(
    repeat.body.message,
    /MISMATCH: payout 35.00 differs from the recorded 3.5; user_id someone-else differs/,
  )
  await expectBalance(user, 350)
  await expectBalance('someone-else', 0)
  const { rows } = await t.testDb.db.pool.query(
    "SELECT message FROM postback_log WHERE tx_id = $1 AND outcome = 'duplicate'",
    [tx],
  )
  assert.equal(rows.length, 1)
  assert.match(rows[0].message, /MISMATCH/)
})

test('a transaction id is scoped per network: aliases transaction_id and txid name the same field', async () => {
  const tx = uniqueTx()
  const user = uniqueTx('u')
  assert.equal(
    (await send({ transaction_id: tx, offer_id: '1', payout: '1', user_id: user })).outcome,
    'credited',
  )
  assert.equal(
    (await send({ txid: tx, offer_id: '1', payout: '1', user_id: user })).outcome,
    'duplicate',
  )
  await expectBalance(user, 100)
})

test('POST bodies work as form and as JSON, with the query string counting too', async () => {
  const user = uniqueTx('u')
  const form = await t.app.inject({
    method: 'POST',
    url: `/api/postback?secret=${SECRET}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      tx_id: uniqueTx(),
      offer_id: '1',
      payout: '0.10',
      user_id: user,
    }).toString(),
  })
  assert.equal(form.statusCode, 200)
  assert.equal(form.headers['x-postback-outcome'], 'credited')
  const json = await t.app.inject({
    method: 'POST',
    url: '/api/postback/default',
    payload: { tx_id: uniqueTx(), offer_id: 1, payout: '0.20', user_id: user, secret: SECRET },
  })
  assert.equal(json.statusCode, 200)
  assert.equal(json.headers['x-postback-outcome'], 'credited')
  await expectBalance(user, 30)
})

test('every accepted postback is in the raw log, in the same transaction as its conversion', async () => {
  const tx = uniqueTx()
  await send({ tx_id: tx, offer_id: '1', payout: '1', user_id: uniqueTx('u') })
  const { rows } = await t.testDb.db.pool.query(
    `SELECT l.status_code, l.outcome, l.network, l.method, l.path, l.source_ip, l.conversion_id = c.id AS linked
     FROM postback_log l JOIN conversions c ON c.tx_id = l.tx_id WHERE l.tx_id = $1`,
    [tx],
  )
  assert.deepEqual(rows, [
    {
      status_code: 200,
      outcome: 'credited',
      network: 'default',
      method: 'GET',
      path: '/api/postback',
      source_ip: '127.0.0.1',
      linked: true,
    },
  ])
})

test('points follow POINTS_PER_UNIT and round down', async () => {
  const app = await buildAppOn(t.testDb, { POINTS_PER_UNIT: '1000' })
  try {
    const user = uniqueTx('u')
    await send({ tx_id: uniqueTx(), offer_id: '1', payout: '0.0299', user_id: user }, app)
    await expectBalance(user, 29)
  } finally {
    await app.close()
  }
})
