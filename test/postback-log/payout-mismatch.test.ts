import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  ADMIN_TOKEN,
  adminHeaders,
  createTestApp,
  postbackUrl,
  type TestApp,
  uniqueTx,
} from '../helpers/app.js'

// The postback log shows each row's user, offer and payout (as its conversion records them),
// flags a repeat whose payout differs from the recorded one (not applied) and lists only those
// on request, in the admin API and on the dashboard; the overview tells refusals that were
// replayed and accepted since from those still outstanding.

let t: TestApp
let cookie = ''
const tx = { same: uniqueTx('same'), differs: uniqueTx('differs') }

before(async () => {
  t = await createTestApp()
  const signIn = await t.app.inject({
    method: 'POST',
    url: '/dashboard/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token: ADMIN_TOKEN, next: '/dashboard' }).toString(),
  })
  cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? ''
  const send = async (fields: Record<string, string>) =>
    (await t.app.inject({ url: postbackUrl(fields) })).headers['x-postback-outcome']
  const first = { offer_id: 'offer-9', payout: '3.50', user_id: 'mia', currency: 'EUR' }
  assert.equal(await send({ ...first, tx_id: tx.same }), 'credited')
  assert.equal(await send({ ...first, tx_id: tx.same, payout: '3.500' }), 'duplicate')
  assert.equal(await send({ ...first, tx_id: tx.differs }), 'credited')
  assert.equal(await send({ ...first, tx_id: tx.differs, payout: '12.25' }), 'duplicate')
  assert.equal(await send({ ...first, tx_id: uniqueTx(), payout: 'x' }), 'INVALID_FIELD')
})
after(() => t.close())

const dashboard = (url: string) => t.app.inject({ url, headers: { cookie } })
type Item = {
  outcome: string
  txId: string
  mismatchedPayout: string | null
  conversion: { userId: string; offerId: string; payout: string; currency: string } | null
}

test('the admin log answers each row’s conversion and flags only the repeat whose payout differs', async () => {
  const response = await t.app.inject({ url: '/admin/postbacks', headers: adminHeaders })
  assert.equal(response.statusCode, 200)
  const items = response.json().items as Item[]
  assert.deepEqual(
    items.map((i) => [i.outcome, i.txId === tx.differs, i.mismatchedPayout, i.conversion]),
    [
      ['INVALID_FIELD', false, null, null],
      [
        'duplicate',
        true,
        '12.25',
        { userId: 'mia', offerId: 'offer-9', payout: '3.5', currency: 'EUR' },
      ],
      [
        'credited',
        true,
        null,
        { userId: 'mia', offerId: 'offer-9', payout: '3.5', currency: 'EUR' },
      ],
      [
        'duplicate',
        false,
        null,
        { userId: 'mia', offerId: 'offer-9', payout: '3.5', currency: 'EUR' },
      ],
      [
        'credited',
        false,
        null,
        { userId: 'mia', offerId: 'offer-9', payout: '3.5', currency: 'EUR' },
      ],
    ],
  )
  const only = await t.app.inject({
    url: '/admin/postbacks?payoutMismatch=true',
    headers: adminHeaders,
  })
  assert.deepEqual(
    (only.json().items as Item[]).map((i) => [i.txId, i.mismatchedPayout]),
    [[tx.differs, '12.25']],
  )
  const off = await t.app.inject({
    url: '/admin/postbacks?payoutMismatch=false',
    headers: adminHeaders,
  })
  assert.equal(off.json().items.length, 5)
  const bad = await t.app.inject({
    url: '/admin/postbacks?payoutMismatch=yes',
    headers: adminHeaders,
  })
  assert.equal(bad.statusCode, 400)
  assert.match(bad.json().message, /^payoutMismatch: must be true or false/)
})

test('the dashboard log shows user, offer and payout columns and filters by payout mismatch', async () => {
  const all = await dashboard('/dashboard/postbacks')
  assert.equal(all.statusCode, 200)
  const rows = [
    ...all.body.matchAll(/<details class="entry[^"]*" id="entry-\d+"[\s\S]*?<\/summary>/g),
  ]
  assert.equal(rows.length, 5)
  const columns = (row: string) =>
    ['user', 'offer', 'payout'].map(
      (col) =>
        new RegExp(`data-col="${col}">(.*?)</span>`).exec(row)?.[1]?.replace(/<[^>]+>/g, '') ?? '',
    )
  assert.deepEqual(columns(rows[0]?.[0] ?? ''), ['—', '—', '—'], 'a refusal has no conversion')
  assert.deepEqual(columns(rows[1]?.[0] ?? ''), ['mia', 'offer-9', '3.5 EUR'])
  assert.match(rows[1]?.[0] ?? '', /payout mismatch: sent 12\.25, recorded 3\.5/)
  assert.equal(all.body.match(/payout mismatch: sent/g)?.length, 1)

  const filtered = await dashboard('/dashboard/postbacks?mismatch=1')
  const ids = [...filtered.body.matchAll(/id="entry-(\d+)"/g)].map((m) => m[1])
  assert.equal(ids.length, 1)
  assert.match(filtered.body, /name="mismatch" value="1" checked/)
  assert.match(filtered.body, new RegExp(tx.differs))
  // The live log keeps the filter: its source asks for mismatches only.
  const src = /data-live-src="([^"]+)"/.exec(filtered.body)?.[1]?.replaceAll('&amp;', '&') ?? ''
  assert.match(src, /mismatch=1/)
  const live = await dashboard(`${src}&after=0`)
  assert.equal([...live.body.matchAll(/id="entry-(\d+)"/g)].length, 1)
})

test('the overview counts refusals replayed and accepted since apart from those outstanding', async () => {
  // Two refusals; one replayed twice (refused, then accepted), the other never.
  const { rows } = await t.testDb.db.pool.query<{ id: string }>(
    `INSERT INTO postback_log (network, method, path, status_code, outcome, tx_id)
     VALUES ('default', 'GET', '/api/postback', 400, 'MISSING_FIELD', 'r-1'),
            ('default', 'GET', '/api/postback', 400, 'MISSING_FIELD', 'r-2')
     RETURNING id::text`,
  )
  await t.testDb.db.pool.query(
    `INSERT INTO postback_log (network, method, path, status_code, outcome, tx_id, replay_of, replayed_by)
     VALUES ('default', 'GET', '/api/postback', 400, 'MISSING_FIELD', 'r-1', $1, 'test'),
            ('default', 'GET', '/api/postback', 200, 'credited', 'r-1', $1, 'test')`,
    [rows[0]?.id],
  )
  const page = await dashboard('/dashboard?period=24h')
  assert.equal(page.statusCode, 200)
  const tile = /<div class="tile" id="refusals">([\s\S]*?)<\/div><\/div>/.exec(page.body)?.[1] ?? ''
  const text = tile.replace(/<[^>]+>/g, '')
  // Outstanding: r-2 and the INVALID_FIELD refusal; the failed replay attempt is not counted.
  assert.equal(text, '2refusals outstanding (1 replayed and accepted since)')
})
