import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildAppOn, postbackUrl, SECRET, uniqueTx } from '../helpers/app.js'
import { CLI_SKIP, runCli } from '../helpers/cli.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

describe('offers import', { skip: CLI_SKIP }, () => {
  let testDb: TestDatabase
  let app: FastifyInstance
  let dir: string
  let env: Record<string, string>
  before(async () => {
    testDb = await createTestDatabase()
    app = await buildAppOn(testDb)
    dir = await mkdtemp(join(tmpdir(), 'pbr-offers-'))
    const networks = join(dir, 'networks.json')
    await writeFile(
      networks,
      JSON.stringify({ kiwi: { preset: 'kiwiwall', secrets: ['kiwi-secret-0123'] } }),
    )
    env = { ...testDb.env, POSTBACK_SECRET: SECRET, NETWORKS_FILE: networks }
  })
  after(async () => {
    await app?.close()
    await testDb?.drop()
    await rm(dir, { recursive: true, force: true })
  })

  const offers = async () =>
    (
      await testDb.db.pool.query<{ network: string; offer_id: string; expected_payout: string }>(
        'SELECT network, offer_id, expected_payout::text FROM offers ORDER BY network, offer_id',
      )
    ).rows.map((r) => `${r.network}/${r.offer_id}=${r.expected_payout}`)

  test('imports expected payouts, exactly, and a later approval above one is held', async () => {
    const file = join(dir, 'offers.csv')
    await writeFile(
      file,
      'offer_id,expected_payout,network\r\no1,1.00,\r\n"o,2",0.333333,kiwi\r\no3,12,default\r\n',
    )
    const run = await runCli(['offers', 'import', file], env)
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /imported 3 offers: 3 new, 0 updated/)
    assert.deepEqual(await offers(), [
      'default/o1=1.000000',
      'default/o3=12.000000',
      'kiwi/o,2=0.333333',
    ])
    const response = await app.inject(
      postbackUrl({ tx_id: uniqueTx(), offer_id: 'o1', payout: '5.00', user_id: 'u1' }),
    )
    assert.equal(response.headers['x-postback-outcome'], 'held')
  })

  test('mapped columns and --network; the last row for an offer wins and updates', async () => {
    const file = join(dir, 'mapped.csv')
    await writeFile(file, 'Offer;Price\no3;7.5\no3;8.25\n'.replaceAll(';', ','))
    const run = await runCli(
      [
        'offers',
        'import',
        file,
        '--offer-col',
        'Offer',
        '--payout-col',
        'Price',
        '--network',
        'default',
      ],
      env,
    )
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /imported 1 offers: 0 new, 1 updated/)
    assert.ok((await offers()).includes('default/o3=8.250000'))
  })

  test('any bad row imports nothing and every bad line is listed (exit 1)', async () => {
    const before = await offers()
    const file = join(dir, 'bad.csv')
    await writeFile(
      file,
      'offer_id,expected_payout,network\nok,1.00,\nx,1e3,\ny,-2,\nz,1.00,nowhere\n',
    )
    const run = await runCli(['offers', 'import', file], env)
    assert.equal(run.code, 1)
    assert.match(run.stdout, /nothing imported: 3 bad row\(s\)/)
    assert.match(run.stdout, /line 3: expected payout "1e3" is not a plain decimal/)
    assert.match(run.stdout, /line 4: expected payout "-2"/)
    assert.match(run.stdout, /line 5: unknown network "nowhere"/)
    assert.deepEqual(await offers(), before)
  })

  test('a file without the payout column fails naming the columns it has (exit 1)', async () => {
    const file = join(dir, 'nocol.csv')
    await writeFile(file, 'offer_id,price\no9,1\n')
    const run = await runCli(['offers', 'import', file], env)
    assert.equal(run.code, 1)
    assert.match(run.stderr, /no column expected_payout \(columns: offer_id, price\)/)
  })
})
