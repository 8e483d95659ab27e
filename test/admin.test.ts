import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import {
  ADMIN_TOKEN,
  adminHeaders,
  balanceOf,
  buildAppOn,
  createTestApp,
  postbackUrl,
  SECRET,
  type TestApp,
  uniqueTx,
} from './helpers/app.js'

// The operator API: who may call it, what it lists, and how held conversions are reviewed.
let t: TestApp
let app: FastifyInstance
before(async () => {
  t = await createTestApp()
  app = t.app
})
after(() => t.close())

const json = { accept: 'application/json' }

/** Sends one postback to the given app (the file's own by default) and returns its answer. */
function postback(fields: Record<string, string>, target: FastifyInstance = app) {
  return target.inject({ url: postbackUrl(fields), headers: json })
}

/** A user no other test touches. */
function uniqueUser(prefix = 'user'): string {
  return uniqueTx(prefix)
}

async function conversionRow(id: string) {
  const { rows } = await t.testDb.db.pool.query<{
    status: string
    points: string
    hold_reason: string | null
  }>('SELECT status, points::text, hold_reason FROM conversions WHERE id = $1', [id])
  return rows[0]
}

async function storedOffer(offerId: string) {
  const { rows } = await t.testDb.db.pool.query<{ expected: string }>(
    `SELECT expected_payout::text AS expected FROM offers WHERE network = 'default' AND offer_id = $1`,
    [offerId],
  )
  return rows[0]?.expected
}

function putOffer(
  offerId: string,
  payload: unknown,
  headers: Record<string, string> = adminHeaders,
) {
  return app.inject({
    method: 'PUT',
    url: `/admin/offers/${offerId}`,
    headers,
    payload: payload as Record<string, unknown>,
  })
}

function review(id: string, verdict: 'approve' | 'reject') {
  return app.inject({
    method: 'POST',
    url: `/admin/conversions/${id}/${verdict}`,
    headers: adminHeaders,
  })
}

// --- authentication ---------------------------------------------------------------------------

const UNAUTHORIZED = {
  statusCode: 401,
  code: 'UNAUTHORIZED',
  error: 'Unauthorized',
  message:
    'send Authorization: Bearer <ADMIN_TOKEN> or an API token that is neither revoked nor expired',
}

test('when an admin route is called without a token, then 401 UNAUTHORIZED with WWW-Authenticate', async () => {
  for (const url of ['/admin/users/anyone', '/admin/conversions', '/admin/postbacks']) {
    const response = await app.inject({ url })
    assert.equal(response.statusCode, 401, url)
    assert.equal(response.headers['www-authenticate'], 'Bearer', url)
    assert.deepEqual(response.json(), UNAUTHORIZED, url)
  }
})

test('when an admin route is called with a wrong or malformed token, then 401 UNAUTHORIZED', async () => {
  const wrong = [
    'Bearer not-the-admin-token',
    `Bearer ${ADMIN_TOKEN}x`,
    `Bearer ${ADMIN_TOKEN.slice(0, -1)}`,
    `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}`,
    ADMIN_TOKEN,
    'Bearer ',
  ]
  for (const authorization of wrong) {
    const response = await app.inject({ url: '/admin/conversions', headers: { authorization } })
    assert.equal(response.statusCode, 401, authorization)
    assert.equal(response.headers['www-authenticate'], 'Bearer', authorization)
    assert.deepEqual(response.json(), UNAUTHORIZED, authorization)
    assert.ok(!response.body.includes(ADMIN_TOKEN), 'the answer does not echo the token')
  }
})

test('when the token is wrong, then PUT /admin/offers stores nothing and approve changes nothing', async () => {
  const offerId = uniqueTx('offer')
  const put = await putOffer(offerId, { expectedPayout: '1.00' }, { authorization: 'Bearer nope' })
  assert.equal(put.statusCode, 401)
  assert.equal(await storedOffer(offerId), undefined)

  await putOffer(offerId, { expectedPayout: '1.00' })
  const userId = uniqueUser()
  const held = await postback({
    tx_id: uniqueTx(),
    offer_id: offerId,
    payout: '5',
    user_id: userId,
  })
  assert.equal(held.json().outcome, 'held')
  const { conversionId } = held.json()
  const approve = await app.inject({
    method: 'POST',
    url: `/admin/conversions/${conversionId}/approve`,
    headers: { authorization: 'Bearer nope' },
  })
  assert.equal(approve.statusCode, 401)
  assert.equal((await conversionRow(conversionId))?.status, 'held')
  assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 0, ledger: 0 })
})

test('when the app is built without ADMIN_TOKEN, then admin routes answer 404 even with a token', async () => {
  const noAdmin = await buildAppOn(t.testDb, { ADMIN_TOKEN: '' })
  try {
    for (const [method, url] of [
      ['GET', '/admin/users/anyone'],
      ['GET', '/admin/conversions'],
      ['GET', '/admin/postbacks'],
      ['PUT', '/admin/offers/some-offer'],
      ['POST', '/admin/conversions/1/approve'],
    ] as const) {
      const response = await noAdmin.inject({
        method,
        url,
        headers: adminHeaders,
        ...(method === 'PUT' ? { payload: { expectedPayout: '1.00' } } : {}),
      })
      assert.equal(response.statusCode, 404, url)
      assert.deepEqual(response.json(), {
        statusCode: 404,
        code: 'NOT_FOUND',
        error: 'Not Found',
        message: `no route for ${method} ${url}`,
      })
    }
    assert.equal(await storedOffer('some-offer'), undefined)
  } finally {
    await noAdmin.close()
  }
})

// --- users ------------------------------------------------------------------------------------

test('when a user was credited twice and reversed once, then GET /admin/users/:userId shows balance and entries', async () => {
  const userId = uniqueUser()
  const first = uniqueTx()
  const a = await postback({ tx_id: first, offer_id: 'o-1', payout: '1.25', user_id: userId })
  const b = await postback({ tx_id: uniqueTx(), offer_id: 'o-2', payout: '2', user_id: userId })
  const c = await postback({
    tx_id: first,
    offer_id: 'o-1',
    payout: '1.25',
    user_id: userId,
    status: 'chargeback',
  })
  assert.deepEqual(
    [a.json().outcome, b.json().outcome, c.json().outcome],
    ['credited', 'credited', 'reversed'],
  )

  const response = await app.inject({ url: `/admin/users/${userId}`, headers: adminHeaders })
  assert.equal(response.statusCode, 200)
  const body = response.json()
  assert.deepEqual(Object.keys(body).sort(), ['balance', 'entries', 'userId'])
  assert.equal(body.userId, userId)
  assert.equal(body.balance, 200)
  assert.deepEqual(
    body.entries.map((e: { kind: string; points: number; conversionId: string }) => [
      e.kind,
      e.points,
      e.conversionId,
    ]),
    [
      ['reversal', -125, a.json().conversionId],
      ['credit', 200, b.json().conversionId],
      ['credit', 125, a.json().conversionId],
    ],
  )
  for (const entry of body.entries) assert.ok(!Number.isNaN(Date.parse(entry.createdAt)))
  assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 200, ledger: 200 })
})

test('when the user has never been credited, then GET /admin/users/:userId answers 404 USER_NOT_FOUND', async () => {
  const userId = uniqueUser('nobody')
  const response = await app.inject({ url: `/admin/users/${userId}`, headers: adminHeaders })
  assert.equal(response.statusCode, 404)
  assert.deepEqual(response.json(), {
    statusCode: 404,
    code: 'USER_NOT_FOUND',
    error: 'Not Found',
    message: `user ${userId} has no balance and no ledger entries`,
  })
})

// --- conversions: filters and pages ----------------------------------------------------------

test('when conversions are filtered by network, txId, userId and status, then only matching ones are listed', async () => {
  const userId = uniqueUser()
  const offerId = uniqueTx('offer')
  await putOffer(offerId, { expectedPayout: '1.00' })
  const approvedTx = uniqueTx()
  const approved = await postback({
    tx_id: approvedTx,
    offer_id: offerId,
    payout: '1',
    user_id: userId,
  })
  const pendingTx = uniqueTx()
  const pending = await postback({
    tx_id: pendingTx,
    offer_id: offerId,
    payout: '1',
    user_id: userId,
    status: 'pending',
  })
  const held = await postback({
    tx_id: uniqueTx(),
    offer_id: offerId,
    payout: '9',
    user_id: userId,
  })
  const other = await postback({
    tx_id: uniqueTx(),
    offer_id: offerId,
    payout: '1',
    user_id: uniqueUser(),
  })
  assert.deepEqual(
    [approved, pending, held, other].map((r) => r.json().outcome),
    ['credited', 'recorded', 'held', 'credited'],
  )

  const list = async (query: string) => {
    const response = await app.inject({ url: `/admin/conversions?${query}`, headers: adminHeaders })
    assert.equal(response.statusCode, 200, query)
    return response.json().items as { id: string; txId: string; status: string }[]
  }
  const ids = (items: { id: string }[]) => items.map((item) => item.id)

  assert.deepEqual(ids(await list(`userId=${userId}`)), [
    held.json().conversionId,
    pending.json().conversionId,
    approved.json().conversionId,
  ])
  assert.deepEqual(ids(await list(`userId=${userId}&status=held`)), [held.json().conversionId])
  assert.deepEqual(ids(await list(`userId=${userId}&status=pending`)), [
    pending.json().conversionId,
  ])
  assert.deepEqual(ids(await list(`userId=${userId}&status=approved`)), [
    approved.json().conversionId,
  ])
  assert.deepEqual(ids(await list(`userId=${userId}&status=rejected`)), [])

  const byTx = await list(`txId=${approvedTx}`)
  assert.equal(byTx.length, 1)
  assert.deepEqual(
    {
      ...byTx[0],
      createdAt: undefined,
      updatedAt: undefined,
    },
    {
      id: approved.json().conversionId,
      network: 'default',
      txId: approvedTx,
      offerId,
      userId,
      clickId: null,
      payout: '1',
      currency: null,
      points: 100,
      status: 'approved',
      networkStatus: null,
      holdReason: null,
      subs: [null, null, null, null, null],
      createdAt: undefined,
      updatedAt: undefined,
    },
  )
  assert.deepEqual(ids(await list(`network=default&txId=${pendingTx}`)), [
    pending.json().conversionId,
  ])
  assert.deepEqual(ids(await list(`network=elsewhere&txId=${pendingTx}`)), [])
  assert.deepEqual(ids(await list(`txId=${approvedTx}&userId=${uniqueUser()}`)), [])
})

test('when conversions span several pages, then limit + before walk them newest first without gaps', async () => {
  const userId = uniqueUser()
  const created: string[] = []
  for (let i = 0; i < 5; i += 1) {
    const response = await postback({
      tx_id: uniqueTx(),
      offer_id: 'paged',
      payout: '1',
      user_id: userId,
    })
    assert.equal(response.statusCode, 200)
    created.push(response.json().conversionId)
  }
  const newestFirst = [...created].reverse()

  const page = async (before?: string) => {
    const cursor = before ? `&before=${before}` : ''
    const response = await app.inject({
      url: `/admin/conversions?userId=${userId}&limit=2${cursor}`,
      headers: adminHeaders,
    })
    assert.equal(response.statusCode, 200)
    const body = response.json()
    return { ids: body.items.map((item: { id: string }) => item.id), nextBefore: body.nextBefore }
  }
  const first = await page()
  assert.deepEqual(first, { ids: newestFirst.slice(0, 2), nextBefore: newestFirst[1] })
  const second = await page(first.nextBefore)
  assert.deepEqual(second, { ids: newestFirst.slice(2, 4), nextBefore: newestFirst[3] })
  const third = await page(second.nextBefore)
  assert.deepEqual(third, { ids: newestFirst.slice(4), nextBefore: undefined })
})

test('when the status filter or the limit is not valid, then 400 INVALID_FIELD names the field', async () => {
  const cases: [string, string][] = [
    ['status=paid', 'status'],
    ['status=', 'status'],
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['limit=-1', 'limit'],
    ['before=abc', 'before'],
    ['before=-1', 'before'],
  ]
  for (const [query, field] of cases) {
    const response = await app.inject({ url: `/admin/conversions?${query}`, headers: adminHeaders })
    assert.equal(response.statusCode, 400, query)
    const body = response.json()
    assert.equal(body.code, 'INVALID_FIELD', query)
    assert.deepEqual(
      body.fields.map((f: { field: string; code: string }) => [f.field, f.code]),
      [[field, 'INVALID_FIELD']],
      query,
    )
    assert.match(body.message, new RegExp(`^${field}: `), query)
  }
})

test('when an admin filter or id contains a NUL byte, then 400 INVALID_FIELD, never 500', {}, async () => {
  const requests = [
    { method: 'GET' as const, url: '/admin/users/a%00b' },
    { method: 'GET' as const, url: '/admin/conversions?txId=a%00b' },
    { method: 'GET' as const, url: '/admin/conversions?userId=a%00b' },
    { method: 'GET' as const, url: '/admin/postbacks?outcome=a%00b' },
    { method: 'PUT' as const, url: '/admin/offers/a%00b', payload: { expectedPayout: '1.00' } },
  ]
  for (const request of requests) {
    const response = await app.inject({ ...request, headers: adminHeaders })
    assert.equal(response.statusCode, 400, request.url)
    assert.equal(response.json().code, 'INVALID_FIELD', request.url)
  }
})

// --- postback log -------------------------------------------------------------------------------

test('when a postback is refused for its secret, then GET /admin/postbacks?outcome=BAD_SECRET lists it with the secret redacted', async () => {
  const txId = uniqueTx('badsecret')
  const wrongSecret = 'wrong-secret-value-987654'
  const refused = await app.inject({
    url: postbackUrl({
      secret: wrongSecret,
      tx_id: txId,
      offer_id: 'o',
      payout: '1',
      user_id: 'u',
      // A network that also echoes the real secret under another name: redacted by value.
      note: SECRET,
    }),
  })
  assert.equal(refused.statusCode, 403)
  assert.equal(refused.headers['x-postback-outcome'], 'BAD_SECRET')

  const response = await app.inject({
    url: '/admin/postbacks?outcome=BAD_SECRET&limit=500',
    headers: adminHeaders,
  })
  assert.equal(response.statusCode, 200)
  assert.ok(!response.body.includes(wrongSecret), 'the wrong secret is not stored')
  assert.ok(!response.body.includes(SECRET), 'the real secret is not stored')
  const items = response.json().items as Record<string, unknown>[]
  assert.ok(items.length >= 1)
  for (const item of items) assert.equal(item.outcome, 'BAD_SECRET')
  const mine = items.filter((item) => item.txId === txId)
  assert.equal(mine.length, 1)
  const [entry] = mine
  assert.equal(entry?.statusCode, 403)
  assert.equal(entry?.message, 'the secret does not match any active secret')
  assert.equal(entry?.network, 'default')
  assert.equal(entry?.method, 'GET')
  assert.equal(entry?.path, '/api/postback')
  assert.equal(entry?.conversionId, null)
  assert.equal(
    entry?.query,
    `secret=[REDACTED]&tx_id=${txId}&offer_id=o&payout=1&user_id=u&note=[REDACTED]`,
  )

  const credited = await app.inject({
    url: '/admin/postbacks?outcome=credited',
    headers: adminHeaders,
  })
  assert.equal(credited.statusCode, 200)
  assert.ok(
    credited.json().items.every((item: { txId: string }) => item.txId !== txId),
    'the refusal is not listed under another outcome',
  )
})

test('when postbacks are listed with limit, then nextBefore pages through the log', async () => {
  const network = 'default'
  for (let i = 0; i < 2; i += 1) {
    const sent = await postback({ tx_id: uniqueTx(), offer_id: 'o', payout: '1' })
    assert.equal(sent.json().outcome, 'recorded')
  }
  const first = await app.inject({
    url: `/admin/postbacks?network=${network}&limit=1`,
    headers: adminHeaders,
  })
  assert.equal(first.statusCode, 200)
  const firstBody = first.json()
  assert.equal(firstBody.items.length, 1)
  assert.equal(firstBody.nextBefore, firstBody.items[0].id)
  const second = await app.inject({
    url: `/admin/postbacks?network=${network}&limit=1&before=${firstBody.nextBefore}`,
    headers: adminHeaders,
  })
  assert.equal(second.statusCode, 200)
  const [next] = second.json().items
  assert.ok(BigInt(next.id) < BigInt(firstBody.items[0].id))

  const bad = await app.inject({ url: '/admin/postbacks?limit=0', headers: adminHeaders })
  assert.equal(bad.statusCode, 400)
  assert.equal(bad.json().code, 'INVALID_FIELD')
})

// --- offers and review -------------------------------------------------------------------------

test('when PUT /admin/offers/:offerId sends expectedPayout "3.50", then it is stored and can be changed', async () => {
  const offerId = uniqueTx('offer')
  const response = await putOffer(offerId, { expectedPayout: '3.50' })
  assert.equal(response.statusCode, 200)
  const body = response.json()
  assert.deepEqual(
    { ...body, updatedAt: undefined },
    { network: 'default', offerId, expectedPayout: '3.5', updatedAt: undefined },
  )
  assert.ok(!Number.isNaN(Date.parse(body.updatedAt)))
  assert.equal(await storedOffer(offerId), '3.500000')

  const changed = await putOffer(offerId, { expectedPayout: '5' })
  assert.equal(changed.statusCode, 200)
  assert.equal(changed.json().expectedPayout, '5')
  assert.equal(await storedOffer(offerId), '5.000000')
})

test('when expectedPayout is not a plain decimal string, then 400 INVALID_FIELD and nothing is stored', async () => {
  const offerId = uniqueTx('offer')
  for (const expectedPayout of [3.5, '-1', '1e3', '', '3.1234567', '3,50', ' 3.5', null]) {
    const response = await putOffer(offerId, { expectedPayout })
    assert.equal(response.statusCode, 400, String(expectedPayout))
    const body = response.json()
    assert.equal(body.code, 'INVALID_FIELD')
    assert.deepEqual(
      body.fields.map((f: { field: string }) => f.field),
      ['expectedPayout'],
    )
  }
  const missing = await putOffer(offerId, {})
  assert.equal(missing.statusCode, 400)
  assert.equal(missing.json().code, 'INVALID_FIELD')
  assert.equal(await storedOffer(offerId), undefined)
})

test('when a payout exceeds the offer by more than PAYOUT_TOLERANCE, then it is held and approve credits it once', async () => {
  const offerId = uniqueTx('offer')
  assert.equal((await putOffer(offerId, { expectedPayout: '3.50' })).statusCode, 200)

  // 3.50 × 1.2 = 4.20: the limit itself is fine.
  const atLimitUser = uniqueUser()
  const atLimit = await postback({
    tx_id: uniqueTx(),
    offer_id: offerId,
    payout: '4.20',
    user_id: atLimitUser,
  })
  assert.equal(atLimit.headers['x-postback-outcome'], 'credited')
  assert.deepEqual(await balanceOf(t.testDb, atLimitUser), { balance: 420, ledger: 420 })

  const userId = uniqueUser()
  const txId = uniqueTx()
  const held = await app.inject({
    url: postbackUrl({ tx_id: txId, offer_id: offerId, payout: '4.21', user_id: userId }),
  })
  assert.equal(held.statusCode, 200)
  assert.equal(held.headers['x-postback-outcome'], 'held')
  assert.equal(held.body, 'OK')
  assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 0, ledger: 0 })
  const user = await app.inject({ url: `/admin/users/${userId}`, headers: adminHeaders })
  assert.equal(user.statusCode, 404, 'a held conversion credits nothing')

  const listed = await app.inject({
    url: `/admin/conversions?txId=${txId}&status=held`,
    headers: adminHeaders,
  })
  const [conversion] = listed.json().items
  assert.equal(conversion.status, 'held')
  assert.equal(conversion.points, 421)
  assert.equal(
    conversion.holdReason,
    `payout 4.21 exceeds offer ${offerId}'s expected 3.5 by more than 0.2 (limit 4.2): held for review`,
  )

  const approve = await review(conversion.id, 'approve')
  assert.equal(approve.statusCode, 200)
  const approved = approve.json()
  assert.equal(approved.outcome, 'credited')
  assert.equal(approved.points, 421)
  assert.equal(approved.conversion.id, conversion.id)
  assert.equal(approved.conversion.status, 'approved')
  assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 421, ledger: 421 })
  assert.equal((await conversionRow(conversion.id))?.status, 'approved')

  const again = await review(conversion.id, 'approve')
  assert.equal(again.statusCode, 409)
  assert.deepEqual(again.json(), {
    statusCode: 409,
    code: 'NOT_HELD',
    error: 'Conflict',
    message: `conversion ${conversion.id} is approved, not held for review`,
  })
  assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 421, ledger: 421 })

  const rejectLater = await review(conversion.id, 'reject')
  assert.equal(rejectLater.statusCode, 409)
  assert.equal(rejectLater.json().code, 'NOT_HELD')
  assert.equal((await conversionRow(conversion.id))?.status, 'approved')
})

test('when a held conversion is rejected, then its status is rejected, nobody is credited, and it stays final', async () => {
  const offerId = uniqueTx('offer')
  await putOffer(offerId, { expectedPayout: '1.00' })
  const userId = uniqueUser()
  const txId = uniqueTx()
  const fields = { tx_id: txId, offer_id: offerId, payout: '2.00', user_id: userId }
  const held = await postback(fields)
  assert.equal(held.json().outcome, 'held')
  const id = held.json().conversionId

  const reject = await review(id, 'reject')
  assert.equal(reject.statusCode, 200)
  assert.equal(reject.json().outcome, 'rejected')
  assert.equal(reject.json().points, 0)
  assert.equal(reject.json().conversion.status, 'rejected')
  assert.equal((await conversionRow(id))?.status, 'rejected')
  assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 0, ledger: 0 })

  const approve = await review(id, 'approve')
  assert.equal(approve.statusCode, 409)
  assert.equal(approve.json().code, 'NOT_HELD')
  assert.equal(approve.json().message, `conversion ${id} is rejected, not held for review`)

  const resent = await postback(fields)
  assert.equal(resent.json().outcome, 'ignored')
  assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 0, ledger: 0 })
  const user = await app.inject({ url: `/admin/users/${userId}`, headers: adminHeaders })
  assert.equal(user.json().code, 'USER_NOT_FOUND')
})

test('when the conversion id does not exist or is not numeric, then approve/reject answer 404 or 400', async () => {
  for (const verdict of ['approve', 'reject'] as const) {
    const missing = await review('999999999', verdict)
    assert.equal(missing.statusCode, 404)
    assert.deepEqual(missing.json(), {
      statusCode: 404,
      code: 'CONVERSION_NOT_FOUND',
      error: 'Not Found',
      message: 'no conversion with id 999999999',
    })
    const bad = await review('abc', verdict)
    assert.equal(bad.statusCode, 400)
    assert.equal(bad.json().code, 'INVALID_FIELD')
  }
})

test('when MAX_PAYOUT is 10, then a payout of 10.01 is held and 10 is credited', async () => {
  const capped = await buildAppOn(t.testDb, { MAX_PAYOUT: '10' })
  try {
    const offerId = uniqueTx('offer') // no expected payout: only MAX_PAYOUT applies
    const heldUser = uniqueUser()
    const held = await postback(
      { tx_id: uniqueTx(), offer_id: offerId, payout: '10.01', user_id: heldUser },
      capped,
    )
    assert.equal(held.statusCode, 200)
    assert.equal(held.headers['x-postback-outcome'], 'held')
    assert.equal(held.json().points, 0)
    assert.equal(held.json().message, 'payout 10.01 exceeds MAX_PAYOUT 10: held for review')
    const row = await conversionRow(held.json().conversionId)
    assert.deepEqual(row, {
      status: 'held',
      points: '1001',
      hold_reason: 'payout 10.01 exceeds MAX_PAYOUT 10: held for review',
    })
    assert.deepEqual(await balanceOf(t.testDb, heldUser), { balance: 0, ledger: 0 })

    const creditedUser = uniqueUser()
    const credited = await postback(
      { tx_id: uniqueTx(), offer_id: offerId, payout: '10', user_id: creditedUser },
      capped,
    )
    assert.equal(credited.headers['x-postback-outcome'], 'credited')
    assert.equal(credited.json().points, 1000)
    assert.deepEqual(await balanceOf(t.testDb, creditedUser), { balance: 1000, ledger: 1000 })

    const approve = await review(held.json().conversionId, 'approve')
    assert.equal(approve.statusCode, 200)
    assert.deepEqual(await balanceOf(t.testDb, heldUser), { balance: 1001, ledger: 1001 })
  } finally {
    await capped.close()
  }
})
