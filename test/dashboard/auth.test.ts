import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { adminTokenTag, createSession } from '../../src/accounts/sessions.js'
import { ADMIN_TOKEN, createTestApp, postbackUrl, type TestApp } from '../helpers/app.js'

let t: TestApp
let cookie: string
const form = { 'content-type': 'application/x-www-form-urlencoded' }

before(async () => {
  t = await createTestApp()
  const signIn = await t.app.inject({
    method: 'POST',
    url: '/dashboard/login',
    headers: form,
    payload: new URLSearchParams({ token: ADMIN_TOKEN, next: '/dashboard' }).toString(),
  })
  cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? ''
})
after(() => t.close())

test('the bare address leads to the dashboard', async () => {
  const response = await t.app.inject({ url: '/' })
  assert.equal(response.statusCode, 302)
  assert.equal(response.headers.location, '/dashboard')
  const signedIn = await t.app.inject({ url: response.headers.location, headers: { cookie } })
  assert.equal(signedIn.statusCode, 200)
})

test('a tampered, foreign or expired session cookie leads back to the sign-in form', async () => {
  const value = cookie.split('=')[1] ?? ''
  const pool = t.testDb.db.pool
  const foreign = await createSession(
    pool,
    { adminTokenTag: adminTokenTag('another-admin-token-0123456789') },
    '127.0.0.1',
  )
  const expired = await createSession(
    pool,
    { adminTokenTag: adminTokenTag(ADMIN_TOKEN) },
    '127.0.0.1',
  )
  await pool.query(
    `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = (SELECT max(id) FROM sessions)`,
  )
  const forged = `${value.slice(0, -2)}${value.endsWith('AA') ? 'AB' : 'AA'}`
  for (const value of [forged, foreign, expired, '', 'x'.repeat(43)]) {
    const response = await t.app.inject({
      url: '/dashboard/review',
      headers: { cookie: `pbr_dashboard=${value}` },
    })
    assert.equal(response.statusCode, 303)
    assert.equal(response.headers.location, '/dashboard/login?next=%2Fdashboard%2Freview')
  }
  const ok = await t.app.inject({ url: '/dashboard/review', headers: { cookie } })
  assert.equal(ok.statusCode, 200)
  assert.match(String(ok.headers['content-security-policy']), /script-src 'self'/)
  assert.equal(ok.headers['cache-control'], 'no-store')
})

test('sign-in never redirects off the dashboard and ignores a token in the query string', async () => {
  const offsite = await t.app.inject({
    method: 'POST',
    url: '/dashboard/login',
    headers: form,
    payload: new URLSearchParams({ token: ADMIN_TOKEN, next: '//evil.example/x' }).toString(),
  })
  assert.equal(offsite.headers.location, '/dashboard')
  const viaQuery = await t.app.inject({
    method: 'POST',
    url: `/dashboard/login?token=${ADMIN_TOKEN}`,
    headers: form,
    payload: '',
  })
  assert.equal(viaQuery.statusCode, 401)
  assert.equal(viaQuery.headers['set-cookie'], undefined)
})

test('a POST from another origin is refused even with the session cookie', async () => {
  const page = await t.app.inject({ url: '/dashboard/networks', headers: { cookie } })
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
  const response = await t.app.inject({
    method: 'POST',
    url: '/dashboard/networks/default/test',
    headers: { ...form, cookie, origin: 'https://evil.example' },
    payload: new URLSearchParams({ _csrf: csrf, user: 'x' }).toString(),
  })
  assert.equal(response.statusCode, 403)
  assert.match(response.body, /came from another site/)
})

test('markup sent in a postback is shown as text, never run', async () => {
  await t.app.inject({
    url: postbackUrl({
      tx_id: '<script>alert(1)</script>',
      offer_id: 'o',
      payout: 'x"><img src=x>',
    }),
  })
  const log = await t.app.inject({ url: '/dashboard/postbacks', headers: { cookie } })
  assert.equal(log.statusCode, 200)
  assert.ok(!log.body.includes('<script>alert(1)'))
  assert.ok(!log.body.includes('<img src=x>'))
  assert.match(log.body, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/)
})

test('a bad filter value is a clear 400 page, not a 500', async () => {
  const response = await t.app.inject({
    url: '/dashboard/postbacks?period=forever',
    headers: { cookie },
  })
  assert.equal(response.statusCode, 400)
  assert.match(String(response.headers['content-type']), /text\/html/)
  assert.match(response.body, /period/)
})

test('a next= with CR/LF or other control characters falls back to the dashboard, never a 500', async () => {
  const hostile = [
    '/dashboard\r\nSet-Cookie: evil=1',
    '/dashboard?x=\r\nLocation: //evil.example',
    '/dashboard/postbacks\u0000',
    '/dashboard?\u007f',
    '/dashboard?\u2028',
    '/dashboard?\u20ac',
  ]
  for (const next of hostile) {
    const signIn = await t.app.inject({
      method: 'POST',
      url: '/dashboard/login',
      headers: form,
      payload: new URLSearchParams({ token: ADMIN_TOKEN, next }).toString(),
    })
    assert.equal(signIn.statusCode, 303, JSON.stringify(next))
    assert.equal(signIn.headers.location, '/dashboard')
    assert.equal(signIn.headers.evil, undefined)
    // Already signed in: the sign-in page redirects to next at once.
    const signedIn = await t.app.inject({
      url: `/dashboard/login?next=${encodeURIComponent(next)}`,
      headers: { cookie },
    })
    assert.equal(signedIn.statusCode, 303, JSON.stringify(next))
    assert.equal(signedIn.headers.location, '/dashboard')
    // Not signed in: the form carries the safe fallback, not the hostile value.
    const form_ = await t.app.inject({ url: `/dashboard/login?next=${encodeURIComponent(next)}` })
    assert.equal(form_.statusCode, 200)
    assert.match(form_.body, /name="next" value="\/dashboard"/)
  }
  // A plain in-dashboard next still works.
  const ok = await t.app.inject({
    url: `/dashboard/login?next=${encodeURIComponent('/dashboard/postbacks?network=a%20b')}`,
    headers: { cookie },
  })
  assert.equal(ok.headers.location, '/dashboard/postbacks?network=a%20b')
})
