import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { TokenScope } from '../../src/accounts/permissions.js'
import { createApiToken, revokeApiToken } from '../../src/accounts/tokens.js'
import {
  adminHeaders,
  createTestApp,
  postbackUrl,
  SECRET,
  type TestApp,
  uniqueTx,
} from '../helpers/app.js'

// The admin API with API tokens: each scope may do what its role may and nothing more (403
// FORBIDDEN, nothing changed), a revoked token stops at once, and every state change leaves
// an audit row naming who did it, with the state before and after.

let t: TestApp
const setup = { name: 'test-setup', via: 'test' }
const tokens = {} as Record<TokenScope, string>

before(async () => {
  t = await createTestApp({ MAX_PAYOUT: '10' })
  for (const scope of ['balances:read', 'viewer', 'operator', 'admin'] as const)
    tokens[scope] = (
      await createApiToken(
        t.testDb.db.pool,
        { name: `${scope}-app`, scope, expiresAt: null },
        setup,
      )
    ).token
})
after(() => t.close())

const as = (scope: TokenScope) => ({ authorization: `Bearer ${tokens[scope]}` })

async function heldConversion(user = uniqueTx('user')): Promise<string> {
  const response = await t.app.inject({
    url: postbackUrl({ tx_id: uniqueTx(), offer_id: 'o1', payout: '10.01', user_id: user }),
    headers: { accept: 'application/json' },
  })
  assert.equal(response.json().outcome, 'held', response.body)
  return response.json().conversionId
}

async function deadDelivery(conversionId: string): Promise<string> {
  const { rows } = await t.testDb.db.pool.query<{ id: string }>(
    `INSERT INTO deliveries (conversion_id, rule, event, data, state, attempts, max_attempts, last_error)
     VALUES ($1, 'crm', 'credited', '{}', 'dead', 3, 3, 'connection refused') RETURNING id`,
    [conversionId],
  )
  return rows[0]?.id ?? ''
}

async function auditRows(action: string) {
  const { rows } = await t.testDb.db.pool.query<{
    actor: string
    via: string
    subject_id: string
    conversion_id: string | null
    user_id: string | null
    before: unknown
    after: unknown
  }>(
    'SELECT actor, via, subject_id, conversion_id, user_id, before, after FROM audit_log WHERE action = $1 ORDER BY id',
    [action],
  )
  return rows
}

/** Every state-changing admin route, with a valid request. */
async function writes() {
  const held = await heldConversion()
  return [
    { method: 'POST', url: `/admin/conversions/${held}/approve` },
    { method: 'POST', url: `/admin/conversions/${held}/reject` },
    { method: 'POST', url: `/admin/deliveries/${await deadDelivery(held)}/retry` },
    {
      method: 'POST',
      url: '/admin/users/someone/adjustments',
      payload: { points: 5, reason: 'r' },
    },
    { method: 'PUT', url: '/admin/offers/o1', payload: { expectedPayout: '1.00' } },
  ] as const
}

test('a viewer token gets 403 FORBIDDEN on every state-changing route, and nothing changes', async () => {
  for (const request of await writes()) {
    for (const scope of ['viewer', 'balances:read'] as const) {
      const response = await t.app.inject({ ...request, headers: as(scope) })
      assert.equal(response.statusCode, 403, `${scope} ${request.url}`)
      assert.equal(response.json().code, 'FORBIDDEN')
      assert.match(
        response.json().message,
        new RegExp(`token:${scope}-app \\(${scope}\\) may not do this`),
      )
    }
  }
  const { rows } = await t.testDb.db.pool.query(
    `SELECT 1 FROM audit_log WHERE actor <> 'test-setup' UNION ALL SELECT 1 FROM offers UNION ALL
     SELECT 1 FROM ledger_entries WHERE user_id = 'someone'`,
  )
  assert.equal(rows.length, 0)
  const { rows: conversions } = await t.testDb.db.pool.query(
    `SELECT status FROM conversions WHERE status <> 'held'`,
  )
  assert.deepEqual(conversions, [])
})

test('an operator token reviews, retries and adjusts; offers need an admin', async () => {
  const [approve, , retry, adjust, offer] = await writes()
  for (const request of [approve, retry, adjust]) {
    const response = await t.app.inject({ ...request, headers: as('operator') })
    assert.ok(response.statusCode < 300, `${request.url}: ${response.body}`)
  }
  const refused = await t.app.inject({ ...offer, headers: as('operator') })
  assert.equal(refused.statusCode, 403)
  assert.match(refused.json().message, /needs the admin permission \(admin\)/)
  const allowed = await t.app.inject({ ...offer, headers: as('admin') })
  assert.equal(allowed.statusCode, 200)
})

test('a balances:read token reads a balance and nothing else', async () => {
  await t.app.inject({
    method: 'POST',
    url: '/admin/users/reader/adjustments',
    headers: adminHeaders,
    payload: { points: 7, reason: 'r' },
  })
  const balance = await t.app.inject({ url: '/admin/users/reader', headers: as('balances:read') })
  assert.equal(balance.statusCode, 200)
  assert.equal(balance.json().balance, 7)
  for (const url of [
    '/admin/conversions',
    '/admin/postbacks',
    '/admin/deliveries',
    '/admin/stats',
  ]) {
    const response = await t.app.inject({ url, headers: as('balances:read') })
    assert.equal(response.statusCode, 403, url)
  }
  const viewer = await t.app.inject({ url: '/admin/conversions', headers: as('viewer') })
  assert.equal(viewer.statusCode, 200)
})

test('a revoked or expired token is refused at once with 401', async () => {
  const pool = t.testDb.db.pool
  const { token, apiToken } = await createApiToken(
    pool,
    { name: 'short-lived', scope: 'viewer', expiresAt: null },
    setup,
  )
  const headers = { authorization: `Bearer ${token}` }
  assert.equal((await t.app.inject({ url: '/admin/conversions', headers })).statusCode, 200)
  await revokeApiToken(pool, apiToken.id, setup)
  const after = await t.app.inject({ url: '/admin/conversions', headers })
  assert.equal(after.statusCode, 401)
  assert.equal(after.json().code, 'UNAUTHORIZED')
  const expired = await createApiToken(
    pool,
    { name: 'expired', scope: 'admin', expiresAt: new Date(Date.now() - 1000) },
    setup,
  )
  const refused = await t.app.inject({
    url: '/admin/conversions',
    headers: { authorization: `Bearer ${expired.token}` },
  })
  assert.equal(refused.statusCode, 401)
  // Only the token's hash is stored.
  const { rows } = await pool.query(`SELECT * FROM api_tokens`)
  assert.ok(!JSON.stringify(rows).includes(token.slice(4)))
})

test('each state change leaves an audit row with who, before and after', async () => {
  const user = uniqueTx('audited')
  const held = await heldConversion(user)
  const approve = await t.app.inject({
    method: 'POST',
    url: `/admin/conversions/${held}/approve`,
    headers: as('operator'),
  })
  assert.equal(approve.statusCode, 200)
  const approved = (await auditRows('conversion.approve')).find((row) => row.subject_id === held)
  assert.deepEqual(approved && { ...approved, via: approved.via.replace(/[\d.:]+$/, 'IP') }, {
    actor: 'token:operator-app',
    via: 'admin-api from IP',
    subject_id: held,
    conversion_id: held,
    user_id: user,
    before: {
      status: 'held',
      holdReason: approved?.before && (approved.before as { holdReason: string }).holdReason,
    },
    after: { status: 'approved', outcome: 'credited', pointsCredited: 1001 },
  })

  const rejectHeld = await heldConversion()
  await t.app.inject({
    method: 'POST',
    url: `/admin/conversions/${rejectHeld}/reject`,
    headers: adminHeaders,
  })
  const rejected = (await auditRows('conversion.reject')).at(-1)
  assert.equal(rejected?.actor, 'ADMIN_TOKEN')
  assert.deepEqual(rejected?.after, { status: 'rejected', outcome: 'rejected', pointsCredited: 0 })

  const dead = await deadDelivery(held)
  await t.app.inject({
    method: 'POST',
    url: `/admin/deliveries/${dead}/retry`,
    headers: as('operator'),
  })
  const retried = (await auditRows('delivery.retry')).at(-1)
  assert.equal(retried?.conversion_id, held)
  assert.deepEqual(retried?.before, { state: 'dead', attempts: 3, lastError: 'connection refused' })
  assert.deepEqual(retried?.after, { state: 'pending', attempts: 0 })

  await t.app.inject({
    method: 'POST',
    url: `/admin/users/${user}/adjustments`,
    headers: as('operator'),
    payload: { points: -1, reason: 'fix', reference: 'ref-1' },
  })
  await t.app.inject({
    method: 'POST',
    url: `/admin/users/${user}/adjustments`,
    headers: as('operator'),
    payload: { points: -1, reason: 'fix', reference: 'ref-1' },
  })
  const adjusted = (await auditRows('balance.adjust')).filter((row) => row.user_id === user)
  assert.equal(adjusted.length, 1, 'a repeated reference changes nothing and is not audited again')
  assert.deepEqual(adjusted[0]?.before, { balance: '1001' })
  assert.deepEqual(
    { ...(adjusted[0]?.after as object), entryId: 'x' },
    { balance: '1000', points: '-1', reason: 'fix', reference: 'ref-1', entryId: 'x' },
  )

  for (const payout of ['2.50', '3.00'])
    await t.app.inject({
      method: 'PUT',
      url: '/admin/offers/o-audit',
      headers: as('admin'),
      payload: { expectedPayout: payout },
    })
  const offers = (await auditRows('offer.set')).filter(
    (row) => row.subject_id === 'default/o-audit',
  )
  assert.deepEqual(
    offers.map((row) => [row.actor, row.before, row.after]),
    [
      ['token:admin-app', null, { expectedPayout: '2.5' }],
      ['token:admin-app', { expectedPayout: '2.5' }, { expectedPayout: '3' }],
    ],
  )
  // No token, password or secret in any audit row.
  const { rows } = await t.testDb.db.pool.query('SELECT * FROM audit_log')
  const text = JSON.stringify(rows)
  for (const token of Object.values(tokens)) assert.ok(!text.includes(token))
})

test('POST /admin/postbacks/:id/replay: a viewer is refused, an operator replays and the audit row names the token', async () => {
  const refused = await t.app.inject({ url: postbackUrl({ tx_id: uniqueTx(), payout: '1' }) })
  assert.equal(refused.statusCode, 400)
  const { rows } = await t.testDb.db.pool.query<{ id: string }>(
    'SELECT max(id)::text AS id FROM postback_log WHERE status_code = 400',
  )
  const url = `/admin/postbacks/${rows[0]?.id}/replay`
  const viewer = await t.app.inject({ method: 'POST', url, headers: as('viewer') })
  assert.equal(viewer.statusCode, 403)
  const replayed = await t.app.inject({ method: 'POST', url, headers: as('operator') })
  assert.equal(replayed.statusCode, 200, replayed.body)
  assert.equal(replayed.json().kind, 'replayed')
  assert.equal(replayed.json().outcome, 'MISSING_FIELD', 'still refused: nothing was fixed')
  const audit = (await auditRows('postback.replay')).at(-1)
  assert.equal(audit?.actor, 'token:operator-app')
  assert.equal(audit?.subject_id, rows[0]?.id)
  assert.deepEqual(audit?.before, { outcome: 'MISSING_FIELD', statusCode: 400 })
})

test('the postback URL (it holds the secret) is for admins only', async () => {
  const url = '/admin/networks/default/postback-url'
  for (const scope of ['viewer', 'operator'] as const) {
    const refused = await t.app.inject({ url, headers: as(scope) })
    assert.equal(refused.statusCode, 403, scope)
    assert.ok(!refused.body.includes(SECRET))
  }
  const shown = await t.app.inject({ url, headers: as('admin') })
  assert.equal(shown.statusCode, 200)
  assert.ok(shown.body.includes(SECRET))
})
