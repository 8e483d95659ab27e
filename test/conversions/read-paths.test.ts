import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { Writable } from 'node:stream'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { PRESETS } from '../../src/networks/presets/index.js'
import { buildProfile, defaultProfile, type Field } from '../../src/networks/profile.js'
import { NetworkRegistry } from '../../src/networks/registry.js'
import { reconcile } from '../../src/operations/reconcile/reconcile.js'
import { ADMIN_TOKEN, adminHeaders, SECRET, uniqueTx } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase, testConfig } from '../helpers/database.js'
import { silentLogger } from '../helpers/logging.js'

// Conversions as every preset records them, reward-only ones included (payout NULL, offer_id
// NULL: Tapjoy, BitLabs without raw, ...), read back through every page, API and export that
// shows conversions. None of them may answer 500 because a column is NULL.

const PUBLIC_URL = 'https://postbacks.example.com'
const TAPJOY_KEY = 'tapjoy-secret-key'
const BITLABS_KEY = 'bitlabs-app-secret'
const ENV = { MAX_PAYOUT: '100' }
const form = { 'content-type': 'application/x-www-form-urlencoded' }

let testDb: TestDatabase
let app: FastifyInstance
let cookie: string

/** Each preset's field mapping, unsigned (signatures are tested in test/networks/presets*). */
const presetNames = Object.keys(PRESETS)

before(async () => {
  testDb = await createTestDatabase()
  const config = testConfig({
    ...testDb.env,
    POSTBACK_SECRET: SECRET,
    ADMIN_TOKEN,
    PUBLIC_URL,
    ...ENV,
  })
  const profiles = [
    defaultProfile(config, [SECRET]),
    ...presetNames.map((name) =>
      buildProfile(name, { preset: name, signature: { kind: 'none' } }, config),
    ),
    buildProfile('tapjoy-live', { preset: 'tapjoy', secrets: [TAPJOY_KEY] }, config),
    buildProfile('bitlabs-live', { preset: 'bitlabs', secrets: [BITLABS_KEY] }, config),
  ]
  app = await buildApp(config, {
    db: testDb.db,
    logger: silentLogger(),
    networks: new NetworkRegistry(profiles),
  })
  const signIn = await app.inject({
    method: 'POST',
    url: '/dashboard/login',
    headers: form,
    payload: new URLSearchParams({ token: ADMIN_TOKEN, next: '/dashboard' }).toString(),
  })
  cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? ''
})
after(async () => {
  await app?.close()
  await testDb?.drop()
})

const USER = uniqueTx('reader')

/** A value for each field a preset may map; status, test and datetime are left to defaults. */
function sampleValue(field: Field, txId: string): string | undefined {
  const values: Partial<Record<Field, string>> = {
    tx_id: txId,
    user_id: USER,
    reward: '50',
    payout: '1.25',
    offer_id: 'offer-7',
    click_id: 'click-1',
    currency: 'USD',
    ip: '203.0.113.7',
    sub1: 's1',
    sub2: 's2',
    sub3: 's3',
    sub4: 's4',
    sub5: 's5',
  }
  return values[field]
}

type Sent = { network: string; txId: string; full: boolean }
const sent: Sent[] = []

/** A postback to a preset network with its own parameter names: required fields only, or all. */
async function sendPreset(network: string, full: boolean) {
  const profile = buildProfile(
    network,
    { preset: network, signature: { kind: 'none' } },
    testConfig(),
  )
  const txId = uniqueTx(network)
  const query = new URLSearchParams()
  const fields = full
    ? (Object.keys(profile.params) as Field[])
    : (profile.required as readonly Field[])
  for (const field of fields) {
    const value = sampleValue(field, txId)
    const name = profile.params[field][0]
    // Two fields may share a name (Tapjoy's reward is `currency`): the first one keeps it.
    if (value !== undefined && name !== undefined && !query.has(name)) query.set(name, value)
  }
  const response = await app.inject({ url: `/api/postback/${network}?${query}` })
  assert.equal(response.statusCode, 200, `${network}: ${response.body}`)
  sent.push({ network, txId, full })
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex')

test('every preset records a postback, with only the required fields and with every field', async () => {
  await Promise.all(
    presetNames.flatMap((name) => [sendPreset(name, false), sendPreset(name, true)]),
  )
  // Tapjoy as Tapjoy signs it: verifier = md5("id:snuid:currency:secret").
  const tj = uniqueTx('tj')
  const tapjoy = await app.inject({
    url: `/api/postback/tapjoy-live?id=${tj}&snuid=${USER}&currency=50&verifier=${md5(`${tj}:${USER}:50:${TAPJOY_KEY}`)}`,
  })
  assert.equal(tapjoy.headers['x-postback-outcome'], 'credited')
  // BitLabs without raw: hash = hex HMAC-SHA1 of the full URL before &hash=.
  const bl = uniqueTx('bl')
  const path = `/api/postback/bitlabs-live?uid=${USER}&val=40&tx=${bl}&type=COMPLETE`
  const hash = createHmac('sha1', BITLABS_KEY).update(`${PUBLIC_URL}${path}`).digest('hex')
  const bitlabs = await app.inject({ url: `${path}&hash=${hash}` })
  assert.equal(bitlabs.headers['x-postback-outcome'], 'credited')
  sent.push({ network: 'tapjoy-live', txId: tj, full: false })
  sent.push({ network: 'bitlabs-live', txId: bl, full: false })

  const { rows } = await testDb.db.pool.query<{ reward_only: number; no_offer: number }>(
    `SELECT count(*) FILTER (WHERE payout IS NULL)::int AS reward_only,
            count(*) FILTER (WHERE offer_id IS NULL)::int AS no_offer FROM conversions`,
  )
  assert.ok((rows[0]?.reward_only ?? 0) >= presetNames.length, 'reward-only rows were recorded')
  assert.ok((rows[0]?.no_offer ?? 0) >= presetNames.length, 'rows without an offer were recorded')
})

/** Ids in numeric order (more than 9 of them, so a text sort would show). */
function assertOrdered(ids: string[], order: 'asc' | 'desc', what: string) {
  const sorted = [...ids].sort((a, b) => Number(a) - Number(b))
  if (order === 'desc') sorted.reverse()
  assert.ok(ids.length > 10, what)
  assert.deepEqual(ids, sorted, what)
}

/** The conversions as stored, to know which ones are reward-only. */
async function stored() {
  const { rows } = await testDb.db.pool.query<{
    id: string
    network: string
    tx_id: string
    payout: string | null
    offer_id: string | null
  }>('SELECT id::text, network, tx_id, payout::text, offer_id FROM conversions ORDER BY id')
  return rows
}

test('the admin API lists, filters and shows users for every preset’s conversions', async () => {
  const list = await app.inject({ url: '/admin/conversions?limit=500', headers: adminHeaders })
  assert.equal(list.statusCode, 200, list.body)
  const items = list.json().items as {
    id: string
    network: string
    payout: string | null
    offerId: string | null
    currency: string | null
  }[]
  const rows = await stored()
  assert.equal(items.length, rows.length)
  assertOrdered(
    items.map((i) => i.id),
    'desc',
    'conversions newest first',
  )
  for (const row of rows) {
    const item = items.find((i) => i.id === row.id)
    assert.ok(item, `conversion ${row.id} listed`)
    assert.equal(item.payout, row.payout === null ? null : String(Number(row.payout)))
    assert.equal(item.offerId, row.offer_id)
  }
  for (const network of [...presetNames, 'tapjoy-live', 'bitlabs-live']) {
    const one = await app.inject({
      url: `/admin/conversions?network=${network}`,
      headers: adminHeaders,
    })
    assert.equal(one.statusCode, 200, `${network}: ${one.body}`)
    assert.ok(one.json().items.length >= 1, network)
  }
  const tapjoy = items.find((i) => i.network === 'tapjoy-live')
  // Tapjoy's reward parameter is named `currency`: it is the amount, not a currency code.
  assert.deepEqual([tapjoy?.payout, tapjoy?.offerId, tapjoy?.currency], [null, null, null])
  const user = await app.inject({ url: `/admin/users/${USER}`, headers: adminHeaders })
  assert.equal(user.statusCode, 200, user.body)
  const entries = user.json().entries as { id: string }[]
  assert.equal(entries.length, rows.length)
  assertOrdered(
    entries.map((e) => e.id),
    'desc',
    'ledger entries newest first',
  )
})

test('the dashboard lists, shows and pages every preset’s conversions, "—" for a missing payout', async () => {
  const get = (url: string) => app.inject({ url, headers: { cookie } })
  const list = await get('/dashboard/conversions')
  assert.equal(list.statusCode, 200, list.body)
  const tapjoyRow = list.body.split('<tr>').find((row) => row.includes('>tapjoy-live<'))
  assert.ok(tapjoyRow, 'the Tapjoy conversion is listed')
  assert.match(tapjoyRow, /data-label="Payout">—</)
  assert.match(tapjoyRow, /data-label="Offer">—</)
  assert.match(tapjoyRow, /data-label="Points">50</)
  for (const row of await stored()) {
    const page = await get(`/dashboard/conversions/${row.id}`)
    assert.equal(page.statusCode, 200, `${row.network} #${row.id}: ${page.body.slice(0, 300)}`)
    if (row.payout === null)
      assert.match(page.body, /Offer · payout · points<\/div><div>[^<]* · — · \d+</)
  }
  for (const network of [...presetNames, 'tapjoy-live']) {
    const filtered = await get(`/dashboard/conversions?network=${network}`)
    assert.equal(filtered.statusCode, 200, network)
  }
  const user = await get(`/dashboard/users?user=${USER}`)
  assert.equal(user.statusCode, 200, user.body.slice(0, 300))
  assert.match(user.body, /Recent conversions/)
  for (const url of ['/dashboard', '/dashboard/review', '/dashboard/postbacks'])
    assert.equal((await get(url)).statusCode, 200, url)
})

test('a held conversion without an offer id is listed, reviewed and approved', async () => {
  // TheoremReach sends a payout but no offer id; above MAX_PAYOUT it is held for review.
  const tx = uniqueTx('tr-held')
  const held = await app.inject({
    url: `/api/postback/theoremreach?tx_id=${tx}&user_id=${USER}&reward=70&currency=150`,
  })
  assert.equal(held.headers['x-postback-outcome'], 'held')
  const review = await app.inject({ url: '/dashboard/review', headers: { cookie } })
  assert.equal(review.statusCode, 200)
  // TheoremReach's payout parameter is named `currency`: 150 is the payout, not its currency.
  assert.match(
    review.body,
    new RegExp(`tx <code>${tx}</code> · offer — · user \\S+ · payout 150 ·`),
  )
  const [row] = (await stored()).filter((r) => r.tx_id === tx)
  assert.ok(row)
  const approve = await app.inject({
    method: 'POST',
    url: `/admin/conversions/${row.id}/approve`,
    headers: adminHeaders,
  })
  assert.equal(approve.statusCode, 200, approve.body)
  assert.equal(approve.json().outcome, 'credited')
  assert.equal(approve.json().conversion.offerId, null)
  assert.equal(approve.json().conversion.payout, '150')
  assert.equal(approve.json().conversion.currency, null)
})

test('the CSV export has every preset’s conversions, an empty cell for a missing payout', async () => {
  const csv = await app.inject({ url: '/admin/conversions.csv', headers: adminHeaders })
  assert.equal(csv.statusCode, 200, csv.body)
  const lines = csv.body.trim().split('\r\n')
  const header = lines[0]?.split(',') ?? []
  const rows = await stored()
  assert.equal(lines.length - 1, rows.length)
  const at = (name: string) => header.indexOf(name)
  assertOrdered(
    lines.slice(1).map((line) => line.split(',')[at('id')] ?? ''),
    'asc',
    'CSV by id',
  )
  const tapjoy = lines.find((line) => line.split(',')[at('network')] === 'tapjoy-live')
  assert.ok(tapjoy)
  const cells = tapjoy.split(',')
  assert.deepEqual(
    [cells[at('payout')], cells[at('offer_id')], cells[at('points')]],
    ['', '', '50'],
  )
})

test('reconcile compares a report against reward-only conversions', async () => {
  const tapjoy = sent.filter((s) => s.network === 'tapjoy' && !s.full)
  const out: string[] = []
  const result = await reconcile(testDb.db.pool, {
    network: 'tapjoy',
    input: (async function* () {
      yield `tx_id,payout\n${tapjoy.map((s) => `${s.txId},0.50`).join('\n')}\nonly-there,1.00\n`
    })(),
    columns: {},
    delimiter: ',',
    timeZone: 'UTC',
    statuses: new Map(),
    out: new Writable({
      write(chunk, _encoding, done) {
        out.push(String(chunk))
        done()
      },
    }),
  })
  assert.equal(result.totals.matched, tapjoy.length)
  assert.equal(result.counts.missing_here, 1)
  assert.equal(result.counts.payout_mismatch, 0, 'no payout recorded: nothing to compare')
  assert.match(out.join(''), /missing_here,\d+,only-there,1,,/)
})
