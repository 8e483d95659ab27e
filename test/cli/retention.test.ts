import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildAppOn, postbackUrl, uniqueTx } from '../helpers/app.js'
import { CLI_SKIP, runCli } from '../helpers/cli.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

describe('retention', { skip: CLI_SKIP }, () => {
  let testDb: TestDatabase
  let app: FastifyInstance
  before(async () => {
    testDb = await createTestDatabase()
    app = await buildAppOn(testDb, { TRUST_PROXY: '127.0.0.1' })
  })
  after(async () => {
    await app?.close()
    await testDb?.drop()
  })

  /** A credited postback from 203.0.113.77 whose log row and conversion are `days` old. */
  async function postbackAged(days: number) {
    const tx = uniqueTx()
    await app.inject({
      url: postbackUrl({
        tx_id: tx,
        offer_id: 'o',
        payout: '1',
        user_id: 'u',
        ip: '198.51.100.23',
      }),
      headers: { 'x-forwarded-for': '203.0.113.77' },
    })
    await testDb.db.pool.query(
      `UPDATE postback_log SET received_at = now() - $2 * interval '1 day' WHERE tx_id = $1`,
      [tx, days],
    )
    await testDb.db.pool.query(
      `UPDATE conversions SET created_at = now() - $2 * interval '1 day' WHERE tx_id = $1`,
      [tx, days],
    )
    return tx
  }
  const logRow = async (tx: string) =>
    (
      await testDb.db.pool.query(
        'SELECT source_ip, headers, query FROM postback_log WHERE tx_id = $1',
        [tx],
      )
    ).rows[0]
  const conversionIp = async (tx: string) =>
    (await testDb.db.pool.query('SELECT ip FROM conversions WHERE tx_id = $1', [tx])).rows[0]?.ip

  test('deletes log rows past N days and anonymizes IPs past M days, in batches', async () => {
    const ancient = await postbackAged(120)
    const old = [await postbackAged(45), await postbackAged(40), await postbackAged(31)]
    const fresh = await postbackAged(2)
    const args = [
      'retention',
      '--postback-log-days',
      '90',
      '--anonymize-ip-days',
      '30',
      '--batch-size',
      '2',
    ]
    const untouched = async () => {
      assert.ok(await logRow(ancient), 'the oldest log row is still there')
      for (const tx of old) assert.equal(await conversionIp(tx), '198.51.100.23')
    }
    // --dry-run counts what the run below then does, and changes nothing.
    const dry = await runCli([...args, '--dry-run'], testDb.env)
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(dry.stdout, /^would delete 1 postback log rows older than 90 days$/m)
    assert.match(
      dry.stdout,
      /^would anonymize IP addresses older than 30 days in 3 postback log rows and 4 conversions$/m,
    )
    assert.match(dry.stdout, /nothing changed \(--dry-run\)/)
    await untouched()
    // No terminal to ask on (cron, a pipe): refused without --yes.
    const unasked = await runCli(args, testDb.env)
    assert.equal(unasked.code, 2)
    assert.match(unasked.stderr, /confirm with --yes .*stdin is not a terminal.*--dry-run/)
    assert.equal(unasked.stdout, '')
    await untouched()
    // On a terminal it asks; anything but yes changes nothing.
    const declined = await runCli(args, testDb.env, { terminalInput: 'n\n' })
    assert.equal(declined.code, 1)
    assert.match(
      declined.stderr,
      /This will delete postback log rows older than 90 days and anonymize IP addresses older than 30 days, for good .* Go ahead\? \[y\/N\]/,
    )
    assert.equal(declined.stdout, 'nothing changed\n')
    await untouched()

    const run = await runCli(args, testDb.env, { terminalInput: 'y\n' })
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /deleted 1 postback log rows older than 90 days/)
    assert.match(
      run.stdout,
      /anonymized IP addresses older than 30 days in 3 postback log rows and 4 conversions/,
    )
    assert.equal(await logRow(ancient), undefined)
    for (const tx of old) {
      const row = await logRow(tx)
      assert.equal(row.source_ip, '203.0.113.0')
      assert.equal(row.headers['x-forwarded-for'], undefined)
      assert.match(row.query, /&ip=198\.51\.100\.0($|&)/)
      assert.equal(await conversionIp(tx), '198.51.100.0')
    }
    const young = await logRow(fresh)
    assert.equal(young.source_ip, '203.0.113.77')
    assert.equal(young.headers['x-forwarded-for'], '203.0.113.77')
    assert.equal(await conversionIp(fresh), '198.51.100.23')
    const { rows } = await testDb.db.pool.query('SELECT count(*)::int AS n FROM conversions')
    assert.equal(rows[0]?.n, 5, 'conversions are never deleted')
  })

  test('a second run finds nothing more to do', async () => {
    const run = await runCli(
      ['retention', '--postback-log-days', '90', '--anonymize-ip-days', '30', '--yes'],
      testDb.env,
    )
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, /deleted 0 postback log rows/)
    assert.match(run.stdout, /in 0 postback log rows and 0 conversions/)
  })

  test('without a period it is a usage error (exit 2)', async () => {
    const none = await runCli(['retention'], testDb.env)
    assert.equal(none.code, 2)
    assert.match(none.stderr, /give --postback-log-days, --anonymize-ip-days or both/)
    const bad = await runCli(['retention', '--postback-log-days', '0'], testDb.env)
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /--postback-log-days expects a whole number from 1/)
  })
})
