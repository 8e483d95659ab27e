import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { PRESETS } from '../../src/networks/presets/index.js'
import { buildProfile, defaultProfile } from '../../src/networks/profile.js'
import { NetworkRegistry } from '../../src/networks/registry.js'
import {
  type SignedRequest,
  signatureSpecSchema,
  verifySignature,
} from '../../src/networks/signature.js'
import { answerOf, consistentBalance, SECRET, uniqueTx } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase, testConfig } from '../helpers/database.js'
import { silentLogger } from '../helpers/logging.js'

// The presets beyond the first four, end to end over HTTP: a callback signed as the reference
// (../shared/reference/networks.md) documents it is applied with the right points and answer,
// its tampered twin is refused with 403 and changes nothing, and a reversal takes the points
// back. The signing helpers below are written from the documented formulas and are first
// checked against the reference's test vectors, which each preset must also accept.
const PUBLIC_URL = 'https://postbacks.example.com'
const KEYS = {
  fyber: 'fyber-security-token',
  ironsource: 'ironsource-private-key',
  adgem: 'adgem-postback-key',
  lootably: 'lootably-postback-secret',
  cpx: 'cpx-app-secure-hash',
  theoremreach: 'theoremreach-secret',
  pollfish: 'pollfish-secret-key',
  torox: 'torox-app-placement-key',
  adgate: 'adgate-unique-url-token',
  revlum: 'revlum-secret-key',
  wannads: 'wannads-secret-key',
  notik: 'notik-secret-key',
}
type Network = keyof typeof KEYS

let testDb: TestDatabase
let app: FastifyInstance
before(async () => {
  testDb = await createTestDatabase()
  const config = testConfig({ ...testDb.env, POSTBACK_SECRET: SECRET, PUBLIC_URL })
  const profiles = [
    defaultProfile(config, [SECRET]),
    ...(Object.keys(KEYS) as Network[]).map((name) =>
      buildProfile(name, { preset: name, secrets: [KEYS[name]] }, config),
    ),
  ]
  app = await buildApp(config, {
    db: testDb.db,
    logger: silentLogger(),
    networks: new NetworkRegistry(profiles),
  })
})
after(async () => {
  await app.close()
  await testDb.drop()
})

// --- Signing helpers, from the documented formulas -------------------------------------------

const digest = (alg: string, text: string) => createHash(alg).update(text).digest('hex')
const hmac = (alg: string, key: string, text: string) => createHmac(alg, key).update(text)

/** Fyber: sha1(security_token + uid + amount + _trans_id_ + pub0 + pub1 + ...). */
const fyberSid = (token: string, uid: string, amount: string, transId: string, pubs = '') =>
  digest('sha1', `${token}${uid}${amount}${transId}${pubs}`)
/** ironSource: md5(timestamp + eventId + userId + rewards + privateKey). */
const ironSourceSignature = (
  ts: string,
  eventId: string,
  user: string,
  rewards: string,
  key: string,
) => digest('md5', `${ts}${eventId}${user}${rewards}${key}`)
/** AdGem v2: hex HMAC-SHA256 of the URL without verifier. */
const adgemVerifier = (key: string, url: string) => hmac('sha256', key, url).digest('hex')
/** Lootably: sha256(userID + ip + revenue + currencyReward + secret). */
const lootablyHash = (user: string, ip: string, revenue: string, reward: string, secret: string) =>
  digest('sha256', `${user}${ip}${revenue}${reward}${secret}`)
/** CPX Research: md5(trans_id + "-" + secure hash). */
const cpxHash = (transId: string, secret: string) => digest('md5', `${transId}-${secret}`)
/** TheoremReach: Base64 of HMAC-SHA1 of the URL without hash, + to -, / to _, = stripped. */
const theoremReachHash = (key: string, url: string) =>
  hmac('sha1', key, url).digest('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
/** Pollfish: the placeholders' values sorted by placeholder name, joined by ":". */
const pollfishMessage = (values: Record<string, string>) =>
  Object.keys(values)
    .sort()
    .map((name) => values[name])
    .join(':')
const pollfishSignature = (key: string, values: Record<string, string>) =>
  hmac('sha1', key, pollfishMessage(values)).digest('base64')
/** OfferToro / Torox: md5(oid + "-" + user_id + "-" + key). */
const toroxSig = (oid: string, user: string, key: string) => digest('md5', `${oid}-${user}-${key}`)
/** Revlum and legacy Wannads: md5(subId + transId + reward + secret). */
const revlumSignature = (subId: string, transId: string, reward: string, secret: string) =>
  digest('md5', `${subId}${transId}${reward}${secret}`)
/** Notik (as BitLabs): hex HMAC-SHA1 of the URL before &hash=. */
const notikHash = (key: string, url: string) => hmac('sha1', key, url).digest('hex')

// --- The reference's test vectors ------------------------------------------------------------

const S = 's3cr3t'
const FYBER_TX = '8a1d4f2e-6c1b-4b8e-9d7a-3f2e1c0b9a88'
const POLLFISH_VALUES = {
  cpa: '30',
  device_id: 'my-device-id',
  timestamp: '1463152452308',
  tx_id: '08f31d41d800cc7a0beb7eb4897639a8ba7fd7db',
}
const LOOTABLY_VENDOR_SECRET = 'j28eh8ahjsd2hjq8ashd829qyha8sdh2qha8sdhy'
const VECTOR_URL = 'https://example.com/cb?user_id=user42&reward=100&tx_id=abc'

const vectors: { network: Network; name: string; helper: string; expected: string; url: string }[] =
  [
    {
      network: 'fyber',
      name: 'Fyber sid',
      helper: fyberSid(S, 'user42', '100', FYBER_TX),
      expected: '96c7916f6799b71c5bc99bc53300a839cdbe8d5f',
      url: `/cb?uid=user42&amount=100&_trans_id_=${FYBER_TX}&sid=96c7916f6799b71c5bc99bc53300a839cdbe8d5f`,
    },
    {
      network: 'fyber',
      name: 'Fyber sid with pub0=abc',
      helper: fyberSid(S, 'user42', '100', FYBER_TX, 'abc'),
      expected: '0ff604a8c06ac946eda6ceb7bb94f2672d266207',
      url: `/cb?uid=user42&amount=100&_trans_id_=${FYBER_TX}&pub0=abc&sid=0ff604a8c06ac946eda6ceb7bb94f2672d266207`,
    },
    {
      network: 'ironsource',
      name: 'ironSource signature',
      helper: ironSourceSignature('202401021455', 'evt123', 'user42', '10', S),
      expected: '5d8cd72ef886c6b37c9f2aa0dbf3a992',
      url: '/cb?timestamp=202401021455&eventId=evt123&applicationUserId=user42&rewards=10&signature=5d8cd72ef886c6b37c9f2aa0dbf3a992',
    },
    {
      network: 'adgem',
      name: 'AdGem v2 verifier',
      helper: adgemVerifier(
        S,
        'https://example.com/adgem?player_id=user42&amount=100&transaction_id=t1',
      ),
      expected: 'a3abdf45e6485b4d8dc8108741e4660fc79949982602982a0fd82c494cffbf0d',
      url: '/adgem?player_id=user42&amount=100&transaction_id=t1&verifier=a3abdf45e6485b4d8dc8108741e4660fc79949982602982a0fd82c494cffbf0d',
    },
    {
      network: 'lootably',
      name: "Lootably hash (vendor: its npm library's output)",
      helper: lootablyHash('some userID', '1.1.1.', '0.01', '1', LOOTABLY_VENDOR_SECRET),
      expected: '192be178a21dc60858a372784d260f31400b385033fac53de74fa91a8ce380eb',
      url: '/cb?userID=some%20userID&ip=1.1.1.&revenue=0.01&currencyReward=1&hash=192be178a21dc60858a372784d260f31400b385033fac53de74fa91a8ce380eb',
    },
    {
      network: 'lootably',
      name: 'Lootably hash',
      helper: lootablyHash('user42', '1.2.3.4', '0.50', '100', S),
      expected: '7a5eed680064e0b9d8a7ad58306c0d0947571d37bc4611ad1cd08c036294a475',
      url: '/cb?userID=user42&ip=1.2.3.4&revenue=0.50&currencyReward=100&hash=7a5eed680064e0b9d8a7ad58306c0d0947571d37bc4611ad1cd08c036294a475',
    },
    {
      network: 'cpx',
      name: 'CPX secure_hash',
      helper: cpxHash('100407874547', S),
      expected: '1785717be5a3ac9c743b990c912172c9',
      url: '/cb?trans_id=100407874547&secure_hash=1785717be5a3ac9c743b990c912172c9',
    },
    {
      network: 'theoremreach',
      name: 'TheoremReach hash',
      helper: theoremReachHash(S, VECTOR_URL),
      expected: 'bxdZqdkLFenOnwDVDe19IIjx2bs',
      url: '/cb?user_id=user42&reward=100&tx_id=abc&hash=bxdZqdkLFenOnwDVDe19IIjx2bs',
    },
    {
      network: 'pollfish',
      name: 'Pollfish signature',
      helper: pollfishSignature(S, POLLFISH_VALUES),
      expected: 'XO0NB/1thJiiBqPoq4+i8x1CWSo=',
      url: '/pf?device_id=my-device-id&cpa=30&timestamp=1463152452308&tx_id=08f31d41d800cc7a0beb7eb4897639a8ba7fd7db&signature=XO0NB%2F1thJiiBqPoq4%2Bi8x1CWSo%3D',
    },
    {
      network: 'torox',
      name: 'OfferToro sig',
      helper: toroxSig('12345', 'user42', S),
      expected: 'cfd0cb1b939d909120f7b6e8c5a0e7d1',
      url: '/cb?oid=12345&user_id=user42&sig=cfd0cb1b939d909120f7b6e8c5a0e7d1',
    },
    {
      network: 'revlum',
      name: 'Revlum signature',
      helper: revlumSignature('user42', 'REV-351', '25.0', S),
      expected: '22b4ef0bc6cae734275787d3dae7a3bc',
      url: '/cb?subId=user42&transId=REV-351&reward=25.0&signature=22b4ef0bc6cae734275787d3dae7a3bc',
    },
    {
      network: 'wannads',
      name: 'Wannads legacy signature',
      helper: revlumSignature('user42', 'REV-351', '25.0', S),
      expected: '22b4ef0bc6cae734275787d3dae7a3bc',
      url: '/cb?subId=user42&transId=REV-351&reward=25.0&signature=22b4ef0bc6cae734275787d3dae7a3bc',
    },
    {
      network: 'notik',
      name: 'Notik hash',
      helper: notikHash(S, VECTOR_URL),
      expected: '6f1759a9d90b15e9ce9f00d50ded7d2088f1d9bb',
      url: '/cb?user_id=user42&reward=100&tx_id=abc&hash=6f1759a9d90b15e9ce9f00d50ded7d2088f1d9bb',
    },
  ]

/** A request as the signature check sees it, on the reference's https://example.com. */
function signedRequest(rawUrl: string): SignedRequest {
  const params = new Map<string, string[]>()
  for (const [name, value] of new URLSearchParams(rawUrl.slice(rawUrl.indexOf('?') + 1)))
    params.set(name, [...(params.get(name) ?? []), value])
  return { publicBaseUrl: 'https://example.com', rawUrl, params, rawBody: null, headers: {} }
}

for (const v of vectors) {
  test(`${v.name}: the signing helper reproduces the reference's vector, and the ${v.network} preset accepts it`, () => {
    assert.equal(v.helper, v.expected)
    const spec = signatureSpecSchema.parse(PRESETS[v.network]?.profile.signature)
    const secret = v.name.includes('vendor') ? LOOTABLY_VENDOR_SECRET : S
    assert.deepEqual(verifySignature(spec, signedRequest(v.url), [secret]), { ok: true })
    assert.equal(verifySignature(spec, signedRequest(v.url), ['another-secret']).ok, false)
  })
}

test("Pollfish's own example: values sorted by placeholder name give its documented string to sign", () => {
  assert.equal(
    pollfishMessage(POLLFISH_VALUES),
    '30:my-device-id:1463152452308:08f31d41d800cc7a0beb7eb4897639a8ba7fd7db',
  )
  const url = new URLSearchParams('signature=BbgBlH5HODk%2FSKw3MQuvqM%2BgTxQ%3D')
  assert.equal(url.get('signature'), 'BbgBlH5HODk/SKw3MQuvqM+gTxQ=')
})

test('every preset names its source and its caveats', () => {
  for (const name of Object.keys(KEYS)) {
    const preset = PRESETS[name]
    assert.ok(preset, name)
    assert.ok(['official', 'third-party'].includes(preset.source), name)
    assert.ok(preset.title.length > 0 && preset.notes.length > 0, name)
  }
})

// --- End to end ------------------------------------------------------------------------------

type Answer = { status: number; outcome: unknown; body: string }

async function get(url: string): Promise<Answer> {
  const response = await app.inject({ url })
  return answerOf(response)
}

async function post(url: string, form: string): Promise<Answer> {
  const response = await app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: form,
  })
  return answerOf(response)
}

const balance = (user: string) => consistentBalance(testDb, user)

async function conversions(network: Network, txId: string) {
  const { rows } = await testDb.db.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM conversions WHERE network = $1 AND tx_id = $2',
    [network, txId],
  )
  return rows[0]?.n ?? 0
}

/** A refusal for a bad signature: 403, nothing recorded for that transaction, no points. */
async function assertRefused(
  answer: Answer,
  network: Network,
  txId: string,
  user: string,
  expectedBalance: number,
  code = 'BAD_SIGNATURE',
) {
  assert.equal(answer.status, 403)
  assert.equal(answer.outcome, code)
  assert.equal(await balance(user), expectedBalance)
  if (expectedBalance === 0) assert.equal(await conversions(network, txId), 0)
}

test('Fyber: a callback with its sha1 sid credits amount; a changed amount is refused', async () => {
  const user = uniqueTx('fy-user')
  const tx = uniqueTx('fy')
  const url = (amount: string, sid: string) =>
    `/api/postback/fyber?uid=${user}&amount=${amount}&currency_name=Coin&currency_id=coin&_trans_id_=${tx}&pub0=camp7&sid=${sid}`
  const sid = fyberSid(KEYS.fyber, user, '120', tx, 'camp7')
  await assertRefused(await get(url('1200', sid)), 'fyber', tx, user, 0)
  assert.deepEqual(await get(url('120', sid)), { status: 200, outcome: 'credited', body: 'OK' })
  assert.equal(await balance(user), 120)
  assert.equal((await get(url('120', sid))).outcome, 'duplicate')
  await assertRefused(await get(url('1200', sid)), 'fyber', tx, user, 120)
})

test('ironSource: md5(timestamp eventId userId rewards key) credits rewards and answers <eventId>:OK', async () => {
  const user = uniqueTx('is-user')
  const eventId = uniqueTx('evt').replace(/-/g, '')
  const ts = '202401021455'
  const url = (rewards: string, signature: string) =>
    `/api/postback/ironsource?applicationUserId=${user}&rewards=${rewards}&eventId=${eventId}&itemName=Coins&timestamp=${ts}&signature=${signature}`
  const signature = ironSourceSignature(ts, eventId, user, '10', KEYS.ironsource)
  await assertRefused(await get(url('100', signature)), 'ironsource', eventId, user, 0)
  assert.deepEqual(await get(url('10', signature)), {
    status: 200,
    outcome: 'credited',
    body: `${eventId}:OK`,
  })
  assert.equal(await balance(user), 10)
  // A repeat is acknowledged the same way, so ironSource stops sending it.
  assert.deepEqual(await get(url('10', signature)), {
    status: 200,
    outcome: 'duplicate',
    body: `${eventId}:OK`,
  })
  assert.equal(await balance(user), 10)
})

test('AdGem v2: the HMAC of the URL without its verifier credits amount; a changed amount is refused', async () => {
  const user = uniqueTx('ag-user')
  const tx = uniqueTx('ag')
  // RFC 3986 encoding as AdGem sends it (rawurlencode): the hash covers the query as received.
  const path = (amount: string) =>
    `/api/postback/adgem?player_id=${user}&amount=${amount}&payout=0.75&campaign_id=88&campaign_name=Big%20Game%21&transaction_id=${tx}`
  const verifier = adgemVerifier(KEYS.adgem, `${PUBLIC_URL}${path('100')}`)
  // The verifier may sit anywhere: only its own pair is removed before hashing.
  const withVerifier = (amount: string) =>
    path(amount).replace('&payout=', `&verifier=${verifier}&payout=`)
  await assertRefused(await get(withVerifier('1000')), 'adgem', tx, user, 0)
  assert.deepEqual(await get(withVerifier('100')), {
    status: 200,
    outcome: 'credited',
    body: 'OK',
  })
  assert.equal(await balance(user), 100)
  await assertRefused(await get(withVerifier('1000')), 'adgem', tx, user, 100)
})

test('Lootably: sha256 of userID ip revenue currencyReward secret credits the reward as sent', async () => {
  const user = uniqueTx('lt-user')
  const tx = uniqueTx('lt')
  const url = (reward: string, hash: string) =>
    `/api/postback/lootably?userID=${user}&transactionID=${tx}&ip=1.2.3.4&offerName=Game&offerID=o1&revenue=0.5000&currencyReward=${reward}&hash=${hash}`
  const hash = lootablyHash(user, '1.2.3.4', '0.5000', '100.00', KEYS.lootably)
  await assertRefused(await get(url('1000.00', hash)), 'lootably', tx, user, 0)
  assert.deepEqual(await get(url('100.00', hash)), { status: 200, outcome: 'credited', body: 'OK' })
  assert.equal(await balance(user), 100)
  await assertRefused(await get(url('1000.00', hash)), 'lootably', tx, user, 100)
})

test('CPX Research: md5(trans_id-secret) credits amount_local and answers 1; status=2 reverses the same trans_id', async () => {
  const user = uniqueTx('cpx-user')
  const tx = uniqueTx('cpx')
  const url = (status: string, transId: string, hash: string) =>
    `/api/postback/cpx?status=${status}&trans_id=${transId}&user_id=${user}&amount_local=250&amount_usd=1.25&offer_ID=s9&type=complete&ip_click=1.2.3.4&secure_hash=${hash}`
  const hash = cpxHash(tx, KEYS.cpx)
  // The hash covers only trans_id: a callback replayed under another trans_id is refused.
  const forged = uniqueTx('cpx')
  assert.deepEqual(await get(url('1', forged, hash)), {
    status: 403,
    outcome: 'BAD_SIGNATURE',
    body: '0',
  })
  assert.equal(await conversions('cpx', forged), 0)
  assert.deepEqual(await get(url('1', tx, hash)), { status: 200, outcome: 'credited', body: '1' })
  assert.equal(await balance(user), 250)
  assert.deepEqual(await get(url('2', tx, hash)), { status: 200, outcome: 'reversed', body: '1' })
  assert.equal(await balance(user), 0)
})

test('TheoremReach: base64url HMAC of the URL credits reward; reversal=true takes it back; debug is a test', async () => {
  const user = uniqueTx('tr-user')
  const tx = uniqueTx('tr')
  const signed = (path: string) =>
    `${path}&hash=${theoremReachHash(KEYS.theoremreach, `${PUBLIC_URL}${path}`)}`
  const path = (reward: string, extra = '') =>
    `/api/postback/theoremreach?user_id=${user}&reward=${reward}&currency=0.80&tx_id=${tx}${extra}`
  const good = signed(path('80'))
  await assertRefused(
    await get(good.replace('reward=80', 'reward=800')),
    'theoremreach',
    tx,
    user,
    0,
  )
  assert.deepEqual(await get(good), { status: 200, outcome: 'credited', body: 'OK' })
  assert.equal(await balance(user), 80)
  assert.equal((await get(signed(path('80', '&reversal=true')))).outcome, 'reversed')
  assert.equal(await balance(user), 0)
  const debug = signed(
    `/api/postback/theoremreach?user_id=${user}&reward=80&tx_id=${uniqueTx('tr')}&debug=true`,
  )
  assert.equal((await get(debug)).outcome, 'test')
  assert.equal(await balance(user), 0)
})

test('Pollfish: HMAC of the placeholder values sorted by name credits reward_value; tampered, debug and screen-outs credit nothing', async () => {
  const user = uniqueTx('pf-user')
  const tx = uniqueTx('pf')
  const call = (values: Record<string, string>, signature: string, extra = '') =>
    get(
      `/api/postback/pollfish?${new URLSearchParams(values)}&signature=${encodeURIComponent(signature)}${extra}`,
    )
  const completion = {
    tx_id: tx,
    request_uuid: user,
    device_id: 'my-device-id',
    cpa: '45',
    reward_name: 'Gold Coins',
    reward_value: '300',
    timestamp: '1463152452308',
    term_reason: '', // in the template but empty: still signed, as documented
  }
  const signature = pollfishSignature(KEYS.pollfish, completion)
  assert.ok(pollfishMessage(completion).includes('300::1463152452308'))
  await assertRefused(
    await call({ ...completion, reward_value: '3000' }, signature),
    'pollfish',
    tx,
    user,
    0,
  )
  // Developer mode appends an unsigned debug=true: logged as a test, never credited.
  assert.equal((await call(completion, signature, '&debug=true')).outcome, 'test')
  assert.equal(await balance(user), 0)
  assert.deepEqual(await call(completion, signature), {
    status: 200,
    outcome: 'credited',
    body: 'OK',
  })
  assert.equal(await balance(user), 300)
  // cpa is USD cents: stored as 0.45 dollars, exactly.
  const { rows } = await testDb.db.pool.query(
    'SELECT payout::text FROM conversions WHERE tx_id = $1',
    [tx],
  )
  assert.equal(rows[0]?.payout, '0.450000')

  const screenOut = {
    ...completion,
    tx_id: uniqueTx('pf'),
    status: 'noteligible',
    term_reason: 'screenout',
  }
  const answer = await call(screenOut, pollfishSignature(KEYS.pollfish, screenOut))
  assert.deepEqual([answer.status, answer.outcome], [200, 'recorded'])
  assert.equal(await balance(user), 300)
})

test('Torox: md5(oid-user_id-key) credits amount and answers 1; a changed user is refused with 0', async () => {
  const user = uniqueTx('tx-user')
  const tx = uniqueTx('torox')
  const url = (who: string, sig: string) =>
    `/api/postback/torox?id=${tx}&oid=4711&user_id=${who}&amount=35&payout=1.00&currency_name=Coins&sig=${sig}`
  const sig = toroxSig('4711', user, KEYS.torox)
  const other = uniqueTx('tx-user')
  assert.deepEqual(await get(url(other, sig)), { status: 403, outcome: 'BAD_SIGNATURE', body: '0' })
  assert.equal(await balance(other), 0)
  assert.equal(await conversions('torox', tx), 0)
  assert.deepEqual(await get(url(user, sig)), { status: 200, outcome: 'credited', body: '1' })
  assert.equal(await balance(user), 35)
})

test('AdGate: the token in its unique URL admits it; pending, approved and rejected states move the points', async () => {
  const user = uniqueTx('adg-user')
  const tx = uniqueTx('adg')
  const url = (state: string, token = KEYS.adgate) =>
    `/api/postback/adgate?token=${token}&conversion_id=${tx}&user_id=${user}&point_value=500&usd_value=0.50&offer_title=Game&state=${state}`
  await assertRefused(
    await get(url('approved', 'not-the-token')),
    'adgate',
    tx,
    user,
    0,
    'BAD_SECRET',
  )
  const noToken = await get(url('approved').replace(`token=${KEYS.adgate}&`, ''))
  await assertRefused(noToken, 'adgate', tx, user, 0, 'BAD_SECRET')
  assert.equal((await get(url('pending'))).outcome, 'recorded')
  assert.equal(await balance(user), 0)
  assert.deepEqual(await get(url('approved')), { status: 200, outcome: 'credited', body: 'OK' })
  assert.equal(await balance(user), 500)
  assert.equal((await get(url('rejected'))).outcome, 'reversed')
  assert.equal(await balance(user), 0)
})

test('Revlum: a POSTed md5(subId transId reward secret) credits reward and answers ok; status=2 reverses; debug=1 is a test', async () => {
  const user = uniqueTx('rv-user')
  const tx = uniqueTx('rv')
  const form = (reward: string, status: string, signature: string, debug = '0') =>
    `subId=${user}&transId=${tx}&offerId=o5&offerName=Quiz&reward=${reward}&payout=0.25&userIp=1.2.3.4&status=${status}&debug=${debug}&signature=${signature}`
  const signature = revlumSignature(user, tx, '25.0', KEYS.revlum)
  await assertRefused(
    await post('/api/postback/revlum', form('250.0', '1', signature)),
    'revlum',
    tx,
    user,
    0,
  )
  assert.deepEqual(await post('/api/postback/revlum', form('25.0', '1', signature)), {
    status: 200,
    outcome: 'credited',
    body: 'ok',
  })
  assert.equal(await balance(user), 25)
  // Amounts stay absolute on a chargeback; the status says subtract.
  assert.equal(
    (await post('/api/postback/revlum', form('25.0', '2', signature))).outcome,
    'reversed',
  )
  assert.equal(await balance(user), 0)
  const testTx = uniqueTx('rv')
  const debugUrl = `/api/postback/revlum?subId=${user}&transId=${testTx}&reward=5&status=1&debug=1&signature=${revlumSignature(user, testTx, '5', KEYS.revlum)}`
  assert.equal((await get(debugUrl)).outcome, 'test')
  assert.equal(await balance(user), 0)
})

test('Wannads (legacy): md5(subId transId reward secret) credits; a rejection under a new transId and the same uuid reverses it', async () => {
  const user = uniqueTx('wn-user')
  const uuid = uniqueTx('wn-uuid')
  const transId = uniqueTx('wn')
  const url = (trans: string, reward: string, status: string, signature: string) =>
    `/api/postback/wannads?subId=${user}&transId=${trans}&reward=${reward}&payout=0.30&status=${status}&userIp=1.2.3.4&campaign_id=c1&uuid=${uuid}&signature=${signature}`
  const signature = revlumSignature(user, transId, '30', KEYS.wannads)
  await assertRefused(await get(url(transId, '300', '1', signature)), 'wannads', uuid, user, 0)
  assert.deepEqual(await get(url(transId, '30', '1', signature)), {
    status: 200,
    outcome: 'credited',
    body: 'OK',
  })
  assert.equal(await balance(user), 30)
  const rejection = uniqueTx('wn')
  const reversal = url(rejection, '30', '2', revlumSignature(user, rejection, '30', KEYS.wannads))
  assert.equal((await get(reversal)).outcome, 'reversed')
  assert.equal(await balance(user), 0)
})

test('Notik: HMAC-SHA1 of the URL before &hash= credits amount and answers 1; a negative amount reverses it', async () => {
  const user = uniqueTx('nk-user')
  const tx = uniqueTx('nk')
  const signed = (path: string) => `${path}&hash=${notikHash(KEYS.notik, `${PUBLIC_URL}${path}`)}`
  const path = (amount: string, payout: string) =>
    `/api/postback/notik?user_id=${user}&amount=${amount}&payout=${payout}&offer_id=n1&offer_name=App&txn_id=${tx}&conversion_ip=1.2.3.4`
  const good = signed(path('150', '0.15'))
  await assertRefused(await get(good.replace('amount=150', 'amount=1500')), 'notik', tx, user, 0)
  assert.deepEqual(await get(good), { status: 200, outcome: 'credited', body: '1' })
  assert.equal(await balance(user), 150)
  const chargeback = await get(signed(path('-150', '-0.15')))
  assert.deepEqual(chargeback, { status: 200, outcome: 'reversed', body: '1' })
  assert.equal(await balance(user), 0)
})
