import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { explainOutcome } from '../../src/dashboard/explain.js'
import { buildProfile, defaultProfile } from '../../src/networks/profile.js'
import { NetworkRegistry } from '../../src/networks/registry.js'
import { SECRET, uniqueTx } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase, testConfig } from '../helpers/database.js'
import { silentLogger } from '../helpers/logging.js'

// A refused signature explains itself when the request shows why: macros the network left
// as-is, or parameters that arrived twice because the network appends its own to the pasted
// URL. The operator is told to paste the printed URL, not to check the secret.

const TAPJOY_KEY = 'tapjoy-secret-key'
const POLLFISH_KEY = 'pollfish-secret-key'

let testDb: TestDatabase
let app: FastifyInstance
before(async () => {
  testDb = await createTestDatabase()
  const config = testConfig({ ...testDb.env, POSTBACK_SECRET: SECRET })
  app = await buildApp(config, {
    db: testDb.db,
    logger: silentLogger(),
    networks: new NetworkRegistry([
      defaultProfile(config, [SECRET]),
      buildProfile('tapjoy', { preset: 'tapjoy', secrets: [TAPJOY_KEY] }, config),
      buildProfile('pollfish', { preset: 'pollfish', secrets: [POLLFISH_KEY] }, config),
    ]),
  })
})
after(async () => {
  await app.close()
  await testDb.drop()
})

async function send(url: string) {
  const response = await app.inject({ url, headers: { accept: 'application/json' } })
  return { status: response.statusCode, body: response.json() as { code: string; message: string } }
}

async function storedMessage(txId: string): Promise<string | null> {
  const { rows } = await testDb.db.pool.query<{ message: string | null }>(
    'SELECT message FROM postback_log WHERE tx_id = $1 ORDER BY id DESC LIMIT 1',
    [txId],
  )
  return rows[0]?.message ?? null
}

const md5 = (text: string) => createHash('md5').update(text).digest('hex')

test('when Tapjoy appends its parameters to a pasted URL full of macros, the refusal says to paste the printed URL', async () => {
  const tx = uniqueTx('tj')
  // The panel holds a URL with {id}-style macros; Tapjoy has none, so it leaves them and
  // appends its own snuid, currency, mac_address, id and verifier (Tapjoy's documented call).
  const pasted = '/api/postback/tapjoy?id={id}&snuid={snuid}&currency={currency}'
  const verifier = md5(`${tx}:user42:50:${TAPJOY_KEY}`)
  const url = `${pasted}&snuid=user42&currency=50&mac_address=&id=${tx}&verifier=${verifier}`
  const answer = await send(url)
  assert.equal(answer.status, 403)
  assert.equal(answer.body.code, 'BAD_SIGNATURE')
  assert.match(answer.body.message, /still has macros the network did not fill \(id=\{id\}/)
  assert.match(answer.body.message, /arrived twice \(id, snuid, currency\)/)
  assert.match(answer.body.message, /paste the URL that `npm run cli -- url tapjoy` prints/)
  assert.ok(!answer.body.message.includes(TAPJOY_KEY))
  const { rows } = await testDb.db.pool.query<{ message: string }>(
    `SELECT message FROM postback_log WHERE network = 'tapjoy' AND query LIKE $1`,
    [`%${tx}%`],
  )
  assert.equal(rows.length, 1)
  assert.equal(rows[0]?.message, answer.body.message)
})

test('when a network that signs every parameter gets a URL with a macro it does not have, the refusal names the macro', async () => {
  const tx = uniqueTx('pf')
  // Pollfish leaves unknown macros as-is and signs only its own placeholders (sorted by name).
  const values = {
    cpa: '30',
    request_uuid: 'user42',
    reward_value: '120',
    timestamp: '1463152452308',
    tx_id: tx,
  }
  const message = Object.keys(values)
    .sort()
    .map((name) => values[name as keyof typeof values])
    .join(':')
  const signature = createHmac('sha1', POLLFISH_KEY).update(message).digest('base64')
  const query = new URLSearchParams({ ...values, offer_id: '[[offer_id]]', signature })
  const answer = await send(`/api/postback/pollfish?${query}`)
  assert.equal(answer.status, 403)
  assert.equal(answer.body.code, 'BAD_SIGNATURE')
  assert.match(
    answer.body.message,
    /still has macros the network did not fill \(offer_id=\[\[offer_id\]\]\)/,
  )
  assert.doesNotMatch(answer.body.message, /twice/)
  assert.match(answer.body.message, /`npm run cli -- url pollfish`/)
  assert.equal(await storedMessage(tx), answer.body.message)

  // The same callback without the stray macro is the vendor's own: accepted.
  const clean = new URLSearchParams({ ...values, signature })
  assert.equal((await send(`/api/postback/pollfish?${clean}`)).status, 200)
})

test('when a parameter arrives twice and the secret does not match, BAD_SECRET says which parameter repeats', async () => {
  const tx = uniqueTx('dup')
  const fields = `tx_id=${tx}&offer_id=7&payout=1.00&user_id=u1&secret=not-the-secret-at-all`
  const answer = await send(`/api/postback?${fields}&tx_id=${tx}`)
  assert.equal(answer.status, 403)
  assert.equal(answer.body.code, 'BAD_SECRET')
  assert.match(answer.body.message, /^the secret does not match any active secret; /)
  assert.match(answer.body.message, /arrived twice \(tx_id\)/)
  assert.doesNotMatch(answer.body.message, /macros/)
  assert.match(answer.body.message, /`npm run cli -- url default`/)
  assert.equal(await storedMessage(tx), answer.body.message)
})

test('when a macro stands in for the secret itself, BAD_SECRET names it', async () => {
  const tx = uniqueTx('mac')
  const answer = await send(`/api/postback?tx_id=${tx}&offer_id=7&payout=1.00&secret={secret}`)
  assert.equal(answer.body.code, 'BAD_SECRET')
  assert.match(
    answer.body.message,
    /still has macros the network did not fill \(secret=\{secret\}\)/,
  )
})

test('a plain wrong secret or signature keeps its plain message', async () => {
  const tx = uniqueTx('plain')
  const wrong = await send(
    `/api/postback?tx_id=${tx}&offer_id=7&payout=1.00&secret=wrong-secret-123`,
  )
  assert.deepEqual(wrong.body.message, 'the secret does not match any active secret')
  const forged = await send(
    `/api/postback/tapjoy?id=${tx}&snuid=user42&currency=50&verifier=${md5('forged')}`,
  )
  assert.equal(forged.body.code, 'BAD_SIGNATURE')
  assert.equal(
    forged.body.message,
    'the signature parameter verifier does not match (network tapjoy, digest_template)',
  )
})

test('a correctly signed request with a leftover macro is still refused as UNREPLACED_MACRO', async () => {
  const tx = uniqueTx('ok')
  const answer = await send(
    `/api/postback?tx_id=${tx}&offer_id=7&payout=1.00&user_id={user_id}&secret=${SECRET}`,
  )
  assert.equal(answer.status, 400)
  assert.equal(answer.body.code, 'UNREPLACED_MACRO')
})

test("the dashboard's explanation of such a refusal says to paste the printed URL, not to check the secret", async () => {
  const tx = uniqueTx('ex')
  const verifier = md5(`${tx}:user42:50:${TAPJOY_KEY}`)
  await send(
    `/api/postback/tapjoy?snuid={snuid}&snuid=user42&currency=50&id=${tx}&verifier=${verifier}`,
  )
  await send(`/api/postback?tx_id=${tx}&offer_id=7&payout=1.00&secret=wrong-secret-123`)
  const { rows } = await testDb.db.pool.query<{
    outcome: string
    network: string
    message: string
    status_code: number
    query: string
    body: string | null
  }>(
    'SELECT outcome, network, message, status_code, query, body FROM postback_log WHERE query LIKE $1 ORDER BY id',
    [`%${tx}%`],
  )
  const [pasted, plain] = rows.map((row) => explainOutcome({ ...row, statusCode: row.status_code }))
  assert.match(
    pasted?.summary ?? '',
    /the URL in network tapjoy's panel is not the one printed for it/,
  )
  assert.match(pasted?.fix ?? '', /^Paste the URL that `npm run cli -- url tapjoy` prints/)
  assert.match(
    plain?.summary ?? '',
    /the secret did not match any active secret for network default/,
  )
  assert.doesNotMatch(plain?.fix ?? '', /Paste the URL that/)
})
