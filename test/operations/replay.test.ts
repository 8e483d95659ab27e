import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance, InjectOptions } from 'fastify'
import { DeliveryRules, parseDeliveryRules } from '../../src/delivery/rules.js'
import { buildProfile, defaultProfile } from '../../src/networks/profile.js'
import { NetworkRegistry } from '../../src/networks/registry.js'
import { ADMIN_TOKEN, buildAppOn, consistentBalance, SECRET, uniqueTx } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase, testConfig } from '../helpers/database.js'

// Replay trusts a stored request only if its caller was verified when it arrived. Every kind
// of refusal that comes before verification is stored with caller_verified = false, and the
// dashboard's Replay (the same replayOne as the CLI) leaves it alone unless the operator
// ticks "the network really sent it". A request refused after verification (a missing field)
// replays by default, and a replay that credits queues its deliveries like a live postback.

const IPNET_SECRET = 'ipnet-secret-0123456789'
const NEWNET_SECRET = 'newnet-secret-0123456789'
const KIWI_SECRET = 'kiwi-secret-0123456789'
const config = testConfig({ POSTBACK_SECRET: SECRET, ADMIN_TOKEN })
const profiles = (fixed: boolean) => [
  defaultProfile(config, [SECRET]),
  buildProfile('ipnet', { secrets: [IPNET_SECRET], allowedIps: ['10.0.0.1'] }, config),
  // No secret at all, only a source address: a stored copy can be re-verified.
  buildProfile(
    'open',
    { signature: { kind: 'none' }, allowedIps: fixed ? ['10.0.0.9', '10.0.0.7'] : ['10.0.0.9'] },
    config,
  ),
  // The network first names its transaction id `txn`; the fix adds the alias `tid`.
  buildProfile(
    'aliasnet',
    { secrets: [SECRET], params: { tx_id: fixed ? ['txn', 'tid'] : ['txn'] } },
    config,
  ),
  // Signed as Kiwiwall signs (md5 of sub_id:amount:secret).
  buildProfile('kiwi', { preset: 'kiwiwall', secrets: [KIWI_SECRET] }, config),
  // Reverses under a new transaction id, linked to the original by click id (as Wannads does).
  buildProfile(
    'linknet',
    {
      secrets: [SECRET],
      reversalLink: 'click_id',
      params: { tx_id: fixed ? ['txn', 'tid'] : ['txn'] },
    },
    config,
  ),
  ...(fixed ? [buildProfile('newnet', { secrets: [NEWNET_SECRET] }, config)] : []),
]
const RULES = parseDeliveryRules(
  { rules: [{ name: 'to-app', on: ['credited'], url: 'https://app.example/credit?tx={tx_id}' }] },
  5,
)

describe('replay only trusts requests whose caller was verified', () => {
  let testDb: TestDatabase
  let app: FastifyInstance
  let cookie = ''
  let csrf = ''
  let wakes = 0
  const networks = new NetworkRegistry(profiles(false))

  before(async () => {
    testDb = await createTestDatabase()
    app = await buildAppOn(testDb, {}, undefined, {
      networks,
      deliveries: {
        rules: new DeliveryRules(RULES),
        wake: () => {
          wakes += 1
        },
      },
    })
    const signIn = await app.inject({
      method: 'POST',
      url: '/dashboard/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: ADMIN_TOKEN, next: '/dashboard' }).toString(),
    })
    cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? ''
    const page = await app.inject({ url: '/dashboard/networks', headers: { cookie } })
    csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
    assert.ok(csrf, 'signed in to the dashboard')
  })
  after(async () => {
    await app?.close()
    await testDb?.drop()
  })

  const fields = (user: string, extra: Record<string, string> = {}) =>
    new URLSearchParams({
      tx_id: uniqueTx(),
      offer_id: 'o',
      payout: '2.50',
      user_id: user,
      ...extra,
    }).toString()

  /** Sends a request, checks its refusal, returns the stored row. */
  async function refused(request: InjectOptions, status: number, code: string) {
    const response = await app.inject(request)
    assert.equal(response.statusCode, status, response.body)
    assert.equal(response.headers['x-postback-outcome'], code)
    const { rows } = await testDb.db.pool.query<{
      id: string
      outcome: string
      caller_verified: boolean
    }>('SELECT id, outcome, caller_verified FROM postback_log ORDER BY id DESC LIMIT 1')
    const row = rows[0]
    assert.equal(row?.outcome, code)
    return { id: row?.id ?? '', callerVerified: row?.caller_verified }
  }

  /** The dashboard's Replay button, with or without the "really sent it" tick. */
  async function replay(id: string, vouch: boolean) {
    const response = await app.inject({
      method: 'POST',
      url: `/dashboard/postbacks/${id}/replay`,
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        _csrf: csrf,
        ...(vouch ? { include_unauthorized: '1' } : {}),
      }).toString(),
    })
    assert.equal(response.statusCode, 303, response.body)
    return String(response.headers.location)
  }

  async function replayRow(id: string) {
    const { rows } = await testDb.db.pool.query<{
      outcome: string
      caller_verified: boolean
      replayed_by: string
      conversion_id: string | null
    }>(
      'SELECT outcome, caller_verified, replayed_by, conversion_id FROM postback_log WHERE replay_of = $1',
      [id],
    )
    return rows
  }

  // Each carries the right secret where one fits, so only the missing verification stops it.
  const refusals = [
    {
      kind: '415 wrong content type',
      user: uniqueTx('u415'),
      send: (user: string) => ({
        request: {
          method: 'POST' as const,
          url: `/api/postback?${fields(user, { secret: SECRET })}`,
          headers: { 'content-type': 'text/plain' },
          payload: 'hello',
        },
        status: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
      }),
    },
    {
      kind: '413 body too large',
      user: uniqueTx('u413'),
      send: (user: string) => ({
        request: {
          method: 'POST' as const,
          url: `/api/postback?${fields(user, { secret: SECRET })}`,
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          payload: `pad=${'x'.repeat(9000)}`,
        },
        status: 413,
        code: 'BODY_TOO_LARGE',
      }),
    },
    {
      kind: '404 unknown network',
      user: uniqueTx('u404'),
      send: (user: string) => ({
        request: { url: `/api/postback/newnet?${fields(user, { secret: NEWNET_SECRET })}` },
        status: 404,
        code: 'UNKNOWN_NETWORK',
      }),
    },
    {
      kind: '400 invalid body',
      user: uniqueTx('ubody'),
      send: (user: string) => ({
        request: {
          method: 'POST' as const,
          url: `/api/postback?${fields(user, { secret: SECRET })}`,
          headers: { 'content-type': 'application/json' },
          payload: '{"not json',
        },
        status: 400,
        code: 'INVALID_BODY',
      }),
    },
    {
      kind: '403 bad secret',
      user: uniqueTx('usecret'),
      send: (user: string) => ({
        request: { url: `/api/postback?${fields(user, { secret: 'not-the-secret-000' })}` },
        status: 403,
        code: 'BAD_SECRET',
      }),
    },
    {
      kind: '403 no secret',
      user: uniqueTx('unosecret'),
      send: (user: string) => ({
        request: { url: `/api/postback?${fields(user)}` },
        status: 403,
        code: 'BAD_SECRET',
      }),
    },
    {
      kind: '403 bad signature',
      user: uniqueTx('usig'),
      send: (user: string) => ({
        request: {
          url: `/api/postback/kiwi?trans_id=${uniqueTx()}&offer_id=o&sub_id=${user}&amount=250&status=1&signature=0123456789abcdef0123456789abcdef`,
        },
        status: 403,
        code: 'BAD_SIGNATURE',
      }),
    },
    {
      kind: '403 disallowed source address',
      user: uniqueTx('uip'),
      send: (user: string) => ({
        request: {
          url: `/api/postback/ipnet?${fields(user, { secret: IPNET_SECRET })}`,
          remoteAddress: '10.6.6.6',
        },
        status: 403,
        code: 'IP_NOT_ALLOWED',
      }),
    },
  ]

  for (const refusal of refusals) {
    test(`${refusal.kind}: stored unverified; not replayed by default, replayed when vouched for`, async () => {
      const { request, status, code } = refusal.send(refusal.user)
      const stored = await refused(request, status, code)
      assert.equal(stored.callerVerified, false, 'refused before verification')
      networks.replace(profiles(true)) // the operator's fix (a network added), as SIGHUP does

      const plain = await replay(stored.id, false)
      assert.equal(plain, `/dashboard/postbacks/${stored.id}?notice=replay-unauthorized`)
      assert.equal(await consistentBalance(testDb, refusal.user), 0)
      assert.deepEqual(await replayRow(stored.id), [], 'nothing was written')
      const shown = await app.inject({ url: plain, headers: { cookie } })
      assert.match(shown.body, /its caller was never verified/)
      assert.match(shown.body, /Caller not verified\.<\/strong> This request was refused/)
      assert.match(shown.body, /name="include_unauthorized" value="1" required/)

      const vouched = await replay(stored.id, true)
      assert.match(vouched, /^\/dashboard\/postbacks\/\d+\?notice=replayed$/)
      assert.equal(await consistentBalance(testDb, refusal.user), 250)
      const [row] = await replayRow(stored.id)
      assert.equal(row?.outcome, 'credited')
      assert.equal(row?.caller_verified, false, 'a vouched-for replay stays unverified')
      assert.match(row?.replayed_by ?? '', /^dashboard from /)
      networks.replace(profiles(false))
    })
  }

  test('an ambiguous network name is refused before verification, so stored unverified', async () => {
    const stored = await refused(
      { url: `/api/postback?${fields('u', { secret: SECRET })}&network=a&network=b` },
      400,
      'AMBIGUOUS_PARAM',
    )
    assert.equal(stored.callerVerified, false)
  })

  test('a verified postback refused for a missing field replays by default and queues its delivery', async () => {
    const user = uniqueTx('ualias')
    const tx = uniqueTx('alias')
    const stored = await refused(
      {
        url: `/api/postback/aliasnet?tid=${tx}&offer_id=o&payout=2.50&user_id=${user}&secret=${SECRET}`,
      },
      400,
      'MISSING_FIELD',
    )
    assert.equal(stored.callerVerified, true, 'refused after its secret checked out')
    const page = await app.inject({ url: `/dashboard/postbacks/${stored.id}`, headers: { cookie } })
    assert.doesNotMatch(page.body, /Caller not verified/)
    assert.match(page.body, /caller verified/)
    networks.replace(profiles(true))
    const wakesBefore = wakes

    const location = await replay(stored.id, false)
    assert.match(location, /notice=replayed$/)
    assert.equal(await consistentBalance(testDb, user), 250)
    const [row] = await replayRow(stored.id)
    assert.deepEqual(
      { outcome: row?.outcome, verified: row?.caller_verified },
      { outcome: 'credited', verified: true },
    )
    const { rows } = await testDb.db.pool.query(
      `SELECT rule, event, state, data->>'tx_id' AS tx FROM deliveries WHERE conversion_id = $1`,
      [row?.conversion_id],
    )
    assert.deepEqual(rows, [{ rule: 'to-app', event: 'credited', state: 'pending', tx }])
    assert.equal(wakes, wakesBefore + 1, 'the worker was woken, as after a live postback')
    networks.replace(profiles(false))
  })

  test('a replayed reversal finds the conversion it reverses, as the live route does', async () => {
    const user = uniqueTx('ulink')
    const click = uniqueTx('click')
    const credit = await app.inject(
      `/api/postback/linknet?txn=${uniqueTx()}&offer_id=o&payout=2.50&user_id=${user}&click_id=${click}&secret=${SECRET}`,
    )
    assert.equal(credit.headers['x-postback-outcome'], 'credited')
    // The reversal comes under its own id, in a parameter the profile does not know yet.
    const stored = await refused(
      {
        url: `/api/postback/linknet?tid=${uniqueTx()}&offer_id=o&payout=2.50&user_id=${user}&click_id=${click}&status=reversed&secret=${SECRET}`,
      },
      400,
      'MISSING_FIELD',
    )
    networks.replace(profiles(true))
    assert.match(await replay(stored.id, false), /notice=replayed$/)
    const [row] = await replayRow(stored.id)
    assert.equal(row?.outcome, 'reversed')
    assert.equal(await consistentBalance(testDb, user), 0, 'the credit was taken back')
    networks.replace(profiles(false))
  })

  test('a request the profile can re-verify from the stored copy replays without vouching', async () => {
    const user = uniqueTx('uopen')
    const stored = await refused(
      { url: `/api/postback/open?${fields(user)}`, remoteAddress: '10.0.0.7' },
      403,
      'IP_NOT_ALLOWED',
    )
    assert.equal(stored.callerVerified, false)
    // Still not allowed: re-verification fails, so nothing happens without the tick.
    assert.match(await replay(stored.id, false), /notice=replay-unauthorized$/)
    assert.equal(await consistentBalance(testDb, user), 0)

    networks.replace(profiles(true)) // 10.0.0.7 added to the network's allowed addresses
    assert.match(await replay(stored.id, false), /notice=replayed$/)
    assert.equal(await consistentBalance(testDb, user), 250)
    const [row] = await replayRow(stored.id)
    assert.equal(row?.caller_verified, true, 're-verified against today’s profile')
    networks.replace(profiles(false))
  })

  test('the admin API shows whether each logged caller was verified', async () => {
    const live = await app.inject(`/api/postback?${fields(uniqueTx('ulive'), { secret: SECRET })}`)
    assert.equal(live.headers['x-postback-outcome'], 'credited')
    const list = async (outcome: string) => {
      const response = await app.inject({
        url: `/admin/postbacks?outcome=${outcome}&limit=1`,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      })
      return response.json().items as { callerVerified: boolean; replayOf?: string }[]
    }
    assert.deepEqual(
      (await list('BAD_SECRET')).map((item) => item.callerVerified),
      [false],
    )
    assert.deepEqual(
      (await list('credited')).map((item) => item.callerVerified),
      [true],
    )
  })
})
