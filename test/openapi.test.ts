import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Ajv2020 } from 'ajv/dist/2020.js'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { createApiToken } from '../src/accounts/tokens.js'
import { openDatabase } from '../src/db/database.js'
import { buildProfile, defaultProfile } from '../src/networks/profile.js'
import { NetworkRegistry } from '../src/networks/registry.js'
import { eventually, setUpDelivery } from './delivery/harness.js'
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
import { startReceiver } from './helpers/receiver.js'

// The OpenAPI document at /openapi.json must describe what the service really answers. Every
// request below is a real one, on real data: its status, content type, headers and body are
// checked against the document's response for that route, method and status (ajv, with the
// schemas generated from the routes' zod schemas), and the last test fails unless every answer
// each schema-declaring route documents was produced here. So an answer that drifts from its
// schema fails, and so does a documented answer no request gives.

const METRICS_TOKEN = 'test-metrics-token-0123456789'
type Document = {
  openapi: string
  paths: Record<string, Record<string, Operation>>
}
type Operation = {
  summary?: string
  tags?: string[]
  parameters?: unknown[]
  requestBody?: unknown
  responses: Record<
    string,
    {
      content?: Record<string, { schema: object }>
      headers?: Record<string, unknown>
    }
  >
}
type Request = InjectOptions & { url: string }

let t: TestApp
let document: Document
const ajv = new Ajv2020({ strict: false, allErrors: true })
const json = { accept: 'application/json' }
/** `GET /admin/stats 200`: every answer checked against the document. */
const checked = new Set<string>()

before(async () => {
  t = await createTestApp({ METRICS_TOKEN, MAX_PAYOUT: '100' })
  const response = await t.app.inject({ url: '/openapi.json' })
  assert.equal(response.statusCode, 200)
  document = response.json()
})
after(() => t.close())

/** The document's path for a URL: /admin/users/u1 -> /admin/users/{userId}. */
function documentedPath(method: string, url: string): string {
  const path = url.split('?')[0] ?? ''
  const matches = Object.keys(document.paths).filter(
    (template) =>
      document.paths[template]?.[method.toLowerCase()] &&
      new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path),
  )
  // A literal path wins over a template (/admin/conversions.csv, not /admin/conversions/{id}).
  matches.sort((a, b) => (a.match(/\{/g)?.length ?? 0) - (b.match(/\{/g)?.length ?? 0))
  assert.ok(matches[0], `${method} ${path} is not in the document`)
  return matches[0]
}

/** Fails unless the document has this route + method + status + content type, and the body fits. */
function assertDocumented(method: string, url: string, response: LightMyRequestResponse) {
  const path = documentedPath(method, url)
  const operation = document.paths[path]?.[method.toLowerCase()] as Operation
  const where = `${method} ${path} ${response.statusCode}`
  const documented = operation.responses[String(response.statusCode)]
  assert.ok(documented, `${where}: not documented (${response.body.slice(0, 300)})`)
  const type = String(response.headers['content-type']).split(';')[0] as string
  const media = documented.content?.[type]
  assert.ok(media, `${where} answered ${type}, not documented`)
  const body = type === 'application/json' ? response.json() : response.body
  const validate = ajv.compile(media.schema)
  assert.ok(validate(body), `${where}: ${ajv.errorsText(validate.errors)} in ${response.body}`)
  for (const header of Object.keys(documented.headers ?? {}))
    assert.ok(header in response.headers, `${where} lacks ${header}`)
  checked.add(`${method} ${path} ${response.statusCode}`)
}

/** Sends a request through the app and checks its answer against the document. */
async function sendAndCheck(app: FastifyInstance, request: Request) {
  const response = await app.inject(request)
  assertDocumented(String(request.method ?? 'GET'), request.url, response)
  return response
}

/** An admin request (with the token), checked against the document. */
const admin = (request: Request, app: FastifyInstance = t.app) =>
  sendAndCheck(app, { ...request, headers: { ...adminHeaders, ...request.headers } })

const fields = (extra: Record<string, string> = {}) => ({
  tx_id: uniqueTx('doc'),
  offer_id: '7',
  payout: '3.50',
  user_id: 'doc-user',
  ...extra,
})

/** A postback accepted (or held) through the real route; its conversion id. */
async function postback(extra: Record<string, string> = {}, app = t.app) {
  const response = await app.inject({ url: postbackUrl(fields(extra)), headers: json })
  assert.equal(response.statusCode, 200, response.body)
  return response.json() as { outcome: string; conversionId: string }
}

/** A valid request for every admin operation (what it names need not exist). */
const SAMPLES: Record<string, Request> = {
  'GET /admin/users/{userId}': { url: '/admin/users/doc-user' },
  'GET /admin/conversions': { url: '/admin/conversions' },
  'GET /admin/postbacks': { url: '/admin/postbacks' },
  'PUT /admin/offers/{offerId}': {
    method: 'PUT',
    url: '/admin/offers/7',
    payload: { expectedPayout: '3.50' },
  },
  'GET /admin/offers': { url: '/admin/offers' },
  'GET /admin/stats': { url: '/admin/stats' },
  'GET /admin/networks': { url: '/admin/networks' },
  'POST /admin/networks': {
    method: 'POST',
    url: '/admin/networks',
    payload: { name: 'doc-net', preset: 'monlix', secrets: ['doc-net-secret-0123456789'] },
  },
  'PATCH /admin/networks/{network}': {
    method: 'PATCH',
    url: '/admin/networks/doc-net',
    payload: { allowedIps: [] },
  },
  'GET /admin/networks/{network}/postback-url': { url: '/admin/networks/default/postback-url' },
  'GET /admin/networks/{network}/doctor': { url: '/admin/networks/default/doctor' },
  'POST /admin/conversions/{id}/approve': { method: 'POST', url: '/admin/conversions/1/approve' },
  'POST /admin/conversions/{id}/reject': { method: 'POST', url: '/admin/conversions/1/reject' },
  'GET /admin/conversions.csv': { url: '/admin/conversions.csv' },
  'POST /admin/users/{userId}/adjustments': {
    method: 'POST',
    url: '/admin/users/doc-user/adjustments',
    payload: { points: 1, reason: 'doc' },
  },
  'GET /admin/deliveries': { url: '/admin/deliveries' },
  'GET /admin/deliveries/{id}': { url: '/admin/deliveries/1' },
  'GET /admin/conversions/{id}/deliveries': { url: '/admin/conversions/1/deliveries' },
  'POST /admin/deliveries/{id}/retry': { method: 'POST', url: '/admin/deliveries/1/retry' },
  'GET /admin/postbacks/bulk-replay': { url: '/admin/postbacks/bulk-replay?network=none' },
  'POST /admin/postbacks/bulk-replay': {
    method: 'POST',
    url: '/admin/postbacks/bulk-replay',
    payload: { network: 'none' },
  },
  'GET /admin/deliveries/bulk-retry': { url: '/admin/deliveries/bulk-retry?rule=none' },
  'POST /admin/deliveries/bulk-retry': {
    method: 'POST',
    url: '/admin/deliveries/bulk-retry',
    payload: { rule: 'none' },
  },
  'GET /admin/ledger/verify': { url: '/admin/ledger/verify' },
  'POST /admin/offers/import': {
    method: 'POST',
    url: '/admin/offers/import',
    payload: { csv: 'offer_id,expected_payout\ndoc-import,1.25\n' },
  },
  'POST /admin/postbacks/replay': {
    method: 'POST',
    url: '/admin/postbacks/replay',
    payload: { since: '2000-01-01T00:00:00Z', outcome: 'NONE_SUCH', dryRun: true },
  },
  'GET /admin/bulk-runs/{id}': { url: '/admin/bulk-runs/1' },
  'GET /admin/postbacks.csv': { url: '/admin/postbacks.csv' },
  'POST /admin/networks/{network}/reconcile.csv': {
    method: 'POST',
    url: '/admin/networks/default/reconcile.csv',
    headers: { 'content-type': 'text/csv' },
    payload: 'tx_id,payout\nnot-here,1.00\n',
  },
  'POST /admin/bulk-runs/{id}/resume': { method: 'POST', url: '/admin/bulk-runs/1/resume' },
  'GET /admin/reports': { url: '/admin/reports' },
  'GET /admin/reports/{by}': { url: '/admin/reports/network' },
  'GET /admin/users': { url: '/admin/users' },
  'GET /admin/accounts': { url: '/admin/accounts' },
  'POST /admin/accounts': {
    method: 'POST',
    url: '/admin/accounts',
    payload: { name: 'doc-sample', role: 'viewer', password: 'doc-sample-password' },
  },
  'PATCH /admin/accounts/{name}': {
    method: 'PATCH',
    url: '/admin/accounts/doc-sample',
    payload: { role: 'operator' },
  },
  'POST /admin/accounts/{name}/password': {
    method: 'POST',
    url: '/admin/accounts/doc-sample/password',
    payload: { password: 'doc-sample-password-2' },
  },
  'POST /admin/accounts/{name}/sessions/revoke': {
    method: 'POST',
    url: '/admin/accounts/doc-sample/sessions/revoke',
  },
  'GET /admin/tokens': { url: '/admin/tokens' },
  'POST /admin/tokens': {
    method: 'POST',
    url: '/admin/tokens',
    payload: { name: 'doc-token', scope: 'viewer' },
  },
  'POST /admin/tokens/{id}/revoke': { method: 'POST', url: '/admin/tokens/1/revoke' },
  'GET /admin/audit': { url: '/admin/audit' },
  'POST /admin/postbacks/{id}/replay': { method: 'POST', url: '/admin/postbacks/1/replay' },
}

/** Every operation of the document with this tag, as `METHOD /path`. */
function operationsTagged(tag: string): string[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations)
      .filter(([, operation]) => operation.tags?.includes(tag))
      .map(([method]) => `${method.toUpperCase()} ${path}`),
  )
}

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
  assert.deepEqual(
    operationsTagged('admin').sort(),
    Object.keys(SAMPLES).sort(),
    'each admin operation has a sample request in this test',
  )
})

test('the docs page is served at /docs', async () => {
  const page = await t.app.inject({ url: '/docs/' })
  assert.equal(page.statusCode, 200)
  assert.match(page.body, /swagger-ui/i)
})

test('postback answers match the document: accepted, duplicate, text and JSON', async () => {
  const sent = fields()
  const first = await sendAndCheck(t.app, { url: postbackUrl(sent), headers: json })
  assert.equal(first.json().outcome, 'credited')
  const again = await sendAndCheck(t.app, { url: postbackUrl(sent), headers: json })
  assert.equal(again.json().outcome, 'duplicate')
  const text = await sendAndCheck(t.app, { url: postbackUrl(fields()) })
  assert.equal(text.body, 'OK')
  const posted = await sendAndCheck(t.app, {
    method: 'POST',
    url: '/api/postback',
    headers: { ...json, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ ...fields(), secret: SECRET }).toString(),
  })
  assert.equal(posted.json().outcome, 'credited')
  const named = await sendAndCheck(t.app, {
    url: postbackUrl(fields(), '/api/postback/default'),
    headers: json,
  })
  assert.equal(named.json().outcome, 'credited')
})

test('postback refusals match the document: 400, 403, 404, 413, 415', async () => {
  const expect = async (status: number, code: string, request: Request) => {
    for (const headers of [json, {}]) {
      const response = await sendAndCheck(t.app, {
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
      sendAndCheck(app, {
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

test('with the database unreachable, postbacks, /readyz and every admin route that reads the database answer the documented 503', async () => {
  const config = testConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' })
  const db = await openDatabase(config, silentLogger())
  const app = await buildAppOn({ ...t.testDb, db }, { POSTBACK_TIMEOUT_MS: '1000' })
  try {
    const postback = await sendAndCheck(app, { url: postbackUrl(fields()), headers: json })
    assert.equal(postback.statusCode, 503)
    assert.equal(postback.json().code, 'DATABASE_UNAVAILABLE')
    const ready = await sendAndCheck(app, { url: '/readyz' })
    assert.equal(ready.statusCode, 503)
    for (const [operation, request] of Object.entries(SAMPLES)) {
      const response = await admin(request, app)
      const [method, path] = operation.split(' ') as [string, string]
      const documents503 = Boolean(document.paths[path]?.[method.toLowerCase()]?.responses[503])
      assert.equal(response.statusCode === 503, documents503, `${operation}: ${response.body}`)
    }
  } finally {
    await app.close()
    await db.close()
  }
})

test('health and metrics answers match the document', async () => {
  assert.equal((await sendAndCheck(t.app, { url: '/healthz' })).statusCode, 200)
  assert.equal((await sendAndCheck(t.app, { url: '/readyz' })).statusCode, 200)
  const metrics = await sendAndCheck(t.app, {
    url: '/metrics',
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  })
  assert.equal(metrics.statusCode, 200)
  assert.equal((await sendAndCheck(t.app, { url: '/metrics' })).statusCode, 401)
})

test('admin answers on real data match the document: users, conversions, the log, stats, offers, networks, doctor, review', async () => {
  const credited = await postback({ sub2: '{aff_sub2}' }) // stored, with a warning
  assert.equal(credited.outcome, 'credited')
  await t.app.inject({ url: postbackUrl(fields({ payout: 'abc' })) }) // refused: for the doctor

  const user = await admin({ url: '/admin/users/doc-user?limit=1' })
  assert.equal(user.json().entries.length, 1)
  assert.ok(user.json().nextBefore, 'a further page')
  assert.equal((await admin({ url: '/admin/users/nobody' })).json().code, 'USER_NOT_FOUND')
  const conversions = await admin({ url: '/admin/conversions?limit=2&userId=doc-user' })
  assert.equal(conversions.json().items.length, 2)
  const log = await admin({ url: '/admin/postbacks?limit=20' })
  const items = log.json().items as { warnings: unknown[]; outcome: string }[]
  assert.ok(items.some((item) => item.warnings.length > 0))
  assert.ok(items.some((item) => item.outcome === 'INVALID_FIELD'))
  const mismatched = await admin({ url: '/admin/postbacks?payoutMismatch=true' })
  assert.deepEqual(mismatched.json().items, [])
  const report = await admin({ url: '/admin/reports?range=today&tz=Asia/Tokyo' })
  assert.ok(report.json().totals.conversions > 0)
  assert.ok(report.json().refusals.length > 0)
  for (const by of ['network', 'offer', 'day', 'user']) {
    const rows = await admin({ url: `/admin/reports/${by}?range=7d&limit=1` })
    assert.equal(rows.json().rows.length, 1, by)
  }
  const users = await admin({ url: '/admin/users?search=doc&sort=activity&limit=1' })
  assert.equal(users.json().items.length, 1)
  const stats = await admin({ url: '/admin/stats?by=offer&tz=Europe/Berlin' })
  assert.ok(stats.json().rows.length > 0)
  assert.ok((await admin({ url: '/admin/stats?by=day' })).json().rows.length > 0)

  const networks = await admin({ url: '/admin/networks' })
  assert.ok(networks.json().items.some((n: { name: string }) => n.name === 'default'))
  const url = await admin({ url: '/admin/networks/default/postback-url?base=https://pb.example' })
  assert.match(url.json().url, /^https:\/\/pb\.example\//)
  const unknown = await admin({ url: '/admin/networks/nope/postback-url' })
  assert.equal(unknown.json().code, 'UNKNOWN_NETWORK')
  const doctor = await admin({ url: '/admin/networks/default/doctor?rows=50' })
  assert.ok(doctor.json().findings.length > 0)
  assert.equal((await admin({ url: '/admin/networks/nope/doctor' })).statusCode, 404)

  const offer = await admin({
    method: 'PUT',
    url: '/admin/offers/7',
    payload: { expectedPayout: '3.50' },
  })
  assert.equal(offer.json().expectedPayout, '3.5')
  const held = await postback({ payout: '99.00' }) // above offer 7's 3.50 by far
  const heldToo = await postback({ payout: '99.00' })
  assert.deepEqual([held.outcome, heldToo.outcome], ['held', 'held'])
  const approve = {
    method: 'POST' as const,
    url: `/admin/conversions/${held.conversionId}/approve`,
  }
  assert.equal((await admin(approve)).json().outcome, 'credited')
  assert.equal((await admin(approve)).json().code, 'NOT_HELD')
  const reject = `/admin/conversions/${heldToo.conversionId}/reject`
  assert.equal((await admin({ method: 'POST', url: reject })).json().outcome, 'rejected')
  assert.equal((await admin({ method: 'POST', url: reject })).json().code, 'NOT_HELD')
  for (const verdict of ['approve', 'reject']) {
    const missing = await admin({ method: 'POST', url: `/admin/conversions/99999999/${verdict}` })
    assert.equal(missing.json().code, 'CONVERSION_NOT_FOUND')
  }
})

test('delivery outbox answers on real deliveries match the document: delivered, dead, retried', async () => {
  const ok = await startReceiver()
  const failing = await startReceiver({ failFirst: 1_000 })
  const setup = await setUpDelivery(t.testDb, [
    { name: 'notify', on: ['credited'], url: `${ok.url}/notify` },
    { name: 'forward', on: ['credited'], url: `${failing.url}/forward`, maxAttempts: 1 },
  ])
  let conversionId = ''
  try {
    const accepted = await postback({}, setup.app)
    conversionId = accepted.conversionId
    const states = () =>
      t.testDb.db.pool.query<{ state: string }>(
        'SELECT state FROM deliveries WHERE conversion_id = $1 ORDER BY state',
        [conversionId],
      )
    await eventually(states, ({ rows }) => rows.map((r) => r.state).join() === 'dead,delivered')
  } finally {
    await setup.close() // its worker stops: the retried delivery below stays pending
    await ok.close()
    await failing.close()
  }
  const list = await admin({ url: `/admin/deliveries?conversionId=${conversionId}&limit=1` })
  assert.equal(list.json().items.length, 1)
  assert.ok(list.json().nextBefore)
  const of = await admin({ url: `/admin/conversions/${conversionId}/deliveries` })
  const deliveries = of.json().items as { id: string; state: string; attemptLog: unknown[] }[]
  assert.deepEqual(deliveries.map((d) => [d.state, d.attemptLog.length]).sort(), [
    ['dead', 1],
    ['delivered', 1],
  ])
  const dead = deliveries.find((d) => d.state === 'dead')?.id
  const delivered = deliveries.find((d) => d.state === 'delivered')?.id
  const one = await admin({ url: `/admin/deliveries/${dead}` })
  assert.equal(one.json().attemptLog[0].statusCode, 500)
  assert.equal((await admin({ url: '/admin/deliveries/99999999' })).statusCode, 404)
  const retry = (id: string | undefined) =>
    admin({ method: 'POST', url: `/admin/deliveries/${id}/retry` })
  assert.equal((await retry(dead)).json().state, 'pending')
  assert.equal((await retry(dead)).json().code, 'NOT_DEAD')
  assert.equal((await retry(delivered)).json().code, 'NOT_DEAD')
  assert.equal((await retry('99999999')).json().code, 'DELIVERY_NOT_FOUND')
})

test('CSV export and manual adjustment answers match the document', async () => {
  const csv = await admin({ url: '/admin/conversions.csv?network=default' })
  assert.ok(csv.body.split('\r\n').length > 2, 'a header and conversions')
  const log = await admin({ url: '/admin/postbacks.csv?tz=Europe/Berlin' })
  assert.ok(log.body.split('\r\n').length > 2, 'a header and log rows')
  const reconcile = (network: string, report: string, query = '') =>
    admin({
      method: 'POST',
      url: `/admin/networks/${network}/reconcile.csv${query}`,
      headers: { 'content-type': 'text/csv' },
      payload: report,
    })
  const differences = await reconcile('default', 'tx_id,payout\nnot-here,1.00\n')
  assert.match(differences.body, /^kind,line,tx_id,/)
  assert.match(differences.body, /\r\nmissing_here,2,not-here,/)
  const unreadable = await reconcile('default', 'tx_id\n', '?txCol=Transaction')
  assert.equal(unreadable.json().code, 'INVALID_REPORT')
  assert.equal((await reconcile('nope', 'tx_id\n')).json().code, 'UNKNOWN_NETWORK')
  const url = '/admin/users/doc-adjusted/adjustments'
  const payload = { points: 25, reason: 'goodwill', reference: uniqueTx('doc-adjust') }
  assert.equal((await admin({ method: 'POST', url, payload })).statusCode, 201)
  assert.equal((await admin({ method: 'POST', url, payload })).statusCode, 200)
  const reused = await admin({ method: 'POST', url, payload: { ...payload, points: 26 } })
  assert.equal(reused.json().code, 'REFERENCE_USED')
})

test('the CLI counterparts (ledger check, offers import, streamed replay) answer as documented', async () => {
  const ledger = await admin({ url: '/admin/ledger/verify?examples=2' })
  assert.equal(ledger.json().checks.length > 3, true)
  const importUrl = '/admin/offers/import'
  const imported = await admin({
    method: 'POST',
    url: importUrl,
    payload: { csv: 'id;pay\ndoc-a,1.00\n'.replaceAll(';', ','), offerCol: 'id', payoutCol: 'pay' },
  })
  assert.deepEqual(imported.json(), { created: 1, updated: 0 })
  const bad = await admin({
    method: 'POST',
    url: importUrl,
    payload: { csv: 'offer_id,expected_payout\ndoc-b,1.00\ndoc-c,lots\n' },
  })
  assert.equal(bad.statusCode, 422)
  assert.equal(bad.json().code, 'OFFERS_NOT_IMPORTED')
  assert.equal(bad.json().problemCount, 1)
  assert.match(bad.json().problems[0], /^line 3: /)
  const unknown = await admin({
    method: 'POST',
    url: importUrl,
    payload: { csv: 'offer_id,expected_payout\n', network: 'nope' },
  })
  assert.equal(unknown.json().code, 'UNKNOWN_NETWORK')

  await t.app.inject({ url: postbackUrl({ offer_id: '7', payout: '1', user_id: 'doc-replay' }) })
  const replay = await admin({
    method: 'POST',
    url: '/admin/postbacks/replay',
    payload: {
      since: new Date(Date.now() - 60_000).toISOString(),
      outcome: 'MISSING_FIELD',
      by: 'doc',
    },
  })
  const lines = replay.body
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
  assert.equal(
    lines[0].line,
    'replaying as admin-api from 127.0.0.1 for doc: only requests whose caller was verified when they arrived',
  )
  assert.match(lines[1].line, / MISSING_FIELD -> still refused: 400 MISSING_FIELD /)
  const { tally } = lines.at(-1)
  assert.ok(tally.selected >= 1 && tally.refused === tally.selected, JSON.stringify(tally))
  assert.equal(lines.length, tally.selected + 2, 'the intro, a line per row, the tally')
})

test('bulk replay and bulk retry answers match the document: previews, runs, their progress, resume', async () => {
  await t.app.inject({ url: postbackUrl({ offer_id: '7', payout: '1' }) }) // refused: no tx_id
  const preview = await admin({ url: '/admin/postbacks/bulk-replay?outcome=MISSING_FIELD' })
  assert.ok(preview.json().matching > 0)
  const replay = await admin({
    method: 'POST',
    url: '/admin/postbacks/bulk-replay',
    payload: { outcome: 'MISSING_FIELD', from: '2000-01-01', tz: 'Europe/Berlin', limit: 5 },
  })
  assert.equal(replay.statusCode, 200)
  const progress = () => admin({ url: `/admin/bulk-runs/${replay.json().id}` })
  await eventually(progress, (run) => run.json().state === 'done')
  const { counts } = (await progress()).json()
  assert.ok(counts.refused >= 1 && counts.refused === counts.processed, 'replayed, refused again')
  const resume = (id: string) => admin({ method: 'POST', url: `/admin/bulk-runs/${id}/resume` })
  assert.equal((await resume(replay.json().id)).json().code, 'BULK_RUN_FINISHED')
  assert.equal((await resume('99999999')).json().code, 'BULK_RUN_NOT_FOUND')
  assert.equal((await admin({ url: '/admin/bulk-runs/99999999' })).statusCode, 404)
  assert.equal((await admin({ url: '/admin/deliveries/bulk-retry' })).statusCode, 200)

  // A run of each kind that another process is working on (its heartbeat is fresh).
  const { rows } = await t.testDb.db.pool.query<{ id: string }>(
    `INSERT INTO bulk_runs (kind, filter, state, started_by, owner, up_to_id, cap)
     VALUES ('replay', '{}', 'running', 'elsewhere', 'other', 0, 1),
            ('retry', '{}', 'running', 'elsewhere', 'other', 0, 1),
            ('replay', '{}', 'interrupted', 'before', NULL, 0, 1)
     RETURNING id::text`,
  )
  for (const url of ['/admin/postbacks/bulk-replay', '/admin/deliveries/bulk-retry']) {
    const busy = await admin({ method: 'POST', url, payload: {} })
    assert.equal(busy.json().code, 'BULK_RUN_ACTIVE', url)
  }
  assert.equal((await resume(rows[2]?.id ?? '')).json().code, 'BULK_RUN_ACTIVE')
  await t.testDb.db.pool.query(`UPDATE bulk_runs SET state = 'interrupted' WHERE owner = 'other'`)
  const resumed = await resume(rows[0]?.id ?? '')
  assert.equal(resumed.statusCode, 200)
  await eventually(
    () => admin({ url: `/admin/bulk-runs/${rows[0]?.id}` }),
    (run) => run.json().state === 'done',
  )
  await t.testDb.db.pool.query(`UPDATE bulk_runs SET state = 'done' WHERE state <> 'done'`)
  const retry = await admin({ method: 'POST', url: '/admin/deliveries/bulk-retry', payload: {} })
  assert.equal(retry.statusCode, 200)
})

test('network edits and the offers list match the document: added, changed, refused', async () => {
  const added = await admin({
    method: 'POST',
    url: '/admin/networks',
    payload: { name: 'doc-monlix', preset: 'monlix', secrets: ['doc-monlix-secret-0123456789'] },
  })
  assert.equal(added.statusCode, 200, added.body)
  const again = await admin({
    method: 'POST',
    url: '/admin/networks',
    payload: { name: 'doc-monlix', preset: 'monlix', secrets: ['doc-monlix-secret-0123456789'] },
  })
  assert.equal(again.json().code, 'NETWORK_EXISTS')
  const edit = (network: string) => ({
    method: 'PATCH' as const,
    url: `/admin/networks/${network}`,
    payload: { allowedIps: ['203.0.113.0/24'] },
  })
  assert.deepEqual((await admin(edit('doc-monlix'))).json().allowedIps, ['203.0.113.0/24'])
  assert.equal((await admin(edit('default'))).json().code, 'NETWORK_READ_ONLY')
  assert.equal((await admin(edit('nope'))).json().code, 'UNKNOWN_NETWORK')

  for (const offerId of ['doc-o1', 'doc-o2'])
    await admin({
      method: 'PUT',
      url: `/admin/offers/${offerId}`,
      payload: { expectedPayout: '1.250000', network: 'doc-offers' },
    })
  const first = await admin({ url: '/admin/offers?network=doc-offers&limit=1' })
  assert.deepEqual(first.json().items[0].expectedPayout, '1.25')
  const next = await admin({
    url: `/admin/offers?network=doc-offers&limit=1&after=${first.json().nextAfter}`,
  })
  assert.equal(next.json().items[0].offerId, 'doc-o2')
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
    const list = await admin({ url: `/admin/conversions?userId=${user}` }, app)
    assert.deepEqual(
      list
        .json()
        .items.map((c: { payout: string | null; offerId: string | null }) => [c.payout, c.offerId]),
      [
        ['150', null],
        [null, null],
      ],
    )
    assert.equal((await admin({ url: `/admin/users/${user}` }, app)).statusCode, 200)
    const stats = await admin({ url: '/admin/stats?by=offer' }, app)
    const tapjoyRow = stats.json().rows.find((r: { key: string }) => r.key === 'tapjoy / -')
    assert.deepEqual([tapjoyRow?.approved, tapjoyRow?.approvedPayout], [1, '0'])
    const approve = `/admin/conversions/${held.json().conversionId}/approve`
    const approved = await admin({ method: 'POST', url: approve }, app)
    assert.equal(approved.json().conversion.offerId, null)
  } finally {
    await app.close()
  }
})

test('accounts, tokens and audit answers match the document: created, listed, changed, refused', async () => {
  const account = { name: 'doc-ana', role: 'operator', password: 'doc-ana-password-1' }
  const created = await admin({ method: 'POST', url: '/admin/accounts', payload: account })
  assert.equal(created.statusCode, 200, created.body)
  const again = await admin({ method: 'POST', url: '/admin/accounts', payload: account })
  assert.equal(again.statusCode, 409)
  assert.equal((await admin({ url: '/admin/accounts' })).statusCode, 200)
  const changes = [
    { method: 'PATCH', url: '/admin/accounts/doc-ana', payload: { disabled: true } },
    {
      method: 'POST',
      url: '/admin/accounts/doc-ana/password',
      payload: { password: 'doc-ana-password-2' },
    },
    { method: 'POST', url: '/admin/accounts/doc-ana/sessions/revoke' },
  ] as const
  for (const request of changes) {
    assert.equal((await admin(request)).statusCode, 200, request.url)
    const missing = await admin({ ...request, url: request.url.replace('doc-ana', 'doc-nobody') })
    assert.equal(missing.statusCode, 404)
    assert.equal(missing.json().code, 'ACCOUNT_NOT_FOUND')
  }
  const token = await admin({
    method: 'POST',
    url: '/admin/tokens',
    payload: { name: 'doc', scope: 'viewer', expiresInDays: 30 },
  })
  assert.equal(token.statusCode, 200, token.body)
  assert.match(token.json().token, /^pbr_/)
  assert.equal((await admin({ url: '/admin/tokens' })).statusCode, 200)
  const revoked = await admin({ method: 'POST', url: `/admin/tokens/${token.json().id}/revoke` })
  assert.equal(revoked.statusCode, 200)
  assert.equal(
    (await admin({ method: 'POST', url: '/admin/tokens/999999/revoke' })).json().code,
    'TOKEN_NOT_FOUND',
  )
  const refused = await t.app.inject({ url: postbackUrl({ offer_id: '7', payout: '1' }) })
  assert.equal(refused.statusCode, 400)
  const { rows } = await t.testDb.db.pool.query<{ id: string }>(
    'SELECT max(id)::text AS id FROM postback_log WHERE status_code = 400',
  )
  const replayed = await admin({ method: 'POST', url: `/admin/postbacks/${rows[0]?.id}/replay` })
  assert.equal(replayed.statusCode, 200, replayed.body)
  assert.equal(replayed.json().kind, 'replayed')
  const unknown = await admin({ method: 'POST', url: '/admin/postbacks/999999999/replay' })
  assert.equal(unknown.statusCode, 404)
  const audit = await admin({ url: '/admin/audit?action=account.&limit=2' })
  assert.equal(audit.statusCode, 200)
  assert.equal(audit.json().items.length, 2)
})

test('every admin route refuses a missing token (401) and, past AUTH_FAILURE_MAX wrong ones, any token (429), as documented', async () => {
  for (const request of Object.values(SAMPLES)) {
    const response = await sendAndCheck(t.app, request)
    assert.equal(response.json().code, 'UNAUTHORIZED', request.url)
  }
  const app = await buildAppOn(t.testDb, { METRICS_TOKEN, AUTH_FAILURE_MAX: '1' })
  try {
    const from = { remoteAddress: '198.51.100.77' }
    const wrong = { authorization: 'Bearer not-the-admin-token-000000' }
    assert.equal(
      (await admin({ url: '/admin/networks', headers: wrong, ...from }, app)).statusCode,
      401,
    )
    for (const request of Object.values(SAMPLES)) {
      const response = await admin({ ...request, ...from }, app)
      assert.equal(response.json().code, 'TOO_MANY_AUTH_FAILURES', request.url)
    }
    const metrics = await sendAndCheck(app, {
      url: '/metrics',
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
      ...from,
    })
    assert.equal(metrics.statusCode, 429)
  } finally {
    await app.close()
  }
})

test('every admin route refuses a bad parameter or body with a 400 naming the field, as documented', async () => {
  const bad: Record<string, [Request, field: string]> = {
    'GET /admin/users/{userId}': [{ url: '/admin/users/a%00b' }, 'userId'],
    'GET /admin/conversions': [{ url: '/admin/conversions?status=paid' }, 'status'],
    'GET /admin/postbacks': [{ url: '/admin/postbacks?limit=0' }, 'limit'],
    'PUT /admin/offers/{offerId}': [
      { method: 'PUT', url: '/admin/offers/7', payload: { expectedPayout: 3.5 } },
      'expectedPayout',
    ],
    'GET /admin/offers': [{ url: '/admin/offers?limit=0' }, 'limit'],
    'POST /admin/networks': [
      { method: 'POST', url: '/admin/networks', payload: { name: 'n', allowedIps: '1.2.3.4' } },
      'allowedIps',
    ],
    'PATCH /admin/networks/{network}': [
      { method: 'PATCH', url: '/admin/networks/n', payload: { statuses: { approved: 'ok' } } },
      'statuses.approved',
    ],
    'GET /admin/stats': [{ url: '/admin/stats?tz=Mars/Olympus' }, 'tz'],
    'GET /admin/networks/{network}/postback-url': [
      { url: '/admin/networks/default/postback-url?base=ftp://x' },
      'base',
    ],
    'GET /admin/networks/{network}/doctor': [
      { url: '/admin/networks/default/doctor?rows=0' },
      'rows',
    ],
    'POST /admin/conversions/{id}/approve': [
      { method: 'POST', url: '/admin/conversions/abc/approve' },
      'id',
    ],
    'POST /admin/conversions/{id}/reject': [
      { method: 'POST', url: '/admin/conversions/abc/reject' },
      'id',
    ],
    'GET /admin/conversions.csv': [{ url: '/admin/conversions.csv?from=yesterday' }, 'from'],
    'POST /admin/users/{userId}/adjustments': [
      { method: 'POST', url: '/admin/users/u/adjustments', payload: { points: 0, reason: 'x' } },
      'points',
    ],
    'GET /admin/deliveries': [{ url: '/admin/deliveries?state=lost' }, 'state'],
    'GET /admin/deliveries/{id}': [{ url: '/admin/deliveries/abc' }, 'id'],
    'GET /admin/conversions/{id}/deliveries': [{ url: '/admin/conversions/abc/deliveries' }, 'id'],
    'POST /admin/deliveries/{id}/retry': [
      { method: 'POST', url: '/admin/deliveries/abc/retry' },
      'id',
    ],
    'GET /admin/postbacks/bulk-replay': [{ url: '/admin/postbacks/bulk-replay?limit=0' }, 'limit'],
    'POST /admin/postbacks/bulk-replay': [
      { method: 'POST', url: '/admin/postbacks/bulk-replay', payload: { from: 'today' } },
      'from',
    ],
    'GET /admin/deliveries/bulk-retry': [{ url: '/admin/deliveries/bulk-retry?tz=Mars' }, 'tz'],
    'POST /admin/deliveries/bulk-retry': [
      { method: 'POST', url: '/admin/deliveries/bulk-retry', payload: { event: 'lost' } },
      'event',
    ],
    'GET /admin/ledger/verify': [{ url: '/admin/ledger/verify?examples=-1' }, 'examples'],
    'POST /admin/offers/import': [
      { method: 'POST', url: '/admin/offers/import', payload: { csv: 5 } },
      'csv',
    ],
    'POST /admin/postbacks/replay': [
      { method: 'POST', url: '/admin/postbacks/replay', payload: { since: 'yesterday' } },
      'since',
    ],
    'GET /admin/bulk-runs/{id}': [{ url: '/admin/bulk-runs/abc' }, 'id'],
    'GET /admin/postbacks.csv': [{ url: '/admin/postbacks.csv?from=yesterday' }, 'from'],
    'POST /admin/networks/{network}/reconcile.csv': [
      {
        method: 'POST',
        url: '/admin/networks/default/reconcile.csv?dateFormat=roman',
        headers: { 'content-type': 'text/csv' },
        payload: 'tx_id\n',
      },
      'dateFormat',
    ],
    'POST /admin/bulk-runs/{id}/resume': [
      { method: 'POST', url: '/admin/bulk-runs/abc/resume' },
      'id',
    ],
    'GET /admin/reports': [{ url: '/admin/reports?range=custom&from=2026-03-01' }, 'to'],
    'GET /admin/reports/{by}': [{ url: '/admin/reports/offer?sort=size' }, 'sort'],
    'GET /admin/users': [{ url: '/admin/users?limit=0' }, 'limit'],
    'POST /admin/accounts': [
      {
        method: 'POST',
        url: '/admin/accounts',
        payload: { name: 'Bad Name', role: 'viewer', password: 'doc-sample-password' },
      },
      'name',
    ],
    'PATCH /admin/accounts/{name}': [
      { method: 'PATCH', url: '/admin/accounts/doc-sample', payload: { role: 'root' } },
      'role',
    ],
    'POST /admin/accounts/{name}/password': [
      {
        method: 'POST',
        url: '/admin/accounts/doc-sample/password',
        payload: { password: 'short' },
      },
      'password',
    ],
    'POST /admin/accounts/{name}/sessions/revoke': [
      { method: 'POST', url: '/admin/accounts/Bad%20Name/sessions/revoke' },
      'name',
    ],
    'POST /admin/tokens': [
      { method: 'POST', url: '/admin/tokens', payload: { name: 'x', scope: 'root' } },
      'scope',
    ],
    'POST /admin/tokens/{id}/revoke': [{ method: 'POST', url: '/admin/tokens/abc/revoke' }, 'id'],
    'GET /admin/audit': [{ url: '/admin/audit?limit=0' }, 'limit'],
    'POST /admin/postbacks/{id}/replay': [
      { method: 'POST', url: '/admin/postbacks/abc/replay' },
      'id',
    ],
  }
  const taking = operationsTagged('admin').filter((operation) => {
    const [method, path] = operation.split(' ') as [string, string]
    return document.paths[path]?.[method.toLowerCase()]?.responses[400]
  })
  assert.deepEqual(
    Object.keys(bad).sort(),
    taking.sort(),
    'a bad request for each route with a 400',
  )
  for (const [request, field] of Object.values(bad)) {
    const response = await admin(request)
    const body = response.json()
    assert.equal(response.statusCode, 400, request.url)
    assert.equal(body.code, 'INVALID_FIELD', request.url)
    assert.deepEqual(
      body.fields.map((f: { field: string; code: string }) => [f.field, f.code]),
      [[field, 'INVALID_FIELD']],
    )
    assert.match(body.message, new RegExp(`^${field}: `))
  }
})

test('a balances:read token gets 403 FORBIDDEN from every admin route but the balance lookup, as documented', async () => {
  const { token } = await createApiToken(
    t.testDb.db.pool,
    { name: 'app-backend', scope: 'balances:read', expiresAt: null },
    { name: 'openapi-test', via: 'test' },
  )
  const headers = { authorization: `Bearer ${token}` }
  for (const [operation, request] of Object.entries(SAMPLES)) {
    const response = await sendAndCheck(t.app, { ...request, headers })
    const expected = operation === 'GET /admin/users/{userId}' ? 200 : 403
    assert.equal(response.statusCode, expected, `${operation}: ${response.body}`)
  }
})

test('every admin POST and PUT refuses a body that is too large (413) or not JSON (415), as documented', async () => {
  const writes = Object.entries(SAMPLES).filter(([operation]) => !operation.startsWith('GET '))
  assert.ok(writes.length >= 5)
  for (const [, request] of writes) {
    const tooLarge = await admin({
      ...request,
      headers: { 'content-type': 'application/json' },
      payload: `"${'x'.repeat(1_100_000)}"`,
    })
    assert.equal(tooLarge.json().code, 'BODY_TOO_LARGE', request.url)
    const xml = await admin({
      ...request,
      headers: { 'content-type': 'application/xml' },
      payload: '<points>1</points>',
    })
    assert.equal(xml.json().code, 'UNSUPPORTED_MEDIA_TYPE', request.url)
  }
})

test('every answer each schema-declaring route documents was produced by a request above (run the whole file)', () => {
  const missing = Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.entries(operations)
      .filter(([, operation]) => !operation.tags?.includes('postbacks')) // documented by hand
      .flatMap(([method, operation]) =>
        Object.keys(operation.responses)
          .map((status) => `${method.toUpperCase()} ${path} ${status}`)
          .filter((answer) => !checked.has(answer)),
      ),
  )
  assert.deepEqual(missing, [], 'documented answers no request gave')
})
