import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { buildProfile, defaultProfile } from '../../src/networks/profile.js'
import { NetworkRegistry } from '../../src/networks/registry.js'
import { ADMIN_TOKEN, adminHeaders, SECRET } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase, testConfig } from '../helpers/database.js'
import { silentLogger } from '../helpers/logging.js'

let testDb: TestDatabase
let app: FastifyInstance
before(async () => {
  testDb = await createTestDatabase()
  const config = testConfig({
    ...testDb.env,
    POSTBACK_SECRET: SECRET,
    ADMIN_TOKEN,
    PUBLIC_URL: 'https://pb.example.com',
  })
  const networks = new NetworkRegistry([
    defaultProfile(config, [SECRET]),
    buildProfile('kiwiwall', { preset: 'kiwiwall', secrets: ['kiwi-secret-1'] }, config),
    buildProfile('bitlabs', { preset: 'bitlabs', secrets: ['bitlabs-secret'] }, config),
    buildProfile('tapjoy', { preset: 'tapjoy', secrets: ['tapjoy-secret'] }, config),
    buildProfile(
      'tapjoy-own',
      { preset: 'tapjoy', secrets: ['tapjoy-secret'], params: { offer_id: 'offer' } },
      config,
    ),
    buildProfile(
      'kiwi-renamed',
      { preset: 'kiwiwall', secrets: ['kiwi-secret-2'], params: { user_id: 'sub' } },
      config,
    ),
    buildProfile(
      'cake',
      {
        secrets: ['cake-token-123456'],
        signature: { kind: 'static_token', param: 'token' },
        params: { tx_id: 'leadid', payout: 'price', user_id: 's1' },
        macroStyle: '#x#',
      },
      config,
    ),
    buildProfile(
      'mycpa',
      {
        secrets: ['my-cpa-token-1234'],
        signature: { kind: 'static_token', param: 'token' },
        params: { tx_id: 'txid', user_id: 'aff_sub' },
      },
      config,
    ),
  ])
  app = await buildApp(config, { db: testDb.db, logger: silentLogger(), networks })
})
after(async () => {
  await app.close()
  await testDb.drop()
})

async function urlFor(network: string, query = '') {
  const response = await app.inject({
    url: `/admin/networks/${network}/postback-url${query}`,
    headers: adminHeaders,
  })
  return { status: response.statusCode, body: response.json() }
}

test("a preset network's URL is its network's own query, with where to paste it", async () => {
  const kiwiwall = await urlFor('kiwiwall')
  assert.equal(kiwiwall.status, 200)
  assert.equal(
    kiwiwall.body.url,
    'https://pb.example.com/api/postback/kiwiwall?status={status}&trans_id={trans_id}&sub_id={sub_id}&amount={amount}&gross={gross}&offer_id={offer_id}&signature={signature}',
  )
  assert.match(kiwiwall.body.notes.join('\n'), /kiwiwall\.com\/postback-documentation/)
  const bitlabs = await urlFor('bitlabs')
  assert.equal(
    bitlabs.body.url,
    'https://pb.example.com/api/postback/bitlabs?uid=[%UID%]&tx=[%TX%]&val=[%VAL%]&raw=[%RAW%]&type=[%TYPE%]&ref=[%REF%]',
  )
  assert.match(bitlabs.body.notes.join('\n'), /appends hash/)
  // Networks that append their own parameters get a bare URL.
  assert.equal((await urlFor('tapjoy')).body.url, 'https://pb.example.com/api/postback/tapjoy')
  // Overriding a preset's params keeps the network's URL: still bare for Tapjoy.
  assert.equal(
    (await urlFor('tapjoy-own')).body.url,
    'https://pb.example.com/api/postback/tapjoy-own',
  )
  // A profile that renames a preset's parameter: its own name, the network's macro.
  assert.equal(
    (await urlFor('kiwi-renamed')).body.url,
    'https://pb.example.com/api/postback/kiwi-renamed?status={status}&trans_id={trans_id}&sub={sub_id}&amount={amount}&gross={gross}&offer_id={offer_id}&signature={signature}',
  )
})

test('a static-token network gets its token first in the URL; the default network its secret', async () => {
  assert.equal(
    (await urlFor('mycpa')).body.url,
    'https://pb.example.com/api/postback/mycpa?token=my-cpa-token-1234&txid={txid}&offer_id={offer_id}&payout={payout}&aff_sub={aff_sub}&status={status}',
  )
  assert.equal(
    (await urlFor('default', '?base=http://10.0.0.5:3000')).body.url,
    `http://10.0.0.5:3000/api/postback?secret=${SECRET}&tx_id={tx_id}&offer_id={offer_id}&payout={payout}&user_id={user_id}&status={status}`,
  )
})

test('a #macro# the network leaves in the URL cuts it after the token, never before', async () => {
  const printed = (await urlFor('cake')).body.url as string
  assert.equal(
    printed,
    'https://pb.example.com/api/postback/cake?token=cake-token-123456&leadid=#leadid#&offer_id=#offer_id#&price=#price#&s1=#s1#&status=#status#',
  )
  // CAKE fills the tokens it has; #status# is none of them, and "#" starts a fragment there.
  const sent = printed
    .replace('#leadid#', 'L-1')
    .replace('#offer_id#', '7')
    .replace('#price#', '1.50')
    .replace('#s1#', 'cake-user')
  const path = sent.slice('https://pb.example.com'.length).split('#')[0] as string
  const response = await app.inject({ url: path })
  // The token arrived: the call is credited rather than refused for a missing secret.
  assert.equal(response.statusCode, 200, response.body)
  assert.equal(response.headers['x-postback-outcome'], 'credited')
})

test('an unknown network is a 404; a bad base URL a 400; the admin token is required', async () => {
  assert.equal((await urlFor('nope')).body.code, 'UNKNOWN_NETWORK')
  assert.equal((await urlFor('kiwiwall', '?base=javascript:alert(1)')).status, 400)
  const anonymous = await app.inject('/admin/networks/kiwiwall/postback-url')
  assert.equal(anonymous.statusCode, 401)
  const list = await app.inject({ url: '/admin/networks', headers: adminHeaders })
  assert.deepEqual(
    list.json().items.map((n: { name: string; preset: string | null }) => [n.name, n.preset]),
    [
      ['bitlabs', 'bitlabs'],
      ['cake', null],
      ['default', null],
      ['kiwi-renamed', 'kiwiwall'],
      ['kiwiwall', 'kiwiwall'],
      ['mycpa', null],
      ['tapjoy', 'tapjoy'],
      ['tapjoy-own', 'tapjoy'],
    ],
  )
})
