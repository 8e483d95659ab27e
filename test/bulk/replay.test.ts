import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildProfile, defaultProfile } from '../../src/networks/profile.js'
import { NetworkRegistry } from '../../src/networks/registry.js'
import { eventually } from '../delivery/harness.js'
import { adminHeaders, buildAppOn, consistentBalance, SECRET, uniqueTx } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase, testConfig } from '../helpers/database.js'

// Bulk replay through the admin API: the preview's counts, a run that replays each refusal
// once even when two operators (on two instances) start it at the same moment, exact
// balances, unverified callers excluded, and a run whose process died finished by a resume.

const ACME_SECRET = 'acme-secret-0123456789'
const config = testConfig({ POSTBACK_SECRET: SECRET })
// acme reads its transaction id only from trans_id at first; the fix adds the alias tid.
const acme = (txNames: string[]) =>
  buildProfile('acme', { secrets: [ACME_SECRET], params: { tx_id: txNames } }, config)

let testDb: TestDatabase
let one: FastifyInstance
let two: FastifyInstance
const networks = new NetworkRegistry([defaultProfile(config, [SECRET]), acme(['trans_id'])])

before(async () => {
  testDb = await createTestDatabase()
  // Two instances of the service on one database, as two operators behind a load balancer.
  one = await buildAppOn(testDb, {}, undefined, { networks })
  two = await buildAppOn(testDb, {}, undefined, { networks })
})
after(async () => {
  await one?.close()
  await two?.close()
  await testDb?.drop()
})

/** `count` postbacks acme sends with tid (refused MISSING_FIELD before the fix); their tx ids. */
async function refusals(prefix: string, count: number, user: string, secret = ACME_SECRET) {
  const txs: string[] = []
  for (let n = 0; n < count; n++) {
    const tx = uniqueTx(prefix)
    const fields = { tid: tx, offer_id: 'o1', payout: '1.5', user_id: user, secret }
    const answer = await one.inject({ url: `/api/postback/acme?${new URLSearchParams(fields)}` })
    assert.equal(answer.statusCode, secret === ACME_SECRET ? 400 : 403, answer.body)
    txs.push(tx)
  }
  return txs
}

const admin = (app: FastifyInstance, method: 'GET' | 'POST', url: string, payload?: object) =>
  app.inject({ method, url, headers: adminHeaders, ...(payload ? { payload } : {}) })

async function finished(id: string) {
  return eventually(
    async () => (await admin(one, 'GET', `/admin/bulk-runs/${id}`)).json(),
    (run) => run.state !== 'running',
    60_000, // a loaded machine on PGlite: the outcome is what is checked, not the time
  )
}

/** How many replay rows each original refusal of these tx ids has. */
async function replaysPerRefusal(txs: string[]): Promise<number[]> {
  const { rows } = await testDb.db.pool.query<{ replays: number }>(
    `SELECT (SELECT count(*)::int FROM postback_log r WHERE r.replay_of = o.id) AS replays
     FROM postback_log o, unnest($1::text[]) AS tx
     WHERE o.replay_of IS NULL AND o.query LIKE '%tid=' || tx || '&%' ORDER BY o.id`,
    [txs],
  )
  return rows.map((r) => r.replays)
}

test('the preview counts refusals by code and says which are excluded and why', async () => {
  await refusals('pre', 3, 'pre-user')
  await refusals('pre-bad', 2, 'pre-user', 'wrong-secret-0123456789')
  const preview = await admin(one, 'GET', '/admin/postbacks/bulk-replay?network=acme&limit=2')
  assert.equal(preview.statusCode, 200, preview.body)
  const body = preview.json()
  assert.equal(body.matching, 5)
  assert.equal(body.replayable, 3)
  assert.equal(body.willReplay, 2, 'the cap')
  assert.deepEqual(body.byOutcome, [
    { outcome: 'MISSING_FIELD', matching: 3, replayable: 3 },
    { outcome: 'BAD_SECRET', matching: 2, replayable: 0 },
  ])
  assert.deepEqual(
    body.excluded.map((e: { reason: string; count: number }) => [e.reason, e.count]),
    [['caller-not-verified', 2]],
  )
  assert.match(body.excluded[0].message, /never takes it/)
  const none = await admin(one, 'GET', '/admin/postbacks/bulk-replay?network=nobody')
  assert.deepEqual(none.json().byOutcome, [])
  const bad = await admin(one, 'GET', '/admin/postbacks/bulk-replay?tz=Mars/Base')
  assert.equal(bad.statusCode, 400)
})

test('two operators starting the same bulk replay at once: one run, each refusal replayed once, balances exact', async () => {
  await testDb.db.pool.query('DELETE FROM postback_log') // only this test's refusals
  const verified = await refusals('twice', 30, 'twice-user')
  const unverified = await refusals('twice-bad', 4, 'twice-user', 'wrong-secret-0123456789')
  networks.replace([defaultProfile(config, [SECRET]), acme(['trans_id', 'tid'])]) // the fix

  const starts = await Promise.all([
    admin(one, 'POST', '/admin/postbacks/bulk-replay', { network: 'acme' }),
    admin(two, 'POST', '/admin/postbacks/bulk-replay', { network: 'acme' }),
    admin(one, 'POST', '/admin/postbacks/bulk-replay', { network: 'acme' }),
  ])
  const started = starts.filter((s) => s.statusCode === 200)
  const refused = starts.filter((s) => s.statusCode === 409)
  assert.equal(started.length + refused.length, 3, starts.map((s) => s.body).join('\n'))
  assert.ok(started.length >= 1 && refused.length >= 1, 'the starts overlapped')
  for (const r of refused) {
    assert.equal(r.json().code, 'BULK_RUN_ACTIVE')
    assert.match(
      r.json().message,
      /a bulk replay is already running \(run #\d+, started by ADMIN_TOKEN/,
    )
  }
  // A second start that came after the first ended is a second run over the same rows: it
  // finds them accepted and replays nothing again.
  const runs = await Promise.all(started.map((s) => finished(s.json().id)))
  const first = runs.find((r) => r.counts.accepted > 0)
  assert.ok(first)
  assert.equal(first.state, 'done')
  assert.deepEqual(first.counts, { processed: 30, accepted: 30, refused: 0, skipped: 0 })
  assert.equal(first.planned, 30)

  assert.deepEqual(await replaysPerRefusal(verified), Array(30).fill(1), 'each replayed once')
  assert.deepEqual(await replaysPerRefusal(unverified), Array(4).fill(0), 'unverified excluded')
  assert.equal(await consistentBalance(testDb, 'twice-user'), 30 * 150)

  // Run again: nothing left (every refusal is accepted now), the preview says so.
  const again = await admin(two, 'POST', '/admin/postbacks/bulk-replay', { network: 'acme' })
  assert.equal(again.statusCode, 200)
  const rerun = await finished(again.json().id)
  assert.deepEqual(rerun.counts, { processed: 0, accepted: 0, refused: 0, skipped: 0 })
  const preview = (await admin(one, 'GET', '/admin/postbacks/bulk-replay?network=acme')).json()
  assert.equal(preview.replayable, 0)
  assert.deepEqual(
    preview.excluded.map((e: { reason: string; count: number }) => [e.reason, e.count]),
    [
      ['caller-not-verified', 4],
      ['already-accepted', 30],
    ],
  )
  assert.equal(await consistentBalance(testDb, 'twice-user'), 30 * 150)
})

test('a run whose process died mid-way is resumed from its cursor and replays only the rest', async () => {
  networks.replace([defaultProfile(config, [SECRET]), acme(['trans_id'])])
  await testDb.db.pool.query('DELETE FROM postback_log')
  const txs = await refusals('died', 6, 'died-user')
  networks.replace([defaultProfile(config, [SECRET]), acme(['trans_id', 'tid'])])
  const { rows: ids } = await testDb.db.pool.query<{ id: string }>(
    'SELECT id::text FROM postback_log ORDER BY id',
  )
  assert.equal(ids.length, 6)
  const [, second, third] = ids.map((r) => r.id)
  // The dead process: handled the first two (cursor), replayed the third without moving its
  // cursor, then stopped beating two hours ago.
  const { rows: runRows } = await testDb.db.pool.query<{ id: string }>(
    `INSERT INTO bulk_runs (kind, filter, state, started_by, heartbeat_at, owner, up_to_id, cursor_id, cap, planned, counts)
     SELECT 'replay', '{"network":"acme"}', 'running', 'operator', now() - interval '2 hours', 'dead',
            max(id), $1, 100, 6, '{"processed":2,"accepted":2,"refused":0,"skipped":0}'
     FROM postback_log RETURNING id::text`,
    [second],
  )
  const runId = runRows[0]?.id ?? ''
  await testDb.db.pool.query(
    `INSERT INTO postback_log (network, method, path, status_code, outcome, replay_of, replayed_by, caller_verified)
     VALUES ('acme', 'GET', '/api/postback/acme', 400, 'MISSING_FIELD', $1, 'operator (bulk run)', true)`,
    [third],
  )
  const seen = (await admin(one, 'GET', `/admin/bulk-runs/${runId}`)).json()
  assert.equal(seen.state, 'running')
  assert.equal(seen.stale, true, 'shown as stale: its process stopped')

  // A new start is not blocked by the dead run: it is marked interrupted first.
  const resumed = await admin(two, 'POST', `/admin/bulk-runs/${runId}/resume`)
  assert.equal(resumed.statusCode, 200, resumed.body)
  const done = await finished(runId)
  assert.equal(done.state, 'done')
  assert.deepEqual(done.counts, { processed: 5, accepted: 5, refused: 0, skipped: 0 })
  // Rows 1-2 (before the cursor) are not replayed again, row 3 keeps its one replay.
  assert.deepEqual(await replaysPerRefusal(txs), [0, 0, 1, 1, 1, 1])
  assert.equal(await consistentBalance(testDb, 'died-user'), 3 * 150)

  const again = await admin(one, 'POST', `/admin/bulk-runs/${runId}/resume`)
  assert.equal(again.statusCode, 409)
  assert.equal(again.json().code, 'BULK_RUN_FINISHED')
  const missing = await admin(one, 'POST', '/admin/bulk-runs/99999999/resume')
  assert.equal(missing.json().code, 'BULK_RUN_NOT_FOUND')
  assert.equal((await admin(one, 'GET', '/admin/bulk-runs/99999999')).statusCode, 404)
})

test('closing the service interrupts a run after its current step; resuming it finishes the rest', async () => {
  networks.replace([defaultProfile(config, [SECRET]), acme(['trans_id'])])
  await testDb.db.pool.query('DELETE FROM postback_log')
  const txs = await refusals('close', 40, 'close-user')
  networks.replace([defaultProfile(config, [SECRET]), acme(['trans_id', 'tid'])])
  const third = await buildAppOn(testDb, {}, undefined, { networks })
  const start = await admin(third, 'POST', '/admin/postbacks/bulk-replay', { network: 'acme' })
  assert.equal(start.statusCode, 200)
  await third.close() // SIGTERM: waits for the current step
  const interrupted = (await admin(one, 'GET', `/admin/bulk-runs/${start.json().id}`)).json()
  if (interrupted.state === 'interrupted') {
    assert.ok(interrupted.counts.processed < 40)
    const resumed = await admin(one, 'POST', `/admin/bulk-runs/${start.json().id}/resume`)
    assert.equal(resumed.statusCode, 200)
  } else assert.equal(interrupted.state, 'done') // it was quicker than the close
  await finished(start.json().id)
  assert.deepEqual(await replaysPerRefusal(txs), Array(40).fill(1))
  assert.equal(await consistentBalance(testDb, 'close-user'), 40 * 150)
})
