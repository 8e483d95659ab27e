import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Ajv2020 } from 'ajv/dist/2020.js'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { openDatabase } from '../src/db/database.js'
import { buildProfile, defaultProfile } from '../src/networks/profile.js'
import { NetworkRegistry } from '../src/networks/registry.js'
import {
  ADMIN_TOKEN,
  adminHeaders,
  buildAppOn,
  createTestApp,
  postbackUrl,
  SECRET,
  type TestApp,
  uniqueTx,
} from './helpers/app.js'
import { testConfig } from './helpers/database.js'
import { silentLogger } from './helpers/logging.js'

// The OpenAPI document at /openapi.json must describe what the service really answers: each
// request below is a real one, and its status, content type, headers and body are checked
// against the document's response for that route, method and status.

const METRICS_TOKEN = 'test-metrics-token-0123456789'
type Document = {
  openapi: string
  paths: Record<string, Record<string, Operation>>
}
type Operation = {
  summary?: string
  tags?: string[]
  responses: Record<
    string,
    {
      content?: Record<string, { schema: object }>
      headers?: Record<string, unknown>
    }
  >
}

let t: TestApp
let document: Document
const ajv = new Ajv2020({ strict: false, allErrors: true })
const json = { accept: 'application/json' }

before(async () => {
  t = await createTestApp({ METRICS_TOKEN })
  const response = await t.app.inject({ url: '/openapi.json' })
  assert.equal(response.statusCode, 200)
  document = response.json()
})
after(() => t.close())

/** Fails unless the document has this route + method + status + content type, and the body fits. */
function assertDocumented(method: string, path: string, response: LightMyRequestResponse) {
  const operation = document.paths[path]?.[method.toLowerCase()]
  assert.ok(operation, `${method} ${path} is not in the document`)
  const documented = operation.responses[String(response.statusCode)]
  assert.ok(documented, `${method} ${path} answered ${response.statusCode}, not documented`)
  const type = String(response.headers['content-type']).split(';')[0] as string
  const media = documented.content?.[type]
  assert.ok(media, `${method} ${path} ${response.statusCode} answered ${type}, not documented`)
  const body = type === 'application/json' ? response.json() : response.body
  const validate = ajv.compile(media.schema)
  assert.ok(
    validate(body),
    `${method} ${path} ${response.statusCode}: ${ajv.errorsText(validate.errors)} in ${response.body}`,
  )
  for (const header of Object.keys(documented.headers ?? {}))
    assert.ok(
      header in response.headers,
      `${method} ${path} ${response.statusCode} lacks ${header}`,
    )
}

const fields = (extra: Record<string, string> = {}) => ({
  tx_id: uniqueTx('doc'),
  offer_id: '7',
  payout: '3.50',
  user_id: 'doc-user',
  ...extra,
})

test('the document is OpenAPI 3.1, every route is described, and no secret is in it', async () => {
  assert.equal(document.openapi, '3.1.0')
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      assert.ok(
        !operation.tags?.includes('undocumented'),
        `${method.toUpperCase()} ${path} has no documentation: give its route a schema with a summary and its answers (src/openapi/zod-routes.ts)`,
      )
      assert.ok(operation.responses['200'], `${method} ${path} documents no 200`)
    }
  }
  for (const path of ['/api/postback', '/api/postback/{network}', '/healthz', '/readyz'])
    assert.ok(document.paths[path], `${path} is documented`)
  assert.ok(document.paths['/metrics']?.get && document.paths['/admin/stats']?.get)
  const ui = Object.keys(document.paths).filter((path) => path.startsWith('/dashboard'))
  assert.deepEqual(ui, [], 'the browser dashboard is not an API')
  const text = JSON.stringify(document)
  for (const secret of [SECRET, ADMIN_TOKEN, METRICS_TOKEN]) assert.ok(!text.includes(secret))
})

test('the docs page is served at /docs', async () => {
  const page = await t.app.inject({ url: '/docs/' })
  assert.equal(page.statusCode, 200)
  assert.match(page.body, /swagger-ui/i)
})

/** Sends a request through the app and checks its answer against the document. */
async function sendAndCheck(
  app: FastifyInstance,
  path: string,
  request: InjectOptions & { url: string },
) {
  const response = await app.inject(request)
  assertDocumented(String(request.method ?? 'GET'), path, response)
  return response
}

test('postback answers match the document: accepted, duplicate, text and JSON', async () => {
  const sent = fields()
  const first = await sendAndCheck(t.app, '/api/postback', {
    url: postbackUrl(sent),
    headers: json,
  })
  assert.equal(first.json().outcome, 'credited')
  const again = await sendAndCheck(t.app, '/api/postback', {
    url: postbackUrl(sent),
    headers: json,
  })
  assert.equal(again.json().outcome, 'duplicate')
  const text = await sendAndCheck(t.app, '/api/postback', { url: postbackUrl(fields()) })
  assert.equal(text.body, 'OK')
  const posted = await sendAndCheck(t.app, '/api/postback', {
    method: 'POST',
    url: '/api/postback',
    headers: { ...json, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ ...fields(), secret: SECRET }).toString(),
  })
  assert.equal(posted.json().outcome, 'credited')
  const named = await sendAndCheck(t.app, '/api/postback/{network}', {
    url: postbackUrl(fields(), '/api/postback/default'),
    headers: json,
  })
  assert.equal(named.json().outcome, 'credited')
})

test('postback refusals match the document: 400, 403, 404, 413, 415', async () => {
  const expect = async (status: number, code: string, request: InjectOptions & { url: string }) => {
    const path = request.url.startsWith('/api/postback/')
      ? '/api/postback/{network}'
      : '/api/postback'
    for (const headers of [json, {}]) {
      const response = await sendAndCheck(t.app, path, {
        ...request,
        headers: { ...headers, ...request.headers },
      })
      assert.equal(response.statusCode, status)
      assert.equal(response.headers['x-postback-outcome'], code)
    }
  }
  await expect(400, 'MISSING_FIELD', { url: postbackUrl({ offer_id: '7', payout: '1' }) })
  await expect(400, 'INVALID_FIELD', { url: postbackUrl(fields({ payout: '1e3' })) })
  await expect(400, 'UNREPLACED_MACRO', { url: postbackUrl(fields({ user_id: '{user_id}' })) })
  await expect(403, 'BAD_SECRET', { url: postbackUrl({ ...fields(), secret: 'x'.repeat(20) }) })
  await expect(404, 'UNKNOWN_NETWORK', { url: postbackUrl(fields(), '/api/postback/nope') })
  await expect(413, 'BODY_TOO_LARGE', {
    method: 'POST',
    url: '/api/postback',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `sub1=${'x'.repeat(9000)}`,
  })
  await expect(415, 'UNSUPPORTED_MEDIA_TYPE', {
    method: 'POST',
    url: '/api/postback',
    headers: { 'content-type': 'text/plain' },
    payload: 'tx_id=1',
  })
})

test('a rate-limited postback (429) matches the document', async () => {
  const app = await buildAppOn(t.testDb, { RATE_LIMIT_MAX: '1' })
  try {
    const send = () =>
      sendAndCheck(app, '/api/postback', {
        url: postbackUrl(fields()),
        headers: json,
        remoteAddress: '198.51.100.9',
      })
    assert.equal((await send()).statusCode, 200)
    const limited = await send()
    assert.equal(limited.statusCode, 429)
    assert.equal(limited.json().code, 'RATE_LIMITED')
  } finally {
    await app.close()
  }
})

test('with the database unreachable, postbacks and /readyz answer the documented 503', async () => {
  const config = testConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' })
  const db = await openDatabase(config, silentLogger())
  const app = await buildAppOn({ ...t.testDb, db }, { POSTBACK_TIMEOUT_MS: '1000' })
  try {
    const postback = await sendAndCheck(app, '/api/postback', {
      url: postbackUrl(fields()),
      headers: json,
    })
    assert.equal(postback.statusCode, 503)
    assert.equal(postback.json().code, 'DATABASE_UNAVAILABLE')
    const ready = await sendAndCheck(app, '/readyz', { url: '/readyz' })
    assert.equal(ready.statusCode, 503)
  } finally {
    await app.close()
    await db.close()
  }
})

test('health, metrics and admin answers match the document', async () => {
  await sendAndCheck(t.app, '/healthz', { url: '/healthz' })
  const ready = await sendAndCheck(t.app, '/readyz', { url: '/readyz' })
  assert.equal(ready.statusCode, 200)
  const metrics = await sendAndCheck(t.app, '/metrics', {
    url: '/metrics',
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  })
  assert.equal(metrics.statusCode, 200)
  assert.equal((await sendAndCheck(t.app, '/metrics', { url: '/metrics' })).statusCode, 401)

  const unauthorized = await sendAndCheck(t.app, '/admin/stats', { url: '/admin/stats' })
  assert.equal(unauthorized.statusCode, 401)
  assert.equal(unauthorized.json().code, 'UNAUTHORIZED')
  const admin = (path: string, url: string, extra: object = {}) =>
    sendAndCheck(t.app, path, { url, headers: adminHeaders, ...extra })

  assert.equal((await admin('/admin/users/{userId}', '/admin/users/doc-user')).statusCode, 200)
  assert.equal((await admin('/admin/users/{userId}', '/admin/users/nobody')).statusCode, 404)
  assert.equal((await admin('/admin/conversions', '/admin/conversions?limit=1')).statusCode, 200)
  assert.equal((await admin('/admin/conversions', '/admin/conversions?limit=0')).statusCode, 400)
  assert.equal((await admin('/admin/postbacks', '/admin/postbacks?limit=5')).statusCode, 200)
  assert.equal((await admin('/admin/stats', '/admin/stats?by=offer')).statusCode, 200)
  assert.equal((await admin('/admin/networks', '/admin/networks')).statusCode, 200)
  const url = '/admin/networks/default/postback-url'
  assert.equal((await admin('/admin/networks/{network}/postback-url', url)).statusCode, 200)
  const doctor = '/admin/networks/{network}/doctor'
  assert.equal((await admin(doctor, '/admin/networks/default/doctor')).statusCode, 200)
  assert.equal((await admin(doctor, '/admin/networks/nope/doctor')).statusCode, 404)
  const offer = await admin('/admin/offers/{offerId}', '/admin/offers/7', {
    method: 'PUT',
    payload: { expectedPayout: '3.50' },
  })
  assert.equal(offer.statusCode, 200)
  const held = await t.app.inject({
    url: postbackUrl(fields({ payout: '99.00' })),
    headers: json,
  })
  assert.equal(held.json().outcome, 'held')
  const id = held.json().conversionId as string
  const approve = `/admin/conversions/${id}/approve`
  const approved = await admin('/admin/conversions/{id}/approve', approve, { method: 'POST' })
  assert.equal(approved.json().outcome, 'credited')
  const again = await admin('/admin/conversions/{id}/approve', approve, { method: 'POST' })
  assert.equal(again.statusCode, 409)
  const reject = `/admin/conversions/99999999/reject`
  assert.equal(
    (await admin('/admin/conversions/{id}/reject', reject, { method: 'POST' })).statusCode,
    404,
  )
})

test('delivery outbox admin answers match the document', async () => {
  const admin = (path: string, url: string, extra: object = {}) =>
    sendAndCheck(t.app, path, { url, headers: adminHeaders, ...extra })
  assert.equal((await admin('/admin/deliveries', '/admin/deliveries?limit=5')).statusCode, 200)
  assert.equal((await admin('/admin/deliveries', '/admin/deliveries?state=lost')).statusCode, 400)
  const missing = await admin('/admin/deliveries/{id}', '/admin/deliveries/99999999')
  assert.equal(missing.json().code, 'DELIVERY_NOT_FOUND')
  const retry = '/admin/deliveries/99999999/retry'
  const notDead = await admin('/admin/deliveries/{id}/retry', retry, { method: 'POST' })
  assert.equal(notDead.statusCode, 404)
  const accepted = await t.app.inject({ url: postbackUrl(fields()), headers: json })
  const of = `/admin/conversions/${accepted.json().conversionId}/deliveries`
  assert.equal((await admin('/admin/conversions/{id}/deliveries', of)).statusCode, 200)
})

test('CSV export and manual adjustment answers match the document', async () => {
  const admin = (path: string, url: string, extra: object = {}) =>
    sendAndCheck(t.app, path, { url, headers: adminHeaders, ...extra })
  const csv = await admin('/admin/conversions.csv', '/admin/conversions.csv')
  assert.equal(csv.statusCode, 200)
  const path = '/admin/users/{userId}/adjustments'
  const url = '/admin/users/doc-adjusted/adjustments'
  const payload = { points: 25, reason: 'goodwill', reference: uniqueTx('doc-adjust') }
  assert.equal((await admin(path, url, { method: 'POST', payload })).statusCode, 201)
  assert.equal((await admin(path, url, { method: 'POST', payload })).statusCode, 200)
  const reused = await admin(path, url, { method: 'POST', payload: { ...payload, points: 26 } })
  assert.equal(reused.json().code, 'REFERENCE_USED')
  const invalid = await admin(path, url, { method: 'POST', payload: { points: 0, reason: 'x' } })
  assert.equal(invalid.statusCode, 400)
})

test('reward-only conversions (no payout, no offer id) and their review match the document', async () => {
  // Tapjoy sends points only; TheoremReach a payout but no offer id (held above MAX_PAYOUT).
  const config = testConfig({ POSTBACK_SECRET: SECRET, ADMIN_TOKEN, MAX_PAYOUT: '100' })
  const unsigned = { signature: { kind: 'none' } } as const
  const networks = new NetworkRegistry([
    defaultProfile(config, [SECRET]),
    buildProfile('tapjoy', { preset: 'tapjoy', ...unsigned }, config),
    buildProfile('theoremreach', { preset: 'theoremreach', ...unsigned }, config),
  ])
  const app = await buildAppOn(t.testDb, { MAX_PAYOUT: '100' }, undefined, { networks })
  try {
    const user = uniqueTx('doc-reward')
    const tapjoy = await app.inject({
      url: `/api/postback/tapjoy?id=${uniqueTx('tj')}&snuid=${user}&currency=50`,
    })
    assert.equal(tapjoy.headers['x-postback-outcome'], 'credited')
    const held = await app.inject({
      url: `/api/postback/theoremreach?tx_id=${uniqueTx('tr')}&user_id=${user}&reward=70&currency=150`,
      headers: json,
    })
    assert.equal(held.json().outcome, 'held')
    const admin = (path: string, url: string, extra: object = {}) =>
      sendAndCheck(app, path, { url, headers: adminHeaders, ...extra })
    const list = await admin('/admin/conversions', `/admin/conversions?userId=${user}`)
    assert.deepEqual(
      list
        .json()
        .items.map((c: { payout: string | null; offerId: string | null }) => [c.payout, c.offerId]),
      [
        ['150', null],
        [null, null],
      ],
    )
    assert.equal((await admin('/admin/users/{userId}', `/admin/users/${user}`)).statusCode, 200)
    const stats = await admin('/admin/stats', '/admin/stats?by=offer')
    const tapjoyRow = stats.json().rows.find((r: { key: string }) => r.key === 'tapjoy / -')
    assert.deepEqual([tapjoyRow?.approved, tapjoyRow?.approvedPayout], [1, '0'])
    const approve = `/admin/conversions/${held.json().conversionId}/approve`
    const approved = await admin('/admin/conversions/{id}/approve', approve, { method: 'POST' })
    assert.equal(approved.json().conversion.offerId, null)
  } finally {
    await app.close()
  }
})
