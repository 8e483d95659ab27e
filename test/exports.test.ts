import assert from 'node:assert/strict'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, test } from 'node:test'
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

// The CSV exports through the admin API and the dashboard's session: the postback log of a
// range in a time zone, reconcile's differences for a report sent as the body, cells a
// spreadsheet would run defused (negative numbers left as numbers), no secret in a file, and
// a stream that starts before the export has read its last page.

let t: TestApp
let cookie: string

before(async () => {
  t = await createTestApp()
  const signIn = await t.app.inject({
    method: 'POST',
    url: '/dashboard/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token: ADMIN_TOKEN, next: '/dashboard' }).toString(),
  })
  cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? ''
})
after(() => t.close())

const parse = (body: string) => body.trim().split('\r\n')
/** The CSV's rows as objects by header name (no quoted commas in the columns read here). */
function rows(body: string): Record<string, string>[] {
  const [header = '', ...lines] = parse(body)
  const names = header.split(',')
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v])))
}

test('the postback log exports as CSV with the admin token and with the dashboard session, secrets redacted, formulas defused', async () => {
  const formula = `=HYPERLINK("http://evil.example","x")-${uniqueTx()}`
  const minus = `-${uniqueTx()}`
  for (const tx of [formula, minus]) {
    const sent = await t.app.inject(
      postbackUrl({ tx_id: tx, offer_id: 'o', payout: '1.50', user_id: '@alice' }),
    )
    assert.equal(sent.headers['x-postback-outcome'], 'credited')
  }
  await t.app.inject(postbackUrl({ offer_id: 'o', payout: '1', user_id: 'u' })) // refused

  const api = await t.app.inject({ url: '/admin/postbacks.csv', headers: adminHeaders })
  assert.equal(api.statusCode, 200)
  assert.match(String(api.headers['content-type']), /^text\/csv/)
  assert.match(String(api.headers['content-disposition']), /attachment; filename="postbacks.csv"/)
  assert.ok(!api.body.includes(SECRET), 'the secret never reaches an export')
  assert.match(api.body, /secret=\[REDACTED\]/)
  const lines = parse(api.body)
  assert.match(lines[0] ?? '', /^id,received_at,received_at_local,network,status_code,outcome,/)
  const formulaLine = lines.find((line) => line.includes('HYPERLINK')) ?? ''
  assert.match(formulaLine, /,"'=HYPERLINK\(""http:\/\/evil\.example"",""x""\)-tx-/)
  assert.ok(!/,=/.test(formulaLine) && !/,"=/.test(formulaLine), 'no cell starts with =')
  const minusLine = lines.find((line) => line.includes(minus)) ?? ''
  assert.match(minusLine, new RegExp(`,'${minus},`), 'a tx id that looks negative is text')
  assert.match(minusLine, /,'@alice,/)
  assert.match(minusLine, /,1\.5,/, 'the payout stays a number')

  const refused = await t.app.inject({
    url: '/admin/postbacks.csv?outcome=refused',
    headers: adminHeaders,
  })
  assert.deepEqual(
    rows(refused.body).map((r) => r.outcome),
    ['MISSING_FIELD'],
  )

  // The dashboard's button: the same file on the session cookie; no cookie, no file.
  const dashboard = await t.app.inject({ url: '/dashboard/postbacks.csv', headers: { cookie } })
  assert.equal(dashboard.statusCode, 200)
  assert.equal(parse(dashboard.body).length, lines.length)
  const signedOut = await t.app.inject({ url: '/dashboard/postbacks.csv' })
  assert.equal(signedOut.statusCode, 303)
  assert.match(String(signedOut.headers.location), /^\/dashboard\/login/)
  const conversions = await t.app.inject({ url: '/dashboard/conversions.csv', headers: { cookie } })
  assert.match(parse(conversions.body)[0] ?? '', /,created_at,updated_at,created_at_local$/)
  assert.match(conversions.body, /,"'=HYPERLINK/)
})

test('a range is read in its time zone, and local times are written in it', async () => {
  const { rows: inserted } = await t.testDb.db.pool.query<{ id: string }>(
    `INSERT INTO postback_log (received_at, network, method, path, status_code, outcome, tx_id)
     VALUES ('2026-03-01 22:30:00+00', 'tz-net', 'GET', '/api/postback', 403, 'BAD_SECRET', 'late-utc'),
            ('2026-03-01 23:30:00+00', 'tz-net', 'GET', '/api/postback', 403, 'BAD_SECRET', 'berlin-2nd')
     RETURNING id::text`,
  )
  assert.equal(inserted.length, 2)
  const get = (query: string) =>
    t.app.inject({ url: `/admin/postbacks.csv?network=tz-net&${query}`, headers: adminHeaders })
  // 2026-03-02 in Berlin (UTC+1) starts at 2026-03-01 23:00 UTC: only the second row.
  const berlin = rows((await get('from=2026-03-02&to=2026-03-02&tz=Europe/Berlin')).body)
  assert.deepEqual(
    berlin.map((r) => [r.tx_id, r.received_at_local]),
    [['berlin-2nd', '2026-03-02 00:30:00']],
  )
  const utc = rows((await get('from=2026-03-01&to=2026-03-01')).body)
  assert.deepEqual(
    utc.map((r) => [r.tx_id, r.received_at_local]),
    [
      ['late-utc', '2026-03-01 22:30:00'],
      ['berlin-2nd', '2026-03-01 23:30:00'],
    ],
  )
  // Without tz, the operator's REPORT_TIMEZONE (the reports' zone) is the export's too.
  const berlinApp = await buildAppOn(t.testDb, { REPORT_TIMEZONE: 'Europe/Berlin' })
  try {
    const byDefault = await berlinApp.inject({
      url: '/admin/postbacks.csv?network=tz-net&from=2026-03-02&to=2026-03-02',
      headers: adminHeaders,
    })
    assert.deepEqual(
      rows(byDefault.body).map((r) => r.tx_id),
      ['berlin-2nd'],
    )
    const form = await berlinApp.inject({ url: '/dashboard/postbacks', headers: { cookie } })
    assert.match(form.body, /name="tz" value="Europe\/Berlin"/)
  } finally {
    await berlinApp.close()
  }
  const bad = await get('from=yesterday&tz=Mars/Base')
  assert.equal(bad.statusCode, 400)
  assert.match(bad.json().message, /from: must be a local date.*tz: must be an IANA time zone/)
})

test("reconcile's differences for a report sent as the body, with the token and with the session", async () => {
  const ours = uniqueTx('rec')
  await t.app.inject(postbackUrl({ tx_id: ours, offer_id: 'o', payout: '2.00', user_id: 'r' }))
  const report = [
    'Transaction,Amount,State',
    `${ours},2.50,approved`,
    '=cmd|calc!A1,1.00,approved',
    `only-there-${uniqueTx()},3.00,approved`,
  ].join('\n')
  const send = (url: string, headers: Record<string, string>) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'text/csv', ...headers },
      payload: report,
    })
  const query = 'txCol=Transaction&payoutCol=Amount&statusCol=State'
  const api = await send(`/admin/networks/default/reconcile.csv?${query}`, adminHeaders)
  assert.equal(api.statusCode, 200, api.body)
  assert.match(String(api.headers['content-disposition']), /default-differences\.csv/)
  const kinds = rows(api.body).map((r) => r.kind)
  assert.ok(kinds.includes('payout_mismatch'))
  assert.equal(kinds.filter((k) => k === 'missing_here').length, 2)
  assert.match(
    api.body,
    /\n"?missing_here,3,'=cmd\|calc!A1,/,
    'a formula from the report is defused',
  )

  const missingColumn = await send('/admin/networks/default/reconcile.csv?txCol=Nope', adminHeaders)
  assert.equal(missingColumn.statusCode, 400)
  assert.equal(missingColumn.json().code, 'INVALID_REPORT')
  assert.match(missingColumn.json().message, /Nope/)
  const unknown = await send('/admin/networks/nope/reconcile.csv', adminHeaders)
  assert.equal(unknown.json().code, 'UNKNOWN_NETWORK')

  // The dashboard: the page's script sends the CSRF token in a header.
  const page = await t.app.inject({ url: '/dashboard/reconcile', headers: { cookie } })
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
  const url = `/dashboard/reconcile.csv?network=default&${query}`
  const forged = await send(url, { cookie })
  assert.equal(forged.statusCode, 403, 'no CSRF token, no comparison')
  const viaSession = await send(url, { cookie, 'x-csrf-token': csrf })
  assert.equal(viaSession.statusCode, 200)
  assert.deepEqual(
    rows(viaSession.body).map((r) => r.kind),
    rows(api.body).map((r) => r.kind),
  )
})

/** The app on a real socket (once), for tests that need a real connection. */
async function serverBase(): Promise<string> {
  if (!t.app.server.listening) await t.app.listen({ host: '127.0.0.1', port: 0 })
  return `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`
}

/** A GET on the real server, its answer paused after the first chunk until `resume()`. */
function firstChunk(base: string, path: string, headers: Record<string, string>) {
  return new Promise<{ response: IncomingMessage; first: Buffer; rest(): Promise<string> }>(
    (resolve, reject) => {
      const request = httpRequest(`${base}${path}`, { headers }, (response) => {
        response.once('data', (first: Buffer) => {
          response.pause()
          resolve({
            response,
            first,
            rest: async () => {
              const chunks: Buffer[] = [first]
              response.on('data', (chunk: Buffer) => chunks.push(chunk))
              response.resume()
              await new Promise((done) => response.on('end', done))
              return Buffer.concat(chunks).toString('utf8')
            },
          })
        })
      })
      request.on('error', reject)
      request.end()
    },
  )
}

test('an export streams: chunked, its first bytes sent before it has read its last page (a row added after them is in it)', async () => {
  await t.testDb.db.pool.query(
    `INSERT INTO postback_log (network, method, path, body, status_code, outcome, tx_id)
     SELECT 'bulky', 'POST', '/api/postback', repeat(md5(n::text), 120), 403, 'BAD_SECRET', 'bulky-' || n
     FROM generate_series(1, 10000) n`,
  )
  const base = await serverBase()
  for (const [path, headers] of [
    ['/admin/postbacks.csv?network=bulky', adminHeaders],
    ['/dashboard/postbacks.csv?network=bulky', { cookie }],
  ] as const) {
    const { response, first, rest } = await firstChunk(base, path, headers)
    assert.equal(response.statusCode, 200)
    assert.equal(response.headers['transfer-encoding'], 'chunked')
    assert.equal(response.headers['content-length'], undefined)
    assert.match(first.toString('utf8'), /^id,received_at,/)
    // Each row is ~4 KB: the 10 pages of the export (40 MB) cannot all be read ahead into the
    // paused connection's buffers. A row added now lands on the last page.
    const late = uniqueTx('late')
    await t.testDb.db.pool.query(
      `INSERT INTO postback_log (network, method, path, status_code, outcome, tx_id)
       VALUES ('bulky', 'GET', '/api/postback', 403, 'BAD_SECRET', $1)`,
      [late],
    )
    const body = await rest()
    assert.ok(body.includes(late), 'the last page was read after the first bytes were sent')
    assert.ok(parse(body).length > 10_000)
  }
})

test('a reconcile whose client goes away mid-answer releases its database connection', async () => {
  const report = `tx_id,payout\n${Array.from({ length: 50_000 }, (_, n) => `gone-${n},1.00`).join('\n')}\n`
  const base = await serverBase()
  await new Promise<void>((resolve, reject) => {
    const request = httpRequest(
      `${base}/admin/networks/default/reconcile.csv`,
      { method: 'POST', headers: { ...adminHeaders, 'content-type': 'text/csv' } },
      (response) => {
        assert.equal(response.statusCode, 200)
        response.once('data', () => {
          request.destroy() // the operator closed the tab
          resolve()
        })
      },
    )
    request.on('error', () => {})
    request.on('close', () => resolve())
    request.end(report, () => {})
    setTimeout(() => reject(new Error('no answer')), 60_000)
  })
  // Every connection of the pool is back (on PGlite, one: anything else would wait forever).
  const pool = t.testDb.db.pool
  const deadline = Date.now() + 30_000
  while (pool.idleCount !== pool.totalCount && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 50))
  assert.equal(pool.idleCount, pool.totalCount, 'the reconcile connection was released')
  const after = await t.app.inject({
    url: '/admin/postbacks.csv?network=none',
    headers: adminHeaders,
  })
  assert.equal(after.statusCode, 200)
})
