import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { PRESETS } from '../../src/networks/presets/index.js'
import { buildProfile, defaultProfile } from '../../src/networks/profile.js'
import { NetworkRegistry } from '../../src/networks/registry.js'
import {
  ADMIN_TOKEN,
  adminHeaders,
  answerOf,
  consistentBalance,
  SECRET,
  uniqueTx,
} from '../helpers/app.js'
import { createTestDatabase, type TestDatabase, testConfig } from '../helpers/database.js'
import { silentLogger } from '../helpers/logging.js'

// Every preset as its network really calls it. The operator copies the URL that
// GET /admin/networks/:n/postback-url prints and pastes it into the network's panel; the network
// fills the macros it knows (documented values, encoded as it documents), leaves any other
// macro as it is (or, in the second mode, blanks it), appends what it appends itself, signs
// with its documented formula (written here, never the project's signer) and calls. The call
// must be credited with the right points and answered as the network expects; the same call
// with a signed value changed must be refused and change nothing.
const PUBLIC_URL = 'https://pb.example.com'
const KEY = (network: string) => `${network}-secret-key-0123`

let testDb: TestDatabase
let app: FastifyInstance
before(async () => {
  testDb = await createTestDatabase()
  const config = testConfig({ ...testDb.env, POSTBACK_SECRET: SECRET, ADMIN_TOKEN, PUBLIC_URL })
  const profiles = [
    defaultProfile(config, [SECRET]),
    ...Object.keys(PRESETS).map((name) =>
      buildProfile(name, { preset: name, secrets: [KEY(name)] }, config),
    ),
    // AdGem v3 as a profile: POST JSON with the fields under "data", signed as the raw body.
    buildProfile(
      'adgem-json',
      {
        secrets: [KEY('adgem-json')],
        signature: { kind: 'hmac_body', alg: 'sha256', header: 'signature' },
        params: {
          tx_id: 'data.conversion_id',
          user_id: 'data.player_id',
          reward: 'data.amount',
          offer_id: 'data.campaign_id',
        },
        required: ['tx_id', 'user_id', 'reward'],
        txIdSuffixParams: ['data.goal_id'],
        pointsFrom: 'reward',
      },
      config,
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

// --- What networks do to a URL ----------------------------------------------------------------

const md5 = (text: string) => createHash('md5').update(text).digest('hex')
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex')
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
const hmac = (alg: string, key: string, text: string) => createHmac(alg, key).update(text)
/** PHP rawurlencode (RFC 3986): AdGem's encoding. */
const rawurlencode = (text: string) =>
  encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )
/** PHP urlencode (RFC 1738, http_build_query's default): ayeT's. */
const urlencode = (text: string) => rawurlencode(text).replace(/%20/g, '+')

const MACROS = {
  '{x}': /\{(\w+)\}/g,
  '[X]': /\[([A-Z_]+)\]/g,
  '[%X%]': /\[%([A-Z:_]+)%\]/g,
  '[[x]]': /\[\[(\w+)\]\]/g,
  '{{x}}': /\{\{(\w+)\}\}/g,
}
type Mode = 'unknown macros left as they are' | 'unknown macros blanked'
const MODES: Mode[] = ['unknown macros left as they are', 'unknown macros blanked']

/** Replaces each macro the network knows with its encoded value; the others as `mode` says. */
function fillMacros(
  url: string,
  style: keyof typeof MACROS,
  values: Record<string, string>,
  mode: Mode,
  encode: (value: string) => string = encodeURIComponent,
): string {
  return url.replace(MACROS[style], (macro, name: string) => {
    const value = values[name]
    if (value !== undefined) return encode(value)
    return mode === 'unknown macros blanked' ? '' : macro
  })
}

/** Appends pairs the way networks do: "?" on a bare URL, "&" after an existing query. */
function appendPairs(url: string, pairs: [string, string][], encode = encodeURIComponent) {
  const query = pairs.map(([name, value]) => `${name}=${encode(value)}`).join('&')
  return `${url}${url.includes('?') ? '&' : '?'}${query}`
}

const queryOf = (url: string) => [...new URLSearchParams(url.slice(url.indexOf('?') + 1))]

// --- The networks, from their documentation (see each preset's setup note for the source) ----

type Conversion = { user: string; tx: string; points: string; payout: string }
type Call = { url: string; headers?: Record<string, string>; form?: string }

type Vendor = {
  /** The network's answer body the preset must give (its documented success answer). */
  body: (c: Conversion) => string
  /** Turns the printed URL into the call the network makes. */
  call: (printed: string, c: Conversion, mode: Mode) => Call
  /** A parameter whose value the signature covers: the tampered call changes it. */
  tamper: string
  refusal?: string
}

const VENDORS: Record<string, Vendor> = {
  // Bare URL; Tapjoy appends ?&snuid=&currency=&mac_address= and, with a secret key, id and
  // verifier = md5("id:snuid:currency:secret key").
  tapjoy: {
    body: () => 'OK',
    call: (printed, c) => {
      assert.equal(printed.includes('?'), false, 'Tapjoy gets a bare URL')
      const verifier = md5(`${c.tx}:${c.user}:${c.points}:${KEY('tapjoy')}`)
      return {
        url: `${printed}?&snuid=${c.user}&currency=${c.points}&mac_address=00-16-41-34-2C-A6&id=${c.tx}&verifier=${verifier}`,
      }
    },
    tamper: 'currency',
  },
  // [%X%] macros; BitLabs appends &hash = hex HMAC-SHA1(app secret, the whole URL before it).
  bitlabs: {
    body: () => 'OK',
    call: (printed, c, mode) => {
      const filled = fillMacros(
        printed,
        '[%X%]',
        { UID: c.user, TX: c.tx, VAL: c.points, RAW: c.payout, TYPE: 'COMPLETE', REF: '' },
        mode,
      )
      return { url: `${filled}&hash=${hmac('sha1', KEY('bitlabs'), filled).digest('hex')}` }
    },
    tamper: 'val',
  },
  // {x} macros; ayeT adds X-Ayetstudios-Security-Hash = hex HMAC-SHA256(API key, all request
  // parameters sorted by name as PHP's http_build_query writes them).
  ayetstudios: {
    body: () => 'OK',
    call: (printed, c, mode) => {
      const url = fillMacros(
        printed,
        '{x}',
        {
          transaction_id: c.tx,
          external_identifier: c.user,
          currency_amount: c.points,
          payout_usd: c.payout,
          is_chargeback: '0',
          chargeback_reason: '',
          chargeback_date: '',
        },
        mode,
      )
      return { url, headers: { 'x-ayetstudios-security-hash': ayetHash(url) } }
    },
    tamper: 'currency_amount',
  },
  // {x} macros; {signature} = md5(sub_id:amount:secret key); answers 1.
  kiwiwall: {
    body: () => '1',
    call: (printed, c, mode) => ({
      url: fillMacros(
        printed,
        '{x}',
        {
          status: '1',
          trans_id: c.tx,
          sub_id: c.user,
          amount: c.points,
          gross: c.payout,
          offer_id: '1042',
          offer_name: 'Big Game',
          signature: md5(`${c.user}:${c.points}:${KEY('kiwiwall')}`),
        },
        mode,
      ),
    }),
    tamper: 'amount',
  },
  // Bare URL; DT appends uid, amount, currency_name, currency_id, _trans_id_ and
  // sid = sha1(security token + uid + amount + _trans_id_ + pub0...).
  fyber: {
    body: () => 'OK',
    call: (printed, c) => {
      assert.equal(printed.includes('?'), false, 'DT gets a bare URL')
      const sid = sha1(`${KEY('fyber')}${c.user}${c.points}${c.tx}`)
      return {
        url: appendPairs(printed, [
          ['uid', c.user],
          ['amount', c.points],
          ['currency_name', 'Coins'],
          ['currency_id', 'coins'],
          ['_trans_id_', c.tx],
          ['sid', sid],
        ]),
      }
    },
    tamper: 'amount',
  },
  // [X] placeholders; with a private key LevelPlay adds timestamp (YYYYMMDDHHMM) and
  // signature = md5(timestamp + eventId + userId + rewards + private key). Answer <EVENT_ID>:OK.
  ironsource: {
    body: (c) => `${c.tx}:OK`,
    call: (printed, c, mode) => {
      const filled = fillMacros(
        printed,
        '[X]',
        { USER_ID: c.user, REWARDS: c.points, EVENT_ID: c.tx, ITEM_NAME: 'Coins' },
        mode,
      )
      const timestamp = '202611290945'
      const signature = md5(`${timestamp}${c.tx}${c.user}${c.points}${KEY('ironsource')}`)
      return {
        url: appendPairs(filled, [
          ['timestamp', timestamp],
          ['signature', signature],
        ]),
      }
    },
    tamper: 'rewards',
  },
  // {x} macros, values rawurlencode()d; AdGem appends verifier = hex HMAC-SHA256(postback
  // key, scheme://host/path? + the query re-serialised with RFC 3986 encoding, without it).
  adgem: {
    body: () => 'OK',
    call: (printed, c, mode) => {
      const filled = fillMacros(
        printed,
        '{x}',
        {
          player_id: c.user,
          transaction_id: c.tx,
          amount: c.points,
          payout: c.payout,
          campaign_id: '88',
          campaign_name: 'Example App: Sports & Casino (iOS)',
          goal_id: '',
          goal_name: '',
        },
        mode,
        rawurlencode,
      )
      const base = filled.slice(0, filled.indexOf('?'))
      const rebuilt = `${base}?${queryOf(filled)
        .map(([name, value]) => `${rawurlencode(name)}=${rawurlencode(value)}`)
        .join('&')}`
      return { url: `${filled}&verifier=${hmac('sha256', KEY('adgem'), rebuilt).digest('hex')}` }
    },
    tamper: 'amount',
  },
  // {x} macros; {hash} = sha256(userID + ip + revenue + currencyReward + postback secret).
  lootably: {
    body: () => 'OK',
    call: (printed, c, mode) => ({
      url: fillMacros(
        printed,
        '{x}',
        {
          userID: c.user,
          transactionID: c.tx,
          ip: '203.0.113.9',
          offerName: 'Big Game',
          offerID: 'o-77',
          revenue: c.payout,
          currencyReward: c.points,
          goalID: '',
          goalName: '',
          hash: sha256(`${c.user}203.0.113.9${c.payout}${c.points}${KEY('lootably')}`),
        },
        mode,
      ),
    }),
    tamper: 'currencyReward',
  },
  // {x} macros; {secure_hash} = md5(trans_id-app secure hash), covering only trans_id.
  cpx: {
    body: () => '1',
    call: (printed, c, mode) => ({
      url: fillMacros(
        printed,
        '{x}',
        {
          status: '1',
          trans_id: c.tx,
          user_id: c.user,
          amount_local: c.points,
          amount_usd: c.payout,
          offer_ID: 's9',
          ip_click: '203.0.113.9',
          type: 'complete',
          secure_hash: md5(`${c.tx}-${KEY('cpx')}`),
        },
        mode,
      ),
    }),
    tamper: 'trans_id',
  },
  // Bare URL; TheoremReach appends its parameters and hash = base64url(HMAC-SHA1(secret,
  // the URL without hash)), without padding.
  theoremreach: {
    body: () => 'OK',
    call: (printed, c) => {
      assert.equal(printed.includes('?'), false, 'TheoremReach gets a bare URL')
      const url = appendPairs(printed, [
        ['user_id', c.user],
        ['reward', c.points],
        ['currency', c.payout],
        ['tx_id', c.tx],
      ])
      const hash = hmac('sha1', KEY('theoremreach'), url)
        .digest('base64')
        .replace(/\+/g, '-')
        .replace(/\//g, '_')
        .replace(/=+$/, '')
      return { url: `${url}&hash=${hash}` }
    },
    tamper: 'reward',
  },
  // [[x]] placeholders; [[signature]] = base64(HMAC-SHA1(secret key, the values of the
  // placeholders in the template sorted by placeholder name, non-empty ones joined by ":"; an
  // empty request_uuid skipped, an empty term_reason kept)).
  pollfish: {
    body: () => 'OK',
    call: (printed, c, mode) => {
      const values: Record<string, string> = {
        tx_id: c.tx,
        request_uuid: c.user,
        device_id: 'my-device-id',
        cpa: '45',
        reward_name: 'Gold Coins',
        reward_value: c.points,
        status: 'eligible',
        term_reason: '',
        timestamp: '1463152452308',
        click_id: '',
      }
      const placeholders = [...printed.matchAll(MACROS['[[x]]'])]
        .map((m) => m[1] as string)
        .filter((name) => name !== 'signature' && name in values)
        .sort()
      const signed = placeholders
        .filter((name) => values[name] !== '' || name === 'term_reason')
        .map((name) => values[name])
        .join(':')
      const signature = hmac('sha1', KEY('pollfish'), signed).digest('base64')
      return { url: fillMacros(printed, '[[x]]', { ...values, signature }, mode) }
    },
    tamper: 'reward_value',
  },
  // {x} macros (custom parameter postback); {sig} = md5(oid-user_id-placement key): it covers
  // neither the amount nor the id, so the tampered call changes the user.
  torox: {
    body: () => '1',
    call: (printed, c, mode) => ({
      url: fillMacros(
        printed,
        '{x}',
        {
          id: c.tx,
          oid: '4711',
          user_id: c.user,
          amount: c.points,
          currency_name: 'Coins',
          sig: md5(`4711-${c.user}-${KEY('torox')}`),
        },
        mode,
      ),
    }),
    tamper: 'user_id',
  },
  // {x} macros, no signature: the operator's token in the unique URL admits the call.
  adgate: {
    body: () => 'OK',
    call: (printed, c, mode) => ({
      url: fillMacros(
        printed,
        '{x}',
        {
          conversion_id: c.tx,
          s1: c.user,
          points: c.points,
          payout: c.payout,
          state: 'approved',
          vc_title: 'Coins',
        },
        mode,
      ),
    }),
    tamper: 'token',
    refusal: 'BAD_SECRET',
  },
  // Bare URL; Revlum POSTs its variables with signature = md5(subId + transId + reward +
  // secret); answers ok.
  revlum: {
    body: () => 'ok',
    call: (printed, c) => {
      assert.equal(printed.includes('?'), false, 'Revlum gets a bare URL')
      const form = new URLSearchParams({
        subId: c.user,
        transId: c.tx,
        offerId: 'o5',
        offerName: 'Quiz',
        reward: c.points,
        payout: c.payout,
        userIp: '203.0.113.9',
        status: '1',
        debug: '0',
        signature: md5(`${c.user}${c.tx}${c.points}${KEY('revlum')}`),
      }).toString()
      return { url: printed, form }
    },
    tamper: 'reward',
  },
  // Bare URL; Wannads attaches its parameters, signature = md5(subId + transId + reward +
  // secret).
  wannads: {
    body: () => 'OK',
    call: (printed, c) => {
      assert.equal(printed.includes('?'), false, 'Wannads gets a bare URL')
      return {
        url: appendPairs(printed, [
          ['subId', c.user],
          ['transId', c.tx],
          ['reward', c.points],
          ['payout', c.payout],
          ['signature', md5(`${c.user}${c.tx}${c.points}${KEY('wannads')}`)],
          ['status', '1'],
          ['userIp', '203.0.113.9'],
          ['campaign_id', 'c1'],
          ['campaign_name', 'Big Game'],
          ['country', 'US'],
          ['uuid', `click-${c.tx}`],
          ['subId2', ''],
        ]),
      }
    },
    tamper: 'reward',
  },
  // {x} macros; Notik appends &hash = hex HMAC-SHA1(secret, the URL before it); answers 1.
  notik: {
    body: () => '1',
    call: (printed, c, mode) => {
      const filled = fillMacros(
        printed,
        '{x}',
        {
          user_id: c.user,
          txn_id: c.tx,
          amount: c.points,
          payout: c.payout,
          offer_id: 'n1',
          offer_name: 'App',
          conversion_ip: '203.0.113.9',
        },
        mode,
      )
      return { url: `${filled}&hash=${hmac('sha1', KEY('notik'), filled).digest('hex')}` }
    },
    tamper: 'amount',
  },
  // {x} macros; adjoe fills them and signs sid = sha1(trans_uuid + user_uuid + currency +
  // coin_amount + device_id + sdk_app_id + S2S token); any 200 is success.
  adjoe: {
    body: () => 'OK',
    call: (printed, c, mode) => {
      const values = {
        trans_uuid: c.tx,
        user_uuid: c.user,
        currency: 'coins',
        coin_amount: c.points,
        device_id: 'a1b2c3d4e5f6',
        sdk_app_id: 'com.example.game',
        app_id: 'com.advertiser.puzzle',
        reward_type: 'Playtime',
      }
      const sid = adjoeSid(values, KEY('adjoe'))
      return { url: fillMacros(printed, '{x}', { ...values, sid }, mode) }
    },
    tamper: 'coin_amount',
  },
  // {{x}} macros, no signature: {{secretKey}} would send the site secret key as it is; the
  // printed URL carries it already (the profile's secret), so Monlix fills the rest.
  monlix: {
    body: () => 'OK',
    call: (printed, c, mode) => {
      assert.match(printed, new RegExp(`[?&]secretKey=${KEY('monlix')}(&|$)`))
      return {
        url: fillMacros(
          printed,
          '{{x}}',
          {
            transactionId: c.tx,
            userId: c.user,
            rewardValue: c.points,
            payout: c.payout,
            status: '1',
            subId: 'a237eacc6db367b23f',
            userIp: '203.0.113.9',
            rewardCurrency: 'Credits',
            taskName: 'Earn money easily',
          },
          mode,
        ),
      }
    },
    tamper: 'secretKey',
    refusal: 'BAD_SECRET',
  },
  // Bare URL; AdMost appends its parameters (its documented callback sample's order) with
  // verifier = md5(app_id + app_user_id + currency + event_id + network + reward + created_at +
  // S2S verification token).
  admost: {
    body: () => 'OK',
    call: (printed, c) => {
      assert.equal(printed.includes('?'), false, 'AdMost gets a bare URL')
      const v = {
        app_id: 'c9e86d87-453e-0d9a-3d00-56adc9ec4dc3',
        app_user_id: c.user,
        created_at: '1552308270',
        currency: 'Coin',
        event_id: c.tx,
        network: 'applovin',
        reward: c.points,
      }
      const verifier = admostVerifier(v, KEY('admost'))
      return {
        url: appendPairs(printed, [
          ['app_id', v.app_id],
          ['app_user_id', v.app_user_id],
          ['created_at', v.created_at],
          ['currency', v.currency],
          ['custom_data', 'rewarded=lobby'],
          ['event_id', v.event_id],
          ['network', v.network],
          ['reward', v.reward],
          ['verifier', verifier],
          ['activity_kind', 'rewarded'],
        ]),
      }
    },
    tamper: 'reward',
  },
}

/** adjoe: sha1 of the values concatenated without separators, the S2S token last. */
function adjoeSid(
  v: Record<
    'trans_uuid' | 'user_uuid' | 'currency' | 'coin_amount' | 'device_id' | 'sdk_app_id',
    string
  >,
  token: string,
) {
  return sha1(
    `${v.trans_uuid}${v.user_uuid}${v.currency}${v.coin_amount}${v.device_id}${v.sdk_app_id}${token}`,
  )
}

/** AdMost: md5 of the values concatenated in its documented order, the S2S token last. */
function admostVerifier(v: Record<string, string>, token: string) {
  return md5(
    `${v.app_id}${v.app_user_id}${v.currency}${v.event_id}${v.network}${v.reward}${v.created_at}${token}`,
  )
}

test("AdMost's signer reproduces the reference's vector", () => {
  const v = {
    app_id: 'app1',
    app_user_id: 'user42',
    currency: 'Coin',
    event_id: 'evt1',
    network: 'applovin',
    reward: '3',
    created_at: '1552308270',
  }
  assert.equal(admostVerifier(v, 's3cr3t'), '7fde513cfef710bf437b06545b5e1c7e')
})

test("adjoe's signer reproduces the reference's vector", () => {
  const v = {
    trans_uuid: 'trans1',
    user_uuid: 'user42',
    currency: 'coins',
    coin_amount: '100',
    device_id: 'dev1',
    sdk_app_id: 'sdkapp1',
  }
  assert.equal(adjoeSid(v, 's3cr3t'), '180a5a7cec98ba6042c7137f425d58c46e7b2d55')
})

test('Monlix: a chargeback (status 2) of a credited transaction takes its points back', async () => {
  const c = {
    user: uniqueTx('monlix-user'),
    tx: uniqueTx('monlix').replace(/-/g, ''),
    points: '80',
    payout: '0.40',
  }
  const printed = (await printedUrl('monlix')).url
  const credit = VENDORS.monlix?.call(printed, c, 'unknown macros left as they are') as Call
  assert.equal((await send(credit)).outcome, 'credited')
  assert.equal(await consistentBalance(testDb, c.user), 80)
  const chargeback = { url: credit.url.replace('status=1', 'status=2') }
  assert.deepEqual(await send(chargeback), { status: 200, outcome: 'reversed', body: 'OK' })
  assert.equal(await consistentBalance(testDb, c.user), 0)
})

function ayetHash(url: string) {
  const sorted = queryOf(url)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${urlencode(name)}=${urlencode(value)}`)
    .join('&')
  return hmac('sha256', KEY('ayetstudios'), sorted).digest('hex')
}

// --- Sending ----------------------------------------------------------------------------------

async function send(call: Call) {
  assert.ok(call.url.startsWith(PUBLIC_URL), call.url)
  const url = call.url.slice(PUBLIC_URL.length)
  const response = await app.inject(
    call.form === undefined
      ? { url, headers: call.headers }
      : {
          method: 'POST',
          url,
          headers: { ...call.headers, 'content-type': 'application/x-www-form-urlencoded' },
          payload: call.form,
        },
  )
  return answerOf(response)
}

/** The same call with one signed parameter's value changed (in the URL or the form). */
function tampered(call: Call, param: string): Call {
  const change = (query: string) =>
    query.replace(
      new RegExp(`(^|[?&])${param}=([^&]*)`),
      (_, lead, value) => `${lead}${param}=${value}0`,
    )
  if (call.form !== undefined && new URLSearchParams(call.form).has(param))
    return { ...call, form: change(call.form) }
  const mark = call.url.indexOf('?')
  assert.notEqual(mark, -1)
  const changed = `${call.url.slice(0, mark)}${change(call.url.slice(mark))}`
  assert.notEqual(changed, call.url, `the call has no ${param} to tamper with`)
  return { ...call, url: changed }
}

async function printedUrl(network: string) {
  const response = await app.inject({
    url: `/admin/networks/${network}/postback-url`,
    headers: adminHeaders,
  })
  assert.equal(response.statusCode, 200)
  return response.json() as { url: string; notes: string[] }
}

test('every preset of issue 15 has a vendor simulation here', () => {
  // Presets added later may bring their simulation in their own test file.
  const ISSUE_15 = [
    'tapjoy',
    'bitlabs',
    'ayetstudios',
    'kiwiwall',
    'fyber',
    'ironsource',
    'adgem',
    'lootably',
    'cpx',
    'theoremreach',
    'pollfish',
    'torox',
    'adgate',
    'revlum',
    'wannads',
    'notik',
    'adjoe',
    'monlix',
    'admost',
  ]
  assert.deepEqual(Object.keys(VENDORS).sort(), ISSUE_15.sort())
  for (const name of Object.keys(VENDORS)) assert.ok(PRESETS[name], name)
})

for (const [network, vendor] of Object.entries(VENDORS)) {
  describe(`${network}: the printed URL, pasted into the network's panel`, () => {
    test('carries no macro of another syntax, names its source and says where to paste it', async () => {
      const printed = await printedUrl(network)
      assert.ok(printed.url.startsWith(`${PUBLIC_URL}/api/postback/${network}`), printed.url)
      assert.doesNotMatch(printed.url, /#/)
      assert.match(printed.notes.join('\n'), /Source/)
    })
    for (const mode of MODES) {
      test(`is credited with the right points and answered as the network expects (${mode})`, async () => {
        const c: Conversion = {
          user: uniqueTx(`${network}-user`),
          tx: uniqueTx(network).replace(/-/g, ''),
          points: '150',
          payout: '0.75',
        }
        const printed = (await printedUrl(network)).url
        const call = vendor.call(printed, c, mode)
        assert.deepEqual(await send(call), {
          status: 200,
          outcome: 'credited',
          body: vendor.body(c),
        })
        assert.equal(await consistentBalance(testDb, c.user), 150)
        const forged = await send(tampered(call, vendor.tamper))
        assert.equal(forged.status, 403)
        assert.equal(forged.outcome, vendor.refusal ?? 'BAD_SIGNATURE')
        assert.equal(await consistentBalance(testDb, c.user), 150)
        // The network's retry of the same call is acknowledged the same way, credited once.
        assert.deepEqual(await send(call), {
          status: 200,
          outcome: 'duplicate',
          body: vendor.body(c),
        })
        assert.equal(await consistentBalance(testDb, c.user), 150)
      })
    }
  })
}

// --- Vendor behaviours around the URL ---------------------------------------------------------

test('Fyber: _trans_id_ appended to a URL already ending in "?_trans_id_=" is signed and credited once', async () => {
  const user = uniqueTx('fyber-user')
  const tx = uniqueTx('fyber')
  const printed = `${(await printedUrl('fyber')).url}?_trans_id_=`
  const sid = sha1(`${KEY('fyber')}${user}150${tx}`)
  const call = {
    url: `${printed}&uid=${user}&amount=150&currency_name=Coins&currency_id=coins&_trans_id_=${tx}&sid=${sid}`,
  }
  assert.deepEqual(await send(call), { status: 200, outcome: 'credited', body: 'OK' })
  assert.equal(await consistentBalance(testDb, user), 150)
  assert.equal((await send(call)).outcome, 'duplicate')
  const forged = await send(tampered(call, 'amount'))
  assert.deepEqual([forged.status, forged.outcome], [403, 'BAD_SIGNATURE'])
  assert.equal(await consistentBalance(testDb, user), 150)
})

test("a network's own `network` parameter neither routes nor is ambiguous when the path names the network", async () => {
  // Admost sends network=<the ad network that paid>, and signs it.
  const user = uniqueTx('kw-user')
  const tx = uniqueTx('kw')
  const signature = md5(`${user}:150:${KEY('kiwiwall')}`)
  const url = `/api/postback/kiwiwall?network=applovin&trans_id=${tx}&sub_id=${user}&amount=150&status=1&signature=${signature}&network=unity`
  const answer = answerOf(await app.inject({ url }))
  assert.deepEqual(answer, { status: 200, outcome: 'credited', body: '1' })
  assert.equal(await consistentBalance(testDb, user), 150)
})

/** The BitLabs call for these values, from the printed URL, hashed as BitLabs does. */
async function bitlabsCall(values: Record<string, string>) {
  const filled = fillMacros(
    (await printedUrl('bitlabs')).url,
    '[%X%]',
    values,
    'unknown macros blanked',
  )
  return { url: `${filled}&hash=${hmac('sha1', KEY('bitlabs'), filled).digest('hex')}` }
}

test('BitLabs: an offer reconciliation (an "or" id, negative VAL and RAW, no TYPE) reverses the transaction its REF names', async () => {
  const user = uniqueTx('bl-user')
  const tx = `o${uniqueTx('bl')}`
  const complete = { UID: user, TX: tx, VAL: '150', RAW: '0.75', TYPE: '', REF: '' }
  assert.equal((await send(await bitlabsCall(complete))).outcome, 'credited')
  assert.equal(await consistentBalance(testDb, user), 150)
  const reconciliation = {
    UID: user,
    TX: `or${tx.slice(1)}`,
    VAL: '-150',
    RAW: '-0.75',
    TYPE: '',
    REF: tx,
  }
  const forged = await send(tampered(await bitlabsCall(reconciliation), 'ref'))
  assert.deepEqual([forged.status, forged.outcome], [403, 'BAD_SIGNATURE'])
  assert.deepEqual(await send(await bitlabsCall(reconciliation)), {
    status: 200,
    outcome: 'reversed',
    body: 'OK',
  })
  assert.equal(await consistentBalance(testDb, user), 0)
  assert.equal((await send(await bitlabsCall(reconciliation))).outcome, 'duplicate')
  assert.equal(await consistentBalance(testDb, user), 0)
})

test('BitLabs: a REF naming another transaction with no TYPE is a reversal even with positive values; a REF naming itself is not', async () => {
  const user = uniqueTx('bl-user')
  const tx = `o${uniqueTx('bl')}`
  const self = await send(
    await bitlabsCall({ UID: user, TX: tx, VAL: '150', RAW: '0.75', TYPE: '', REF: tx }),
  )
  assert.equal(self.outcome, 'credited')
  const reconciled = {
    UID: user,
    TX: `or${tx.slice(1)}`,
    VAL: '150',
    RAW: '0.75',
    TYPE: '',
    REF: tx,
  }
  assert.equal((await send(await bitlabsCall(reconciled))).outcome, 'reversed')
  assert.equal(await consistentBalance(testDb, user), 0)
})

test('AdGem: the goals of one multi-reward offer are separate conversions, each credited once', async () => {
  const user = uniqueTx('ag-user')
  const tx = uniqueTx('ag')
  const printed = (await printedUrl('adgem')).url
  const goal = (goalId: string, amount: string) => {
    const filled = fillMacros(
      printed,
      '{x}',
      {
        player_id: user,
        transaction_id: tx,
        amount,
        payout: '0.10',
        campaign_id: '88',
        goal_id: goalId,
      },
      'unknown macros blanked',
      rawurlencode,
    )
    return { url: `${filled}&verifier=${hmac('sha256', KEY('adgem'), filled).digest('hex')}` }
  }
  assert.equal((await send(goal('1', '100'))).outcome, 'credited')
  assert.equal((await send(goal('2', '250'))).outcome, 'credited')
  assert.equal((await send(goal('1', '100'))).outcome, 'duplicate')
  assert.equal(await consistentBalance(testDb, user), 350)
})

test('AdGem v3: a POSTed JSON body with its fields under data, signed as the raw body, is read by field paths', async () => {
  const user = uniqueTx('ag3-user')
  const conversion = uniqueTx('ag3')
  // The body as AdGem v3 sends it (two independent implementations of docs.adgem.com v3).
  const body = (amount: number, goal: number) =>
    JSON.stringify({
      request_id: uniqueTx('req'),
      timestamp: 1700000000,
      data: {
        player_id: user,
        amount,
        payout_cents: 75,
        conversion_type: 'reward',
        conversion_id: conversion,
        campaign_id: 88,
        goal_id: goal,
      },
    })
  const post = (raw: string, signature = hmac('sha256', KEY('adgem-json'), raw).digest('hex')) =>
    app
      .inject({
        method: 'POST',
        url: '/api/postback/adgem-json',
        headers: { 'content-type': 'application/json', signature },
        payload: raw,
      })
      .then(answerOf)
  const first = body(35, 1)
  assert.deepEqual(await post(first), { status: 200, outcome: 'credited', body: 'OK' })
  assert.equal((await post(body(40, 2))).outcome, 'credited')
  assert.equal((await post(first)).outcome, 'duplicate')
  assert.equal(await consistentBalance(testDb, user), 75)
  const forged = await post(
    first.replace('"amount":35', '"amount":3500'),
    hmac('sha256', KEY('adgem-json'), first).digest('hex'),
  )
  assert.deepEqual([forged.status, forged.outcome], [403, 'BAD_SIGNATURE'])
  assert.equal(await consistentBalance(testDb, user), 75)
  // A network that reads no field paths still refuses a field holding an object.
  const plain = await app.inject({
    method: 'POST',
    url: `/api/postback?secret=${SECRET}`,
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({ tx_id: { $ne: '' }, offer_id: '1', payout: '1', user_id: user }),
  })
  assert.equal(plain.statusCode, 400)
  assert.equal(plain.body, 'INVALID_BODY: field tx_id must be a string or a number')
})

test('Wannads: two conversions of one click are both credited; each rejection (a new transId, the same uuid) reverses one of them', async () => {
  const user = uniqueTx('wn-user')
  const uuid = uniqueTx('wn-click')
  const printed = (await printedUrl('wannads')).url
  const call = (transId: string, reward: string, status: string) => ({
    url: appendPairs(printed, [
      ['subId', user],
      ['transId', transId],
      ['reward', reward],
      ['payout', '0.30'],
      ['signature', md5(`${user}${transId}${reward}${KEY('wannads')}`)],
      ['status', status],
      ['userIp', '203.0.113.9'],
      ['campaign_id', 'c1'],
      ['uuid', uuid],
    ]),
  })
  const [first, second] = [uniqueTx('wn'), uniqueTx('wn')]
  assert.equal((await send(call(first, '30', '1'))).outcome, 'credited')
  assert.equal((await send(call(second, '70', '1'))).outcome, 'credited')
  assert.equal(await consistentBalance(testDb, user), 100)
  const rejection = call(uniqueTx('wn'), '70', '2')
  assert.deepEqual(await send(rejection), { status: 200, outcome: 'reversed', body: 'OK' })
  assert.equal(await consistentBalance(testDb, user), 30)
  // Wannads retries the same rejection: the conversion it reversed is already reversed.
  assert.equal((await send(rejection)).outcome, 'duplicate')
  assert.equal(await consistentBalance(testDb, user), 30)
  assert.equal((await send(call(uniqueTx('wn'), '30', '2'))).outcome, 'reversed')
  assert.equal(await consistentBalance(testDb, user), 0)
})

test("Kiwiwall: a chargeback under its own trans_id (negative amount) reverses the user's conversion of that offer, once", async () => {
  const user = uniqueTx('kw-user')
  const printed = (await printedUrl('kiwiwall')).url
  const call = (tx: string, offer: string, amount: string, status: string) => ({
    url: fillMacros(
      printed,
      '{x}',
      {
        status,
        trans_id: tx,
        sub_id: user,
        amount,
        gross: '1.50',
        offer_id: offer,
        signature: md5(`${user}:${amount}:${KEY('kiwiwall')}`),
      },
      'unknown macros blanked',
    ),
  })
  const original = uniqueTx('kw')
  assert.equal((await send(call(original, '1042', '150', '1'))).outcome, 'credited')
  assert.equal((await send(call(uniqueTx('kw'), '2077', '40', '1'))).outcome, 'credited')
  assert.equal(await consistentBalance(testDb, user), 190)
  const chargeback = call(uniqueTx('kw'), '1042', '-150', '2')
  assert.deepEqual(await send(chargeback), { status: 200, outcome: 'reversed', body: '1' })
  assert.equal(await consistentBalance(testDb, user), 40)
  assert.equal((await send(chargeback)).outcome, 'duplicate')
  assert.equal(await consistentBalance(testDb, user), 40)
  const { rows } = await testDb.db.pool.query<{ status: string }>(
    'SELECT status FROM conversions WHERE network = $1 AND tx_id = $2',
    ['kiwiwall', original],
  )
  assert.equal(rows[0]?.status, 'reversed')
})

test('ironSource: a negative callback (the advertiser denied) reverses the event it names and is answered <EVENT_ID>:OK', async () => {
  const user = uniqueTx('is-user')
  const eventId = uniqueTx('evt').replace(/-/g, '')
  const printed = (await printedUrl('ironsource')).url
  const call = (rewards: string) => {
    const filled = fillMacros(
      printed,
      '[X]',
      { USER_ID: user, REWARDS: rewards, EVENT_ID: eventId, ITEM_NAME: 'Coins' },
      'unknown macros blanked',
    )
    const timestamp = '202611291030'
    return {
      url: appendPairs(filled, [
        ['timestamp', timestamp],
        ['signature', md5(`${timestamp}${eventId}${user}${rewards}${KEY('ironsource')}`)],
      ]),
    }
  }
  assert.equal((await send(call('10'))).outcome, 'credited')
  assert.equal(await consistentBalance(testDb, user), 10)
  const forged = await send(tampered(call('-10'), 'rewards'))
  assert.deepEqual([forged.status, forged.outcome], [403, 'BAD_SIGNATURE'])
  assert.deepEqual(await send(call('-10')), {
    status: 200,
    outcome: 'reversed',
    body: `${eventId}:OK`,
  })
  assert.equal(await consistentBalance(testDb, user), 0)
})

test('AdGem: an install postback (…&nonpayable_install_goal=true) is logged, not credited, and does not block the paying conversion', async () => {
  const user = uniqueTx('ag-user')
  const tx = uniqueTx('ag')
  const printed = (await printedUrl('adgem')).url
  const call = (amount: string, install: boolean) => {
    let filled = fillMacros(
      printed,
      '{x}',
      {
        player_id: user,
        transaction_id: tx,
        amount,
        payout: '0.00',
        campaign_id: '88',
        goal_id: '',
      },
      'unknown macros blanked',
      rawurlencode,
    )
    if (install) filled = `${filled}&nonpayable_install_goal=true`
    return { url: `${filled}&verifier=${hmac('sha256', KEY('adgem'), filled).digest('hex')}` }
  }
  assert.deepEqual(await send(call('0', true)), { status: 200, outcome: 'test', body: 'OK' })
  assert.equal((await send(call('100', false))).outcome, 'credited')
  assert.equal(await consistentBalance(testDb, user), 100)
})
