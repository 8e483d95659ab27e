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

test("a network's postback URL uses its parameter names and its macro syntax", async () => {
  assert.deepEqual(await urlFor('kiwiwall'), {
    status: 200,
    body: {
      network: 'kiwiwall',
      url: 'https://pb.example.com/api/postback/kiwiwall?trans_id={trans_id}&offer_id={offer_id}&gross={gross}&amount={amount}&sub_id={sub_id}&status={status}&signature={signature}',
      notes: [],
    },
  })
  const bitlabs = await urlFor('bitlabs')
  assert.equal(
    bitlabs.body.url,
    'https://pb.example.com/api/postback/bitlabs?tx=[%TX%]&offer_id=[%OFFER_ID%]&raw=[%RAW%]&val=[%VAL%]&uid=[%UID%]&type=[%TYPE%]&ref=[%REF%]',
  )
  assert.match(bitlabs.body.notes.join('\n'), /appends hash/)
})

test('a static-token network gets its token in the URL; the default network its secret', async () => {
  assert.equal(
    (await urlFor('mycpa')).body.url,
    'https://pb.example.com/api/postback/mycpa?txid={txid}&offer_id={offer_id}&payout={payout}&aff_sub={aff_sub}&status={status}&token=my-cpa-token-1234',
  )
  assert.equal(
    (await urlFor('default', '?base=http://10.0.0.5:3000')).body.url,
    `http://10.0.0.5:3000/api/postback?tx_id={tx_id}&offer_id={offer_id}&payout={payout}&user_id={user_id}&status={status}&secret=${SECRET}`,
  )
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
      ['default', null],
      ['kiwiwall', 'kiwiwall'],
      ['mycpa', null],
    ],
  )
})
