import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance, InjectOptions } from 'fastify'
import type { Config } from '../../src/config.js'
import { buildProfile, defaultProfile } from '../../src/networks/profile.js'
import type { Diagnosis } from '../../src/operations/doctor/diagnose.js'
import { runDoctor } from '../../src/operations/doctor/run.js'
import {
  ADMIN_TOKEN,
  adminHeaders,
  buildAppOn,
  postbackUrl,
  SECRET,
  uniqueTx,
} from '../helpers/app.js'
import { CLI_SKIP, runCli } from '../helpers/cli.js'
import { createTestDatabase, type TestDatabase, testConfig } from '../helpers/database.js'

// `doctor <network>`: the log rows are made by sending real (bad) postbacks through the app,
// signed by the vendors' formulas written here; the diagnosis is then read in-process, through
// the admin API, the dashboard and, once, the CLI's exit code.

const PUBLIC_URL = 'https://pb.example.com'
const KIWI_KEY = 'kiwiwall-secret-key-1'
const NETWORKS = {
  silent: { preset: 'kiwiwall', secrets: ['kiwiwall-secret-silent'] },
  tapjoy: { preset: 'tapjoy', secrets: ['tapjoy-secret-key'] },
  rotated: { preset: 'kiwiwall', secrets: [KIWI_KEY] },
  never: { preset: 'kiwiwall', secrets: [KIWI_KEY] },
  forged: { preset: 'kiwiwall', secrets: [KIWI_KEY] },
  bitlabs: { preset: 'bitlabs', secrets: ['bitlabs-app-secret'] },
  walled: { preset: 'kiwiwall', secrets: [KIWI_KEY], allowedIps: ['34.193.235.172'] },
  proxied: { preset: 'kiwiwall', secrets: [KIWI_KEY], allowedIps: ['34.193.235.172'] },
  fields: { preset: 'kiwiwall', secrets: [KIWI_KEY], allowedIps: ['127.0.0.1'] },
}

let testDb: TestDatabase
let app: FastifyInstance
let dir: string
let env: Record<string, string>
let config: Config

before(async () => {
  testDb = await createTestDatabase()
  dir = await mkdtemp(join(tmpdir(), 'pbr-doctor-'))
  await writeFile(join(dir, 'networks.json'), JSON.stringify(NETWORKS))
  env = { NETWORKS_FILE: join(dir, 'networks.json'), PUBLIC_URL }
  config = testConfig({ ...testDb.env, ...env, POSTBACK_SECRET: SECRET, ADMIN_TOKEN })
  app = await buildAppOn(testDb, env)
  await seed()
})
after(async () => {
  await app?.close()
  await testDb?.drop()
  await rm(dir, { recursive: true, force: true })
})

// --- The vendors, as documented -----------------------------------------------------------

const md5 = (text: string) => createHash('md5').update(text).digest('hex')
/** Kiwiwall: signature = md5(sub_id:amount:secret). */
function kiwiwall(network: string, key: string, user = 'kiwi-user', amount = '50') {
  const tx = uniqueTx(network)
  const query = new URLSearchParams({
    trans_id: tx,
    offer_id: 'o1',
    amount,
    gross: '0.50',
    sub_id: user,
    status: '1',
    signature: md5(`${user}:${amount}:${key}`),
  })
  return `/api/postback/${network}?${query}`
}

async function send(url: string, options: Omit<InjectOptions, 'url'> = {}) {
  const response = await app.inject({ url, ...options })
  return String(response.headers['x-postback-outcome'])
}

async function seed() {
  // tapjoy: the panel holds a URL with {macros}; Tapjoy leaves them and appends its own.
  for (let i = 0; i < 2; i += 1) {
    const tx = uniqueTx('tj')
    const verifier = md5(`${tx}:user42:50:tapjoy-secret-key`)
    const url = `/api/postback/tapjoy?id={id}&snuid={snuid}&currency={currency}&snuid=user42&currency=50&mac_address=&id=${tx}&verifier=${verifier}`
    assert.equal(await send(url), 'BAD_SIGNATURE')
  }
  // rotated: accepted twice, then the key was changed in Kiwiwall's panel.
  for (let i = 0; i < 2; i += 1) assert.equal(await send(kiwiwall('rotated', KIWI_KEY)), 'credited')
  for (let i = 0; i < 3; i += 1)
    assert.equal(await send(kiwiwall('rotated', 'kiwi-new-key-22')), 'BAD_SIGNATURE')
  // never: signed with another key from the start.
  for (let i = 0; i < 2; i += 1)
    assert.equal(await send(kiwiwall('never', 'kiwi-other-key')), 'BAD_SIGNATURE')
  // forged: the network's calls pass; someone else's, from another address, do not.
  const network = { remoteAddress: '203.0.113.5' }
  const stranger = { remoteAddress: '198.51.100.9' }
  assert.equal(await send(kiwiwall('forged', KIWI_KEY), network), 'credited')
  assert.equal(await send(kiwiwall('forged', 'guessed-key'), stranger), 'BAD_SIGNATURE')
  assert.equal(await send(kiwiwall('forged', KIWI_KEY), network), 'credited')
  // bitlabs: BitLabs calls https://callbacks.example.net (the real address), signs that URL;
  // PUBLIC_URL still says https://pb.example.com.
  const path = `/api/postback/bitlabs?tx=${uniqueTx('bl')}&uid=u1&val=120&raw=1.20`
  const hash = createHmac('sha1', 'bitlabs-app-secret')
    .update(`https://callbacks.example.net${path}`)
    .digest('hex')
  const headers = { host: 'callbacks.example.net', 'x-forwarded-proto': 'https' }
  assert.equal(await send(`${path}&hash=${hash}`, { headers }), 'BAD_SIGNATURE')
  // walled / proxied: sources outside allowedIps (a public one; a proxy's private one).
  for (let i = 0; i < 2; i += 1)
    assert.equal(
      await send(kiwiwall('walled', KIWI_KEY), { remoteAddress: '198.51.100.7' }),
      'IP_NOT_ALLOWED',
    )
  assert.equal(
    await send(kiwiwall('proxied', KIWI_KEY), { remoteAddress: '10.0.0.5' }),
    'IP_NOT_ALLOWED',
  )
  // fields: signed right, but the amount is not a number Kiwiwall would send.
  assert.equal(await send(kiwiwall('fields', KIWI_KEY, 'u9', '5O')), 'INVALID_FIELD')
  // default: healthy.
  const fields = { offer_id: 'o', payout: '1.00', user_id: 'doc-user' }
  assert.equal(await send(postbackUrl({ tx_id: uniqueTx('ok'), ...fields })), 'credited')
}

async function diagnose(network: string): Promise<Diagnosis> {
  const profile =
    network === 'default'
      ? defaultProfile(config, [SECRET])
      : buildProfile(network, NETWORKS[network as keyof typeof NETWORKS], config)
  return runDoctor(testDb.db.pool, config, profile)
}

const codes = (diagnosis: Diagnosis) => diagnosis.findings.map((f) => `${f.severity} ${f.code}`)
const finding = (diagnosis: Diagnosis, code: string) => {
  const found = diagnosis.findings.find((f) => f.code === code)
  assert.ok(found, `${code} in ${JSON.stringify(diagnosis.findings, null, 2)}`)
  return found
}

test('a network no postback ever reached: "never arrived", with what to check', async () => {
  const diagnosis = await diagnose('silent')
  assert.equal(diagnosis.checked, 0)
  assert.equal(diagnosis.healthy, false)
  assert.deepEqual(codes(diagnosis), ['problem NEVER_ARRIVED', 'warning ANY_SOURCE'])
  const never = finding(diagnosis, 'NEVER_ARRIVED')
  assert.match(never.message, /no postback for network silent has arrived/)
  assert.match(never.message, /`npm run cli -- url silent`/)
  assert.match(never.message, /https:\/\/pb\.example\.com/)
  assert.match(finding(diagnosis, 'ANY_SOURCE').message, /documents 34\.193\.235\.172/)
})

test('macros left unfilled and parameters the network appends are named, not blamed on the secret', async () => {
  const diagnosis = await diagnose('tapjoy')
  assert.deepEqual(codes(diagnosis), [
    'problem UNREPLACED_MACROS',
    'problem DUPLICATE_PARAMS',
    'warning ANY_SOURCE',
  ])
  const macros = finding(diagnosis, 'UNREPLACED_MACROS')
  assert.match(macros.message, /^2 of the last 2 postbacks still carry macros/)
  assert.match(macros.message, /id=\{id\}, snuid=\{snuid\}, currency=\{currency\}/)
  assert.match(macros.message, /`npm run cli -- url tapjoy`/)
  assert.equal(macros.logIds.length, 2)
  assert.match(
    finding(diagnosis, 'DUPLICATE_PARAMS').message,
    /arrived twice \(id, snuid, currency\)/,
  )
})

test('accepted until the key changed, failing since: the doctor says the secret was changed', async () => {
  const diagnosis = await diagnose('rotated')
  assert.equal(diagnosis.accepted, 2)
  const mismatch = finding(diagnosis, 'SIGNATURE_MISMATCH')
  assert.equal(mismatch.severity, 'problem')
  assert.match(
    mismatch.message,
    /^postbacks were accepted until \S+Z, and every one since \(3\) fails the signature: the secret was changed/,
  )
  assert.match(finding(diagnosis, 'ACCEPTING').message, /^2 of the last 5 postbacks were accepted/)
})

test('a signature that never matched: the profile secret is not the network panel one', async () => {
  const diagnosis = await diagnose('never')
  assert.match(
    finding(diagnosis, 'SIGNATURE_MISMATCH').message,
    /^every signature checked failed \(2 postbacks, none accepted\): the secret in network never's profile/,
  )
  assert.equal(diagnosis.lastAcceptedAt, null)
})

test('failures only from addresses the accepted ones never came from: probably not the network', async () => {
  const diagnosis = await diagnose('forged')
  assert.match(
    finding(diagnosis, 'SIGNATURE_MISMATCH').message,
    /every failing one came from an address no accepted one came from \(198\.51\.100\.9\).*set allowedIps/,
  )
})

test('a URL signature over another address than PUBLIC_URL: the doctor names both', async () => {
  const diagnosis = await diagnose('bitlabs')
  const wrong = finding(diagnosis, 'WRONG_PUBLIC_URL')
  assert.equal(wrong.severity, 'problem')
  assert.match(
    wrong.message,
    /the network called https:\/\/callbacks\.example\.net\/api\/postback\/bitlabs but PUBLIC_URL is https:\/\/pb\.example\.com/,
  )
})

test('sources outside allowedIps are listed with counts; private ones point at TRUST_PROXY', async () => {
  const walled = finding(await diagnose('walled'), 'IP_NOT_ALLOWED')
  assert.match(
    walled.message,
    /outside network walled's allowedIps \(34\.193\.235\.172\): 198\.51\.100\.7 ×2/,
  )
  const proxied = finding(await diagnose('proxied'), 'IP_NOT_ALLOWED')
  assert.match(proxied.message, /every one is private \(10\.0\.0\.5 ×1\).*set TRUST_PROXY/)
})

test('other refusals are summed up by code with their message', async () => {
  const diagnosis = await diagnose('fields')
  assert.deepEqual(codes(diagnosis), ['problem OTHER_REFUSALS'])
  assert.match(finding(diagnosis, 'OTHER_REFUSALS').message, /INVALID_FIELD ×1 \(reward /)
})

test('a network whose postbacks are accepted is healthy (the warning about sources stays)', async () => {
  const diagnosis = await diagnose('default')
  assert.equal(diagnosis.healthy, true)
  assert.deepEqual(codes(diagnosis), ['warning ANY_SOURCE', 'ok ACCEPTING'])
})

test('GET /admin/networks/:network/doctor answers the same diagnosis; unknown networks are 404', async () => {
  const response = await app.inject({
    url: '/admin/networks/rotated/doctor',
    headers: adminHeaders,
  })
  assert.equal(response.statusCode, 200)
  const body = response.json() as Diagnosis
  assert.equal(body.healthy, false)
  assert.deepEqual(body, JSON.parse(JSON.stringify(await diagnose('rotated'))))
  const limited = await app.inject({
    url: '/admin/networks/rotated/doctor?rows=1',
    headers: adminHeaders,
  })
  assert.equal((limited.json() as Diagnosis).checked, 1)
  const unknown = await app.inject({ url: '/admin/networks/nope/doctor', headers: adminHeaders })
  assert.equal(unknown.statusCode, 404)
  assert.equal(unknown.json().code, 'UNKNOWN_NETWORK')
})

test("the dashboard's network card has a Diagnose button that shows the findings there", async () => {
  const signIn = await app.inject({
    method: 'POST',
    url: '/dashboard/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token: ADMIN_TOKEN, next: '/dashboard' }).toString(),
  })
  const cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? ''
  const page = await app.inject({ url: '/dashboard/networks', headers: { cookie } })
  assert.match(page.body, /action="\/dashboard\/networks\/tapjoy\/doctor#network-tapjoy"/)
  const result = await app.inject({ url: '/dashboard/networks/tapjoy/doctor', headers: { cookie } })
  assert.equal(result.statusCode, 200)
  assert.match(result.body, /data-doctor-result/)
  assert.match(result.body, /Problems found/)
  assert.match(result.body, /data-finding="UNREPLACED_MACROS"/)
  assert.match(result.body, /id=\{id\}/)
  assert.doesNotMatch(result.body, /tapjoy-secret-key/)
})

describe('the doctor command', { skip: CLI_SKIP }, () => {
  test('exit 1 with the findings for a network with problems, 0 for a healthy one, 2 for an unknown one', async () => {
    const cliEnv = { ...testDb.env, ...env, POSTBACK_SECRET: SECRET }
    const sick = await runCli(['doctor', 'rotated'], cliEnv)
    assert.equal(sick.code, 1, sick.stderr)
    assert.match(sick.stdout, /^PROBLEM {2}SIGNATURE_MISMATCH: postbacks were accepted until/m)
    assert.match(sick.stdout, /^problems found$/m)
    const well = await runCli(['doctor', 'default'], cliEnv)
    assert.equal(well.code, 0, well.stderr)
    assert.match(well.stdout, /^no problems found$/m)
    const unknown = await runCli(['doctor', 'nope'], cliEnv)
    assert.equal(unknown.code, 2)
  })
})
