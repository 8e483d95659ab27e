import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { type BreakdownRow, SORTS, sortRows } from '../../src/reports/breakdown.js'
import { adminHeaders, createTestApp, type TestApp } from '../helpers/app.js'

// Reports over stored rows: whole local days in a time zone, revenue summed exactly per
// currency, points as integer strings past 2^53, sorting, and refusals per network and day.

let t: TestApp
const BIG = '9007199254740993' // 2^53 + 1: a JSON number would lose the 3

before(async () => {
  t = await createTestApp({ REPORT_TIMEZONE: 'UTC' })
  // [network, tx, offer, user, payout, currency, status, credited points, reversed, created_at]
  const conversions: [
    string,
    string,
    string | null,
    string,
    string | null,
    string | null,
    string,
    string | null,
    boolean,
    string,
  ][] = [
    ['default', 'c1', 'A', 'u1', '1.25', 'USD', 'approved', '125', false, '2026-03-01T10:00:00Z'],
    ['default', 'c2', 'A', 'u2', '0.10', 'USD', 'approved', '10', false, '2026-03-02T23:30:00Z'],
    ['acme', 'c3', 'B', 'u1', '2.5', 'EUR', 'approved', '250', false, '2026-03-02T12:00:00Z'],
    ['acme', 'c4', 'B', 'u3', '7', 'EUR', 'reversed', '700', true, '2026-03-01T05:00:00Z'],
    ['acme', 'c5', null, 'u2', null, null, 'approved', '40', false, '2026-03-03T01:00:00Z'],
    ['default', 'c6', 'A', 'u3', '9', 'USD', 'pending', null, false, '2026-03-03T02:00:00Z'],
    ['default', 'c7', 'A', 'u1', '1', 'USD', 'approved', '100', false, '2026-02-28T15:30:00Z'],
    ['default', 'c8', 'A', 'u9', '0.2', 'USD', 'approved', BIG, false, '2026-03-01T11:00:00Z'],
  ]
  for (const [
    network,
    tx,
    offer,
    user,
    payout,
    currency,
    status,
    credited,
    reversed,
    at,
  ] of conversions) {
    await t.testDb.db.pool.query(
      `INSERT INTO conversions (network, tx_id, offer_id, user_id, payout, currency, points, status,
                                credit_user, credit_points, reversed, created_at, updated_at)
       VALUES ($1, $2, $3::text, $4, $5::numeric, $6, COALESCE($8::bigint, 0), $7,
               CASE WHEN $8::bigint IS NULL THEN NULL ELSE $4 END, $8::bigint, $9, $10, $10)`,
      [network, tx, offer, user, payout, currency, status, credited, reversed, at],
    )
  }
  const log = (
    network: string | null,
    status: number,
    at: string,
    replayOf: string | null = null,
  ) =>
    t.testDb.db.pool.query<{ id: string }>(
      `INSERT INTO postback_log (network, method, path, status_code, outcome, received_at, replay_of)
       VALUES ($1, 'GET', '/api/postback', $2, CASE WHEN $2 < 400 THEN 'credited' ELSE 'BAD_SECRET' END, $3, $4)
       RETURNING id::text`,
      [network, status, at, replayOf],
    )
  await log('default', 200, '2026-03-01T10:00:00Z')
  await log('default', 200, '2026-03-01T10:05:00Z')
  const refused = await log('default', 400, '2026-03-01T10:10:00Z')
  await log('default', 200, '2026-03-01T10:20:00Z', refused.rows[0]?.id ?? null) // a replay: not counted
  await log('acme', 403, '2026-03-02T23:30:00Z')
  await log('acme', 200, '2026-03-02T23:40:00Z')
  await log(null, 404, '2026-03-01T12:00:00Z')
  await t.testDb.db.pool.query(
    `INSERT INTO balances (user_id, points, updated_at) VALUES
       ('u1', 375, '2026-03-03T00:00:00Z'), ('u2', 50, '2026-03-05T00:00:00Z'),
       ('u9', ${BIG}, '2026-03-01T00:00:00Z'), ('U1-upper', 5, '2026-03-04T00:00:00Z')`,
  )
})
after(() => t.close())

async function get(url: string) {
  const response = await t.app.inject({ url, headers: adminHeaders })
  return { status: response.statusCode, body: response.json() }
}
const MARCH = 'range=custom&from=2026-03-01&to=2026-03-03'

test('a custom range in UTC: totals sum revenue exactly per currency and points past 2^53', async () => {
  const { status, body } = await get(`/admin/reports?${MARCH}`)
  assert.equal(status, 200)
  assert.deepEqual(body.range, {
    range: 'custom',
    timeZone: 'UTC',
    utcOffset: 'GMT+00:00',
    from: '2026-03-01',
    to: '2026-03-03',
    start: '2026-03-01T00:00:00.000Z',
    end: '2026-03-04T00:00:00.000Z',
  })
  assert.deepEqual(body.totals, {
    conversions: 7,
    approved: 5,
    reversed: 1,
    points: '9007199254741418', // 125 + 10 + 250 + 40 + 2^53+1; the reversed 700 not counted
    revenue: [
      { currency: 'EUR', amount: '2.5' },
      { currency: 'USD', amount: '1.55' },
    ],
  })
  assert.equal(body.mainCurrency, 'EUR')
})

test('by network, sorted by revenue in the main currency or another, or by points', async () => {
  const { body } = await get(`/admin/reports/network?${MARCH}`)
  assert.deepEqual([body.sort, body.order, body.currency], ['revenue', 'desc', 'EUR'])
  assert.deepEqual(body.rows, [
    {
      key: 'acme',
      conversions: 3,
      approved: 2,
      reversed: 1,
      points: '290',
      revenue: [{ currency: 'EUR', amount: '2.5' }],
    },
    {
      key: 'default',
      conversions: 4,
      approved: 3,
      reversed: 0,
      points: '9007199254741128',
      revenue: [{ currency: 'USD', amount: '1.55' }],
    },
  ])
  const usd = await get(`/admin/reports/network?${MARCH}&currency=USD`)
  assert.deepEqual(
    usd.body.rows.map((r: { key: string }) => r.key),
    ['default', 'acme'],
  )
  const fewest = await get(`/admin/reports/network?${MARCH}&sort=conversions&order=asc`)
  assert.deepEqual(
    fewest.body.rows.map((r: { key: string }) => r.key),
    ['acme', 'default'],
  )
})

test('by offer and by user (top users by points, paged)', async () => {
  const offers = await get(`/admin/reports/offer?${MARCH}&sort=key&order=asc`)
  assert.deepEqual(
    offers.body.rows.map((r: { key: string; conversions: number }) => [r.key, r.conversions]),
    [
      ['acme / -', 1],
      ['acme / B', 2],
      ['default / A', 4],
    ],
  )
  const users = await get(`/admin/reports/user?${MARCH}&sort=points&limit=2`)
  assert.deepEqual(
    users.body.rows.map((r: { key: string; points: string }) => [r.key, r.points]),
    [
      ['u9', BIG],
      ['u1', '375'],
    ],
  )
  assert.equal(users.body.nextOffset, 2)
  const next = await get(`/admin/reports/user?${MARCH}&sort=points&limit=2&offset=2`)
  assert.deepEqual(
    next.body.rows.map((r: { key: string; points: string }) => [r.key, r.points]),
    [
      ['u2', '50'],
      ['u3', '0'],
    ],
  )
  assert.equal(next.body.nextOffset, undefined)
})

test('days follow the time zone: 23:30 UTC is the next day in Asia/Tokyo, and the range moves with it', async () => {
  const utc = await get(`/admin/reports/day?${MARCH}`)
  assert.deepEqual(
    utc.body.rows.map((r: { key: string; conversions: number }) => [r.key, r.conversions]),
    [
      ['2026-03-01', 3],
      ['2026-03-02', 2],
      ['2026-03-03', 2],
    ],
  )
  const tokyo = await get(`/admin/reports/day?${MARCH}&tz=Asia/Tokyo`)
  assert.equal(tokyo.body.range.start, '2026-02-28T15:00:00.000Z')
  assert.equal(tokyo.body.range.utcOffset, 'GMT+09:00')
  assert.deepEqual(
    tokyo.body.rows.map((r: { key: string; conversions: number }) => [r.key, r.conversions]),
    [
      ['2026-03-01', 4], // c7 at 2026-02-28 15:30 UTC is 00:30 on March 1st in Tokyo
      ['2026-03-02', 1],
      ['2026-03-03', 3], // c2 at 2026-03-02 23:30 UTC is 08:30 on March 3rd in Tokyo
    ],
  )
  const latest = await get(`/admin/reports/day?${MARCH}&tz=Asia/Tokyo&order=desc`)
  assert.deepEqual(
    latest.body.rows.map((r: { key: string }) => r.key),
    ['2026-03-03', '2026-03-02', '2026-03-01'],
  )
})

test('refusals per network and local day count the networks’ requests, not replays', async () => {
  const utc = await get(`/admin/reports?${MARCH}`)
  assert.deepEqual(utc.body.refusals, [
    { network: '(none)', day: '2026-03-01', postbacks: 1, refused: 1, refusedShare: 1 },
    { network: 'acme', day: '2026-03-02', postbacks: 2, refused: 1, refusedShare: 0.5 },
    { network: 'default', day: '2026-03-01', postbacks: 3, refused: 1, refusedShare: 0.3333 },
  ])
  const tokyo = await get(`/admin/reports?${MARCH}&tz=Asia/Tokyo`)
  assert.deepEqual(
    tokyo.body.refusals.map((r: { network: string; day: string }) => [r.network, r.day]),
    [
      ['(none)', '2026-03-01'],
      ['acme', '2026-03-03'],
      ['default', '2026-03-01'],
    ],
  )
})

test('today and the last 7 days end with the current local day; REPORT_TIMEZONE is the default zone', async () => {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Pacific/Kiritimati' }).format(
    new Date(),
  )
  const { body } = await get('/admin/reports?range=today&tz=Pacific/Kiritimati')
  assert.deepEqual(
    [body.range.from, body.range.to, body.range.utcOffset],
    [today, today, 'GMT+14:00'],
  )
  const week = await get('/admin/reports?range=7d')
  assert.equal(week.body.range.timeZone, 'UTC')
  assert.equal(week.body.range.to, new Date().toISOString().slice(0, 10))
  assert.equal(
    (Date.parse(week.body.range.end) - Date.parse(week.body.range.start)) / 86_400_000,
    7,
  )
  const yesterday = await get('/admin/reports?range=yesterday')
  assert.equal(
    yesterday.body.range.to,
    new Date(Date.now() - 86_400_000).toISOString().slice(0, 10),
  )
})

test('bad report parameters are 400s naming the field', async () => {
  const cases: [string, string, RegExp][] = [
    ['/admin/reports?tz=Mars/Olympus', 'tz', /IANA time zone/],
    ['/admin/reports?range=custom&to=2026-03-01', 'from', /required when range is custom/],
    ['/admin/reports?range=custom&from=2026-03-02&to=2026-03-01', 'to', /must not be before from/],
    ['/admin/reports?range=custom&from=2024-01-01&to=2026-01-01', 'to', /at most 366 days/],
    ['/admin/reports?range=custom&from=2026-02-30&to=2026-03-01', 'from', /exists/],
    ['/admin/reports?range=week', 'range', /./],
    ['/admin/reports/country', 'by', /./],
    ['/admin/reports/user?sort=balance', 'sort', /./],
    ['/admin/users?sort=points', 'sort', /./],
  ]
  for (const [url, field, message] of cases) {
    const { status, body } = await get(url)
    assert.equal(status, 400, url)
    assert.deepEqual(
      body.fields.map((f: { field: string }) => f.field),
      [field],
      url,
    )
    assert.match(body.message, message, url)
  }
})

test('the user list searches ids in any case and sorts by balance or last activity', async () => {
  const byBalance = await get('/admin/users')
  assert.deepEqual(
    byBalance.body.items.map((u: { userId: string; balance: string }) => [u.userId, u.balance]),
    [
      ['u9', BIG],
      ['u1', '375'],
      ['u2', '50'],
      ['U1-upper', '5'],
    ],
  )
  const recent = await get('/admin/users?sort=activity&limit=2')
  assert.deepEqual(
    recent.body.items.map((u: { userId: string; lastActivityAt: string }) => [
      u.userId,
      u.lastActivityAt,
    ]),
    [
      ['u2', '2026-03-05T00:00:00.000Z'],
      ['U1-upper', '2026-03-04T00:00:00.000Z'],
    ],
  )
  assert.equal(recent.body.nextOffset, 2)
  const search = await get('/admin/users?search=U1&sort=balance&order=asc')
  assert.deepEqual(
    search.body.items.map((u: { userId: string }) => u.userId),
    ['U1-upper', 'u1'],
  )
})

test('rows sorted in memory (the Reports page’s network table) come out as the SQL sorts them', async () => {
  const all = (await get(`/admin/reports/user?${MARCH}&sort=key&order=asc`)).body
    .rows as BreakdownRow[]
  for (const sort of SORTS) {
    for (const order of ['asc', 'desc'] as const) {
      const sql = await get(`/admin/reports/user?${MARCH}&sort=${sort}&order=${order}&currency=USD`)
      assert.deepEqual(
        sortRows(all, sort, order, 'USD').map((r) => r.key),
        sql.body.rows.map((r: BreakdownRow) => r.key),
        `${sort} ${order}`,
      )
    }
  }
})
