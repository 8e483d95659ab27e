import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { buildProfile, defaultProfile } from '../../src/networks/profile.js'
import { NetworkRegistry } from '../../src/networks/registry.js'
import { answerOf, consistentBalance, SECRET, uniqueTx } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase, testConfig } from '../helpers/database.js'
import { silentLogger } from '../helpers/logging.js'

// Each preset end to end over HTTP: a callback signed as the network documents it is applied,
// its tampered twin is refused with 403 and changes nothing.
const PUBLIC_URL = 'https://postbacks.example.com'
const KEYS = {
  tapjoy: 'tapjoy-secret-key',
  bitlabs: 'bitlabs-app-secret',
  ayet: 'ayet-publisher-api-key',
  kiwiwall: 'kiwiwall-secret',
}

let testDb: TestDatabase
let app: FastifyInstance
before(async () => {
  testDb = await createTestDatabase()
  const config = testConfig({ ...testDb.env, POSTBACK_SECRET: SECRET, PUBLIC_URL })
  const profiles = [
    defaultProfile(config, [SECRET]),
    buildProfile('tapjoy', { preset: 'tapjoy', secrets: [KEYS.tapjoy] }, config),
    buildProfile('bitlabs', { preset: 'bitlabs', secrets: [KEYS.bitlabs] }, config),
    buildProfile('ayet', { preset: 'ayetstudios', secrets: [KEYS.ayet] }, config),
    buildProfile('kiwiwall', { preset: 'kiwiwall', secrets: [KEYS.kiwiwall] }, config),
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

const md5 = (text: string) => createHash('md5').update(text).digest('hex')
const hmac = (alg: string, key: string, text: string) =>
  createHmac(alg, key).update(text).digest('hex')

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await app.inject({ url, headers })
  return answerOf(response)
}

const balance = (user: string) => consistentBalance(testDb, user)

test('Tapjoy: a callback with its md5 verifier credits the currency amount; a tampered one gets 403', async () => {
  const user = uniqueTx('tj-user')
  const id = uniqueTx('tj')
  const verifier = md5(`${id}:${user}:50:${KEYS.tapjoy}`)
  assert.deepEqual(
    await get(`/api/postback/tapjoy?id=${id}&snuid=${user}&currency=50&verifier=${verifier}`),
    {
      status: 200,
      outcome: 'credited',
      body: 'OK',
    },
  )
  assert.equal(await balance(user), 50)
  const tampered = await get(
    `/api/postback/tapjoy?id=${uniqueTx('tj')}&snuid=${user}&currency=5000&verifier=${verifier}`,
  )
  assert.equal(tampered.status, 403)
  assert.equal(tampered.outcome, 'BAD_SIGNATURE')
  assert.equal(
    (await get(`/api/postback/tapjoy?id=${id}&snuid=${user}&currency=50&verifier=${verifier}`))
      .outcome,
    'duplicate',
  )
  // Tapjoy stops retrying on 403, so every refusal for it is a 403, even a malformed one.
  const malformed = await get(
    `/api/postback/tapjoy?id=${uniqueTx('tj')}&snuid=${user}&verifier=${verifier}`,
  )
  assert.deepEqual([malformed.status, malformed.outcome], [403, 'BAD_SIGNATURE'])
  assert.equal(await balance(user), 50)
})

test('BitLabs: a callback hashed over the URL as received credits VAL; tampering, reconciliation and tests behave', async () => {
  const user = uniqueTx('bl-user')
  const tx = uniqueTx('bl')
  const signed = (path: string) =>
    `${path}&hash=${hmac('sha1', KEYS.bitlabs, `${PUBLIC_URL}${path}`)}`
  const complete = `/api/postback/bitlabs?uid=${user}&val=500&raw=0.50&tx=${tx}&type=COMPLETE`
  assert.equal((await get(signed(complete))).outcome, 'credited')
  assert.equal(await balance(user), 500)

  const tampered = signed(complete).replace('val=500', 'val=5000').replace(tx, uniqueTx('bl'))
  assert.deepEqual(
    [(await get(tampered)).status, (await get(tampered)).outcome],
    [403, 'BAD_SIGNATURE'],
  )
  const reconciliation = `/api/postback/bitlabs?uid=${user}&val=500&raw=0.50&tx=${uniqueTx('bl')}&ref=${tx}&type=RECONCILIATION`
  const reversed = await get(signed(reconciliation))
  assert.equal(reversed.outcome, 'reversed')
  assert.equal(await balance(user), 0)

  const tester = `/api/postback/bitlabs?uid=${user}&val=500&tx=${uniqueTx('bl')}&type=COMPLETE&debug=true`
  assert.equal((await get(signed(tester))).outcome, 'test')
  assert.equal(await balance(user), 0)
})

test('ayeT: the HMAC header over the sorted query credits; an r- chargeback with a negative amount reverses it', async () => {
  const user = uniqueTx('ayet-user')
  const tx = uniqueTx('ayet')
  const call = (query: Record<string, string>) => {
    const sorted = Object.keys(query)
      .sort()
      .map((k) => `${k}=${encodeURIComponent(query[k] ?? '')}`)
      .join('&')
    return get(`/api/postback/ayet?${new URLSearchParams(query)}`, {
      'x-ayetstudios-security-hash': hmac('sha256', KEYS.ayet, sorted),
    })
  }
  const conversion = {
    transaction_id: tx,
    external_identifier: user,
    currency_amount: '360',
    payout_usd: '0.36',
    is_chargeback: '0',
  }
  assert.equal((await call(conversion)).outcome, 'credited')
  assert.equal(await balance(user), 360)

  const forged = await get(
    `/api/postback/ayet?${new URLSearchParams({ ...conversion, transaction_id: uniqueTx('ayet') })}`,
    {
      'x-ayetstudios-security-hash': hmac('sha256', 'not-the-key', 'x'),
    },
  )
  assert.deepEqual([forged.status, forged.outcome], [403, 'BAD_SIGNATURE'])

  const chargeback = {
    ...conversion,
    transaction_id: `r-${tx}`,
    currency_amount: '-360',
    payout_usd: '-0.36',
    is_chargeback: '1',
  }
  assert.equal((await call(chargeback)).outcome, 'reversed')
  assert.equal((await call(chargeback)).outcome, 'duplicate')
  assert.equal(await balance(user), 0)
})

test('Kiwiwall: md5 of sub_id:amount:secret credits and answers 1; the negative-amount chargeback reverses; tampered gets 0', async () => {
  const user = uniqueTx('kw-user')
  const tx = uniqueTx('kw')
  const call = (amount: string, status: string, signature?: string) =>
    get(
      `/api/postback/kiwiwall?trans_id=${tx}&sub_id=${user}&amount=${amount}&gross=1.50&offer_id=9&status=${status}&signature=${
        signature ?? md5(`${user}:${amount}:${KEYS.kiwiwall}`)
      }`,
    )
  assert.deepEqual(await call('150', '1'), { status: 200, outcome: 'credited', body: '1' })
  assert.equal(await balance(user), 150)
  const tampered = await call('-150', '2', md5(`${user}:150:${KEYS.kiwiwall}`))
  assert.deepEqual(tampered, { status: 403, outcome: 'BAD_SIGNATURE', body: '0' })
  assert.equal(await balance(user), 150)
  assert.deepEqual(await call('-150', '2'), { status: 200, outcome: 'reversed', body: '1' })
  assert.equal(await balance(user), 0)
})

test("a preset network does not accept the default network's secret, nor its parameter names", async () => {
  const url = `/api/postback/kiwiwall?tx_id=${uniqueTx()}&offer_id=1&payout=1&user_id=x&secret=${SECRET}`
  const answer = await get(url)
  assert.equal(answer.status, 403)
  assert.equal(answer.outcome, 'BAD_SIGNATURE')
})
