import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildAppOn, consistentBalance, SECRET, uniqueTx } from '../helpers/app.js'
import { CLI_SKIP, runCli } from '../helpers/cli.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

// A refused postback, a configuration fix, a replay: the scenario the command exists for.
// "aliasnet" first expects its transaction id in `txn`; the network sends it as `tid`.
const BEFORE_FIX = { aliasnet: { secrets: ['alias-secret-0123'], params: { tx_id: 'txn' } } }
const AFTER_FIX = {
  aliasnet: { secrets: ['alias-secret-0123'], params: { tx_id: ['txn', 'tid'] } },
  newnet: { secrets: ['newnet-secret-0123'] },
}

// What the operator forwards: each credit to their own app.
const RULES = {
  rules: [{ name: 'to-app', on: ['credited'], url: 'https://app.example/credit?tx={tx_id}' }],
}

describe('replay', { skip: CLI_SKIP }, () => {
  let testDb: TestDatabase
  let app: FastifyInstance
  let dir: string
  let fixedEnv: Record<string, string>
  before(async () => {
    testDb = await createTestDatabase()
    dir = await mkdtemp(join(tmpdir(), 'pbr-replay-'))
    const beforeFile = join(dir, 'before.json')
    const afterFile = join(dir, 'after.json')
    const rulesFile = join(dir, 'deliveries.json')
    await writeFile(beforeFile, JSON.stringify(BEFORE_FIX))
    await writeFile(afterFile, JSON.stringify(AFTER_FIX))
    await writeFile(rulesFile, JSON.stringify(RULES))
    app = await buildAppOn(testDb, { NETWORKS_FILE: beforeFile })
    fixedEnv = {
      ...testDb.env,
      POSTBACK_SECRET: SECRET,
      NETWORKS_FILE: afterFile,
      DELIVERY_RULES_FILE: rulesFile,
    }
  })
  after(async () => {
    await app?.close()
    await testDb?.drop()
    await rm(dir, { recursive: true, force: true })
  })

  /** Sends a postback the running configuration refuses; returns its log row id. */
  async function refused(url: string, code: string) {
    const response = await app.inject(url)
    assert.equal(response.headers['x-postback-outcome'], code)
    const { rows } = await testDb.db.pool.query<{ id: string }>(
      'SELECT id FROM postback_log ORDER BY id DESC LIMIT 1',
    )
    return rows[0]?.id ?? ''
  }
  const logRows = async (user: string) =>
    (
      await testDb.db.pool.query(
        `SELECT id, outcome, status_code, replay_of, replayed_by, query FROM postback_log
         WHERE query LIKE '%' || $1 || '%' ORDER BY id`,
        [user],
      )
    ).rows

  test('after adding the missing alias, replaying the refused postback credits it once', async () => {
    const user = uniqueTx('user')
    const id = await refused(
      `/api/postback/aliasnet?tid=${uniqueTx()}&offer_id=o&payout=1.50&user_id=${user}&secret=alias-secret-0123`,
      'MISSING_FIELD',
    )
    const run = await runCli(['replay', id, '--by', 'ana'], fixedEnv)
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.match(run.stdout, /replaying as cli:ana: only requests whose caller was verified/)
    assert.match(
      run.stdout,
      new RegExp(
        `#${id} .* MISSING_FIELD -> credited \\(conversion \\d+, \\+150 points, 1 delivery\\(ies\\) queued\\)`,
      ),
    )
    assert.equal(await consistentBalance(testDb, user), 150)
    const [original, replay] = await logRows(user)
    assert.equal(original.outcome, 'MISSING_FIELD', 'the original row stays as it was')
    assert.equal(original.replay_of, null)
    assert.deepEqual(
      { outcome: replay.outcome, replay_of: replay.replay_of, replayed_by: replay.replayed_by },
      { outcome: 'credited', replay_of: id, replayed_by: 'cli:ana' },
    )
    assert.match(replay.query, /secret=\[REDACTED\]/)
    const queued = await testDb.db.pool.query(
      `SELECT d.rule, d.event, d.state FROM deliveries d JOIN postback_log l USING (conversion_id)
       WHERE l.id = $1`,
      [replay.id],
    )
    assert.deepEqual(
      queued.rows,
      [{ rule: 'to-app', event: 'credited', state: 'pending' }],
      'the credit queued its delivery, as a live postback does',
    )

    const again = await runCli(['replay', id], fixedEnv)
    assert.equal(again.code, 0, again.stderr)
    assert.match(again.stdout, new RegExp(`-> already replayed as #${replay.id} \\(credited\\)`))
    assert.equal(await consistentBalance(testDb, user), 150)
    assert.equal((await logRows(user)).length, 2)
  })

  /** A --since time later than every row in the log so far: selects only what comes next. */
  async function afterEveryLogRow() {
    const { rows } = await testDb.db.pool.query<{ last: Date | null }>(
      'SELECT max(received_at) AS last FROM postback_log',
    )
    const since = new Date((rows[0]?.last ?? new Date()).getTime() + 1)
    while (Date.now() <= since.getTime()) await new Promise((resolve) => setTimeout(resolve, 1))
    return since.toISOString()
  }

  test('--since skips refusals whose caller was never verified unless --include-unauthorized', async () => {
    const since = await afterEveryLogRow()
    const user = uniqueTx('user')
    await refused(
      `/api/postback/newnet?tx_id=${uniqueTx()}&offer_id=o&payout=2&user_id=${user}&secret=newnet-secret-0123`,
      'UNKNOWN_NETWORK',
    )
    await refused(
      `/api/postback?tx_id=${uniqueTx()}&offer_id=o&payout=3&user_id=${user}&secret=not-the-secret-000`,
      'BAD_SECRET',
    )
    const wrongType = await app.inject({
      method: 'POST',
      url: `/api/postback?tx_id=${uniqueTx()}&offer_id=o&payout=4&user_id=${user}&secret=${SECRET}`,
      headers: { 'content-type': 'text/plain' },
      payload: 'x',
    })
    assert.equal(wrongType.statusCode, 415)
    const listed = await runCli(['replay', '--since', since, '--dry-run'], fixedEnv)
    assert.equal(listed.code, 0, listed.stderr)
    assert.match(listed.stdout, /UNKNOWN_NETWORK -> would skip unless re-verified/)
    assert.match(listed.stdout, /3 postback\(s\) selected; nothing changed/)
    assert.equal(await consistentBalance(testDb, user), 0)

    const run = await runCli(['replay', '--since', since], fixedEnv)
    assert.equal(run.code, 1, 'a skipped refusal is not a success')
    assert.match(run.stdout, /only requests whose caller was verified when they arrived/)
    for (const code of ['UNKNOWN_NETWORK', 'BAD_SECRET', 'UNSUPPORTED_MEDIA_TYPE'])
      assert.match(
        run.stdout,
        new RegExp(
          `${code} -> skipped: refused as ${code} before its caller was verified .*--include-unauthorized`,
        ),
      )
    assert.match(run.stdout, /3 selected: 0 accepted, 0 still refused, 3 skipped/)
    assert.equal(await consistentBalance(testDb, user), 0, 'nothing unverified was credited')

    const trusted = await runCli(['replay', '--since', since, '--include-unauthorized'], fixedEnv)
    assert.equal(trusted.code, 0, trusted.stdout)
    assert.match(trusted.stdout, /including requests whose caller was never verified/)
    assert.match(trusted.stdout, /3 selected: 3 accepted/)
    assert.equal(await consistentBalance(testDb, user), 900)
    const { rows } = await testDb.db.pool.query(
      `SELECT DISTINCT caller_verified FROM postback_log WHERE query LIKE '%' || $1 || '%'`,
      [user],
    )
    assert.deepEqual(rows, [{ caller_verified: false }], 'vouched-for replays stay unverified')
  })

  test('a postback the configuration still refuses gets a refused replay row (exit 1)', async () => {
    const user = uniqueTx('user')
    const id = await refused(
      `/api/postback?tx_id=${uniqueTx()}&offer_id=o&payout=abc&user_id=${user}&secret=${SECRET}`,
      'INVALID_FIELD',
    )
    const run = await runCli(['replay', id], fixedEnv)
    assert.equal(run.code, 1)
    assert.match(run.stdout, /-> still refused: 400 INVALID_FIELD payout must be a plain decimal/)
    const rows = await logRows(user)
    assert.equal(rows.length, 2)
    assert.deepEqual(
      [rows[1].outcome, rows[1].status_code, rows[1].replay_of],
      ['INVALID_FIELD', 400, id],
    )
  })

  test('usage: an id or --since, not neither; an unknown id fails', async () => {
    const none = await runCli(['replay'], fixedEnv)
    assert.equal(none.code, 2)
    assert.match(none.stderr, /give a postback-log-id, or --since for many/)
    const missing = await runCli(['replay', '999999999'], fixedEnv)
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /no postback log row 999999999/)
  })
})
