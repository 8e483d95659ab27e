import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  adminHeaders,
  buildAppOn,
  createTestApp,
  postbackUrl,
  SECRET,
  type TestApp,
  uniqueTx,
} from '../helpers/app.js'
import { capturingLogger } from '../helpers/logging.js'

// Named accounts end to end through the admin API and the dashboard: created by an admin,
// signed in by name and password, held to their role, ended at once (sessions revoked, the
// account disabled, a new password), sign-in throttled; every change audited without the
// password; no password or token in the log.

const form = { 'content-type': 'application/x-www-form-urlencoded' }
const PASSWORDS = {
  olga: 'olga-operator-passphrase',
  vic: 'vic-viewer-passphrase-1',
  ada: 'ada-admin-passphrase-22',
}
let t: TestApp
const log = capturingLogger()

before(async () => {
  const base = await createTestApp({ MAX_PAYOUT: '10', AUTH_FAILURE_MAX: '3' })
  // The same database, with a logger whose lines the last test reads.
  const app = await buildAppOn(base.testDb, { MAX_PAYOUT: '10', AUTH_FAILURE_MAX: '3' }, log.logger)
  await base.app.close()
  t = {
    ...base,
    app,
    close: async () => {
      await app.close()
      await base.testDb.drop()
    },
  }
  for (const [name, role] of [
    ['olga', 'operator'],
    ['vic', 'viewer'],
    ['ada', 'admin'],
  ] as const) {
    const created = await t.app.inject({
      method: 'POST',
      url: '/admin/accounts',
      headers: adminHeaders,
      payload: { name, role, password: PASSWORDS[name] },
    })
    assert.equal(created.statusCode, 200, created.body)
  }
})
after(() => t.close())

let address = 0
/** Signs in from an address of its own (the throttle counts per address); the cookie or null. */
async function signIn(name: string, password: string, from = `10.9.0.${++address}`) {
  const response = await t.app.inject({
    method: 'POST',
    url: '/dashboard/login',
    headers: form,
    remoteAddress: from,
    payload: new URLSearchParams({ name, token: password, next: '/dashboard/review' }).toString(),
  })
  const cookie = String(response.headers['set-cookie'] ?? '').split(';')[0]
  return { response, cookie: response.statusCode === 303 ? cookie : null }
}

async function page(cookie: string, url: string) {
  return t.app.inject({ url, headers: { cookie } })
}

async function post(cookie: string, url: string, fields: Record<string, string> = {}) {
  const csrf = /name="_csrf" value="([^"]+)"/.exec(
    (await page(cookie, '/dashboard/audit')).body,
  )?.[1]
  return t.app.inject({
    method: 'POST',
    url,
    headers: { ...form, cookie },
    payload: new URLSearchParams({ _csrf: csrf ?? '', ...fields }).toString(),
  })
}

async function heldConversion() {
  const response = await t.app.inject({
    url: postbackUrl({ tx_id: uniqueTx(), offer_id: 'o', payout: '10.01', user_id: uniqueTx('u') }),
    headers: { accept: 'application/json' },
  })
  assert.equal(response.json().outcome, 'held')
  return response.json().conversionId as string
}

test('an admin creates accounts: listed with role and state, never a hash; a taken name is 409, a short password 400', async () => {
  const list = await t.app.inject({ url: '/admin/accounts', headers: adminHeaders })
  assert.equal(list.statusCode, 200)
  assert.deepEqual(
    list
      .json()
      .items.map((a: { name: string; role: string; disabled: boolean; createdBy: string }) => [
        a.name,
        a.role,
        a.disabled,
        a.createdBy,
      ]),
    [
      ['ada', 'admin', false, 'ADMIN_TOKEN'],
      ['olga', 'operator', false, 'ADMIN_TOKEN'],
      ['vic', 'viewer', false, 'ADMIN_TOKEN'],
    ],
  )
  assert.ok(!/scrypt|password/i.test(list.body))
  const taken = await t.app.inject({
    method: 'POST',
    url: '/admin/accounts',
    headers: adminHeaders,
    payload: { name: 'olga', role: 'viewer', password: 'another-long-password' },
  })
  assert.equal(taken.statusCode, 409)
  assert.equal(taken.json().code, 'ACCOUNT_EXISTS')
  const short = await t.app.inject({
    method: 'POST',
    url: '/admin/accounts',
    headers: adminHeaders,
    payload: { name: 'sam', role: 'viewer', password: 'short' },
  })
  assert.equal(short.statusCode, 400)
  assert.match(short.json().message, /password: must be at least 12 characters/)
  const { rows } = await t.testDb.db.pool.query<{ password_hash: string }>(
    'SELECT password_hash FROM accounts',
  )
  for (const row of rows) {
    assert.match(row.password_hash, /^scrypt\$15\$8\$1\$/)
    for (const password of Object.values(PASSWORDS))
      assert.ok(!row.password_hash.includes(password))
  }
})

test('an operator signs in by name, approves a held conversion; the timeline and audit log name them', async () => {
  const { cookie } = await signIn('olga', PASSWORDS.olga)
  assert.ok(cookie)
  const id = await heldConversion()
  const review = await page(cookie, '/dashboard/review')
  assert.match(review.body, /olga · operator/)
  assert.match(review.body, new RegExp(`/dashboard/conversions/${id}/approve`))
  const approved = await post(cookie, `/dashboard/conversions/${id}/approve`)
  assert.equal(approved.statusCode, 303, approved.body)
  const timeline = await page(cookie, `/dashboard/conversions/${id}`)
  assert.match(timeline.body, /<strong class="actor">olga<\/strong> conversion\.approve/)
  const audit = await t.app.inject({
    url: `/admin/audit?actor=olga&action=conversion.`,
    headers: adminHeaders,
  })
  assert.equal(audit.statusCode, 200)
  const entry = audit.json().items[0]
  assert.equal(entry.action, 'conversion.approve')
  assert.equal(entry.conversionId, id)
  assert.match(entry.via, /^dashboard from /)
  assert.deepEqual(entry.after, { status: 'approved', outcome: 'credited', pointsCredited: 1001 })
  // An operator may not manage accounts.
  const accounts = await page(cookie, '/dashboard/accounts')
  assert.equal(accounts.statusCode, 403)
  assert.match(accounts.body, /olga \(operator\) may not do this: it needs the admin permission/)
})

test('a viewer sees no action buttons and gets 403 on every state-changing dashboard route', async () => {
  const { cookie } = await signIn('vic', PASSWORDS.vic)
  assert.ok(cookie)
  const id = await heldConversion()
  for (const url of [
    '/dashboard/review',
    `/dashboard/conversions/${id}`,
    '/dashboard/networks',
    '/dashboard/deliveries?state=dead',
    '/dashboard/offers',
    '/dashboard/users?user=vic-target',
  ]) {
    const shown = await page(cookie, url)
    assert.equal(shown.statusCode, 200, url)
    assert.doesNotMatch(shown.body, /method="post" action="\/dashboard\/(?!logout)/, url)
  }
  for (const url of [
    `/dashboard/conversions/${id}/approve`,
    `/dashboard/conversions/${id}/reject`,
    '/dashboard/postbacks/1/replay',
    '/dashboard/deliveries/1/retry',
    '/dashboard/networks/default/test',
    '/dashboard/accounts',
    '/dashboard/tokens',
    '/dashboard/users/adjust',
    '/dashboard/offers',
    '/dashboard/networks/add',
    '/dashboard/networks/somenet/edit',
  ]) {
    const refused = await post(cookie, url)
    assert.equal(refused.statusCode, 403, url)
    assert.match(refused.body, /vic \(viewer\) may not do this/)
  }
  // The postback URL holds the network's secret: only an admin sees it.
  const networks = await page(cookie, '/dashboard/networks')
  assert.ok(!networks.body.includes(SECRET))
  assert.match(networks.body, /an admin can copy it here/)
  const { rows } = await t.testDb.db.pool.query('SELECT status FROM conversions WHERE id = $1', [
    id,
  ])
  assert.equal(rows[0]?.status, 'held')
  // A viewer may read the audit log and sign out.
  assert.equal((await page(cookie, '/dashboard/audit')).statusCode, 200)
  assert.equal((await post(cookie, '/dashboard/logout')).statusCode, 303)
  assert.equal(
    (await page(cookie, '/dashboard/review')).statusCode,
    303,
    'signed out: the session ended',
  )
})

test('revoking sessions, disabling the account or a new password ends a session at once', async () => {
  for (const [how, request] of [
    ['revoke', { method: 'POST', url: '/admin/accounts/olga/sessions/revoke' }],
    ['disable', { method: 'PATCH', url: '/admin/accounts/olga', payload: { disabled: true } }],
    [
      'password',
      {
        method: 'POST',
        url: '/admin/accounts/olga/password',
        payload: { password: 'olga-new-passphrase-2' },
      },
    ],
  ] as const) {
    if (how === 'password')
      await t.app.inject({
        method: 'PATCH',
        url: '/admin/accounts/olga',
        headers: adminHeaders,
        payload: { disabled: false },
      })
    const password = how === 'password' || how === 'disable' ? PASSWORDS.olga : PASSWORDS.olga
    const { cookie } = await signIn('olga', password)
    assert.ok(cookie, how)
    assert.equal((await page(cookie, '/dashboard/review')).statusCode, 200)
    const changed = await t.app.inject({ ...request, headers: adminHeaders })
    assert.equal(changed.statusCode, 200, `${how}: ${changed.body}`)
    assert.equal(
      (await page(cookie, '/dashboard/review')).statusCode,
      303,
      `${how}: back to sign-in`,
    )
  }
  // Disabled: sign-in is refused; the new password works once enabled (it is).
  assert.equal((await signIn('olga', PASSWORDS.olga)).response.statusCode, 401)
  assert.ok((await signIn('olga', 'olga-new-passphrase-2')).cookie)
  const audit = await t.app.inject({ url: '/admin/audit?action=account.', headers: adminHeaders })
  const actions = audit.json().items.map((e: { action: string }) => e.action)
  for (const action of [
    'account.create',
    'account.sessions.revoke',
    'account.update',
    'account.password',
  ])
    assert.ok(actions.includes(action), action)
  assert.ok(!audit.body.includes('olga-new-passphrase-2') && !audit.body.includes('scrypt'))
})

test('sign-in is throttled per address: 429 after AUTH_FAILURE_MAX wrong passwords, even with the right one', async () => {
  const from = '10.8.0.1'
  const statuses = []
  for (let i = 0; i < 4; i++)
    statuses.push((await signIn('ada', 'wrong-password-guess', from)).response.statusCode)
  assert.deepEqual(statuses, [401, 401, 401, 429])
  const right = await signIn('ada', PASSWORDS.ada, from)
  assert.equal(right.response.statusCode, 429)
  assert.ok(Number(right.response.headers['retry-after']) >= 1)
  // An unknown name is refused like a wrong password.
  const unknown = await signIn('nobody', 'whatever-password')
  assert.equal(unknown.response.statusCode, 401)
  assert.match(unknown.response.body, /Wrong name or password/)
  assert.ok((await signIn('ada', PASSWORDS.ada)).cookie, 'another address is not blocked')
})

test('an admin session manages tokens in the dashboard: shown once, then only listed; revoked, it stops at once', async () => {
  const { cookie } = await signIn('ada', PASSWORDS.ada)
  assert.ok(cookie)
  const created = await post(cookie, '/dashboard/tokens', {
    name: 'crm-app',
    scope: 'balances:read',
    expiresInDays: '',
  })
  assert.equal(created.statusCode, 200, created.body)
  const token = /aria-label="The new token">(pbr_[A-Za-z0-9_-]+)</.exec(created.body)?.[1] ?? ''
  assert.ok(token)
  const headers = { authorization: `Bearer ${token}` }
  assert.equal((await t.app.inject({ url: '/admin/users/nobody', headers })).statusCode, 404)
  assert.equal((await t.app.inject({ url: '/admin/conversions', headers })).statusCode, 403)
  const listed = await page(cookie, '/dashboard/accounts')
  assert.ok(!listed.body.includes(token))
  const api = await t.app.inject({ url: '/admin/tokens', headers: adminHeaders })
  const id = api.json().items.find((x: { name: string }) => x.name === 'crm-app').id
  assert.ok(!api.body.includes(token))
  assert.equal((await post(cookie, `/dashboard/tokens/${id}/revoke`)).statusCode, 303)
  assert.equal((await t.app.inject({ url: '/admin/users/nobody', headers })).statusCode, 401)
  const audit = await t.app.inject({
    url: '/admin/audit?actor=ada&action=token.',
    headers: adminHeaders,
  })
  assert.deepEqual(
    audit.json().items.map((e: { action: string }) => e.action),
    ['token.revoke', 'token.create'],
  )
  assert.ok(!audit.body.includes(token))
})

test('no password or token ever reaches the log', async () => {
  const lines = log.lines()
  assert.ok(lines.length > 0)
  for (const secret of [...Object.values(PASSWORDS), 'olga-new-passphrase-2', 'pbr_'])
    assert.ok(!lines.includes(secret), secret)
})
