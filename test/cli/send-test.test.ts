import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildAppOn, consistentBalance, SECRET, uniqueTx } from '../helpers/app.js'
import { CLI_SKIP, runCli } from '../helpers/cli.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

// Signed the way each network signs: a static secret, an HMAC of the URL (BitLabs), an HMAC of
// the sorted parameters in a header (ayeT), an MD5 digest template (Tapjoy).
const NETWORKS = {
  bitlabs: { preset: 'bitlabs', secrets: ['bitlabs-secret-0123'] },
  ayet: { preset: 'ayetstudios', secrets: ['ayet-secret-012345'] },
  tapjoy: { preset: 'tapjoy', secrets: ['tapjoy-secret-0123'] },
}

describe('send-test', { skip: CLI_SKIP }, () => {
  let testDb: TestDatabase
  // The service the command sends to, on a real socket (in this process).
  let app: FastifyInstance
  let url: string
  let dir: string
  let env: Record<string, string>
  before(async () => {
    testDb = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'pbr-send-test-'))
    const networks = join(dir, 'networks.json')
    await writeFile(networks, JSON.stringify(NETWORKS))
    env = { ...testDb.env, POSTBACK_SECRET: SECRET, NETWORKS_FILE: networks }
    app = await buildAppOn(testDb, { NETWORKS_FILE: networks })
    url = await app.listen({ host: '127.0.0.1', port: 0 })
  })
  after(async () => {
    await app?.close()
    await testDb?.drop()
    await rm(dir, { recursive: true, force: true })
  })
  const sendTest = (...args: string[]) => runCli(['send-test', ...args, '--url', url], env)

  test('a test postback is credited, its repeat is a duplicate, and the secret is not printed', async () => {
    const user = uniqueTx('user')
    const tx = uniqueTx()
    const run = await sendTest('--tx-id', tx, '--user-id', user, '--payout', '1.25', '--dup')
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.match(run.stdout, /-> HTTP 200, outcome credited: OK/)
    assert.match(run.stdout, /-> HTTP 200, outcome duplicate: OK/)
    assert.match(run.stdout, /secret=\[REDACTED\]/)
    assert.ok(!run.stdout.includes(SECRET))
    assert.equal(await consistentBalance(testDb, user), 125)

    const reversal = await sendTest(
      '--tx-id',
      tx,
      '--user-id',
      user,
      '--payout',
      '1.25',
      '--status',
      'reversed',
    )
    assert.equal(reversal.code, 0, reversal.stdout)
    assert.match(reversal.stdout, /outcome reversed/)
    assert.equal(await consistentBalance(testDb, user), 0)
  })

  test("each network's test postback carries a signature its profile accepts, reversals too", async () => {
    for (const network of Object.keys(NETWORKS)) {
      const user = uniqueTx(`user-${network}`)
      const tx = uniqueTx(network)
      const credit = await sendTest(network, '--tx-id', tx, '--user-id', user, '--reward', '40')
      assert.equal(credit.code, 0, `${network}: ${credit.stdout}${credit.stderr}`)
      assert.match(credit.stdout, /outcome credited/)
      assert.equal(await consistentBalance(testDb, user), 40, network)
      const reverse = await sendTest(
        network,
        '--tx-id',
        tx,
        '--user-id',
        user,
        '--reward',
        '40',
        '--status',
        'reversed',
      )
      if (network === 'tapjoy') {
        // Tapjoy documents no reversal: no test postback pretends it sends one.
        assert.equal(reverse.code, 2, `${network}: ${reverse.stdout}`)
        assert.match(reverse.stderr, /no status value for reversed/)
        assert.equal(await consistentBalance(testDb, user), 40, network)
        continue
      }
      assert.equal(reverse.code, 0, `${network}: ${reverse.stdout}`)
      assert.equal(await consistentBalance(testDb, user), 0, network)
    }
  })

  test('--dry-run prints the request with its secret and sends nothing', async () => {
    const tx = uniqueTx()
    const run = await sendTest('--tx-id', tx, '--dry-run')
    assert.equal(run.code, 0, run.stderr)
    assert.equal(
      run.stdout.trim(),
      `GET ${url}/api/postback?tx_id=${tx}&offer_id=test-offer&payout=0.01&user_id=test-user&status=approved&secret=${SECRET}`,
    )
    const { rows } = await testDb.db.pool.query('SELECT 1 FROM conversions WHERE tx_id = $1', [tx])
    assert.equal(rows.length, 0)
  })

  test('a refused test postback prints the reason and exits 1', async () => {
    const run = await runCli(['send-test', '--url', url], {
      ...env,
      POSTBACK_SECRET: 'some-other-secret-0000',
    })
    assert.equal(run.code, 1)
    assert.match(run.stdout, /-> HTTP 403, outcome BAD_SECRET/)
    const nobody = await runCli(['send-test', '--url', 'http://127.0.0.1:1'], env)
    assert.equal(nobody.code, 1)
    assert.match(nobody.stdout, /no answer: .*is the service running/)
  })
})
