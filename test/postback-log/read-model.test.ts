import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { RowShapeError } from '../../src/db/row-schema.js'
import { normalizeDecimal } from '../../src/ledger/decimal.js'
import { buildProfile, defaultProfile } from '../../src/networks/profile.js'
import { NetworkRegistry } from '../../src/networks/registry.js'
import { loadDoctorRows } from '../../src/operations/doctor/run.js'
import { selectRefusals } from '../../src/operations/replay-selection.js'
import { getLogEntry, listLog, logOfConversion } from '../../src/postback-log/queries.js'
import { type LogEntry, postbackLogRowSchema } from '../../src/postback-log/rows.js'
import {
  ADMIN_TOKEN,
  adminHeaders,
  buildAppOn,
  postbackUrl,
  SECRET,
  uniqueTx,
} from '../helpers/app.js'
import { createTestDatabase, type TestDatabase, testConfig } from '../helpers/database.js'
import { capturingLogger } from '../helpers/logging.js'
import { assertSchemaAgrees } from '../helpers/row-schemas.js'

// postback_log has one read model (src/postback-log): one row schema checked where rows leave
// the database, one mapper. Every reader (the admin API, the dashboard's list, entry, live log
// and conversion timeline, replay's selection, doctor) must see the same entry, and a row that
// does not fit fails the request that read it, naming the column, while the service goes on.

const config = testConfig({ POSTBACK_SECRET: SECRET, ADMIN_TOKEN })
const profiles = (fixed: boolean) => [
  defaultProfile(config, [SECRET]),
  // The network first names its transaction id `txn`; the fix adds the alias `tid`.
  buildProfile(
    'aliasnet',
    { secrets: [SECRET], params: { tx_id: fixed ? ['txn', 'tid'] : ['txn'] } },
    config,
  ),
  buildProfile('poisoned', { secrets: [SECRET] }, config),
]
const networks = new NetworkRegistry(profiles(false))
const form = { 'content-type': 'application/x-www-form-urlencoded' }

let testDb: TestDatabase
let app: FastifyInstance
let log: ReturnType<typeof capturingLogger>
let cookie = ''
let csrf = ''

before(async () => {
  testDb = await createTestDatabase()
  log = capturingLogger()
  app = await buildAppOn(testDb, {}, log.logger, { networks })
  const signIn = await app.inject({
    method: 'POST',
    url: '/dashboard/login',
    headers: form,
    payload: new URLSearchParams({ token: ADMIN_TOKEN, next: '/dashboard' }).toString(),
  })
  cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? ''
  const page = await app.inject({ url: '/dashboard/postbacks', headers: { cookie } })
  csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
})
after(async () => {
  await app?.close()
  await testDb?.drop()
})

const dashboard = (url: string) => app.inject({ url, headers: { cookie } })
const fields = (extra: Record<string, string> = {}) => ({
  tx_id: uniqueTx('log'),
  user_id: 'reader',
  offer_id: 'o1',
  payout: '1.50',
  ...extra,
})

/** The log as stored, mapped here by hand: the oracle every read path is compared with. */
async function storedEntries(): Promise<LogEntry[]> {
  const { rows } = await testDb.db.pool.query(
    `SELECT l.id::text, l.received_at, l.network, l.method, l.path, l.query, l.body, l.headers,
            l.source_ip, l.status_code, l.outcome, l.message, l.tx_id, l.conversion_id::text,
            l.replay_of::text, l.replayed_by, l.caller_verified, l.warnings,
            l.mismatched_payout::text, c.user_id AS c_user, c.offer_id AS c_offer,
            c.payout::text AS c_payout, c.currency AS c_currency
     FROM postback_log l LEFT JOIN conversions c ON c.id = l.conversion_id ORDER BY l.id`,
  )
  return rows.map((row, _, all) => {
    const accepted = all.find((r) => r.replay_of === row.id && r.status_code === 200)
    return {
      id: row.id,
      receivedAt: row.received_at,
      network: row.network,
      method: row.method,
      path: row.path,
      query: row.query,
      body: row.body,
      headers: row.headers,
      sourceIp: row.source_ip,
      statusCode: row.status_code,
      outcome: row.outcome,
      message: row.message,
      txId: row.tx_id,
      conversionId: row.conversion_id,
      replayOf: row.replay_of,
      replayedBy: row.replayed_by,
      callerVerified: row.caller_verified,
      warnings: row.warnings ?? [],
      acceptedReplay: accepted ? { id: accepted.id, outcome: accepted.outcome } : null,
      mismatchedPayout: row.mismatched_payout && normalizeDecimal(row.mismatched_payout),
      conversion: row.conversion_id && {
        userId: row.c_user,
        offerId: row.c_offer,
        payout: row.c_payout && normalizeDecimal(row.c_payout),
        currency: row.c_currency,
      },
    }
  })
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of items) all.push(item)
  return all
}

test('the postback_log row schema allows NULL exactly where the table does', async () => {
  await assertSchemaAgrees(testDb.db.pool, 'postback_log', postbackLogRowSchema)
})

test('when postbacks are accepted, flagged, refused and replayed, then every read path shows each row the same', async () => {
  const send = (url: string) => app.inject({ url })
  assert.equal((await send(postbackUrl(fields()))).headers['x-postback-outcome'], 'credited')
  const flagged = await send(postbackUrl(fields({ sub2: '%%SUB2%%' })))
  assert.equal(flagged.headers['x-postback-outcome'], 'credited')
  const { tx_id: _, ...noTx } = fields()
  assert.equal((await send(postbackUrl(noTx))).headers['x-postback-outcome'], 'MISSING_FIELD')
  assert.equal((await send(postbackUrl(fields({ secret: 'wrong' })))).statusCode, 403)
  assert.equal((await send(postbackUrl(fields(), '/api/postback/nonesuch'))).statusCode, 404)
  // Refused for a missing field, then replayed (and accepted) once the alias is configured.
  const { tx_id, ...rest } = fields()
  const aliased = await send(postbackUrl({ ...rest, tid: tx_id }, '/api/postback/aliasnet'))
  assert.equal(aliased.headers['x-postback-outcome'], 'MISSING_FIELD')
  networks.replace(profiles(true))
  const refusedId = (await storedEntries()).at(-1)?.id ?? ''
  const replay = await app.inject({
    method: 'POST',
    url: `/dashboard/postbacks/${refusedId}/replay`,
    headers: { cookie, ...form },
    payload: new URLSearchParams({ _csrf: csrf }).toString(),
  })
  assert.equal(replay.statusCode, 303, replay.body)
  assert.match(String(replay.headers.location), /notice=replayed/)

  const expected = await storedEntries()
  assert.equal(expected.length, 7)
  const byId = new Map(expected.map((entry) => [entry.id, entry]))
  const replayed = expected.find((e) => e.replayOf === refusedId)
  assert.ok(replayed)
  assert.deepEqual(byId.get(refusedId)?.acceptedReplay, { id: replayed.id, outcome: 'credited' })
  assert.equal(replayed.replayedBy, 'dashboard from 127.0.0.1')
  assert.deepEqual(
    expected.map((e) => [e.outcome, e.callerVerified, e.warnings.map((w) => w.field)]),
    [
      ['credited', true, []],
      ['credited', true, ['sub2']],
      ['MISSING_FIELD', true, []],
      ['BAD_SECRET', false, []],
      ['UNKNOWN_NETWORK', false, []],
      ['MISSING_FIELD', true, []],
      ['credited', true, []],
    ],
  )

  // The dashboard's list (newest first), its live log (oldest first, after an id) and an entry.
  assert.deepEqual(await listLog(testDb.db.pool, {}, 100), [...expected].reverse())
  assert.deepEqual(
    await listLog(testDb.db.pool, { after: expected[1]?.id }, 100, 'oldest-first'),
    expected.slice(2),
  )
  for (const entry of expected) {
    assert.deepEqual(await getLogEntry(testDb.db.pool, entry.id), entry)
    if (entry.conversionId) {
      const timeline = await logOfConversion(testDb.db.pool, entry.conversionId)
      assert.deepEqual(
        timeline.find((e) => e.id === entry.id),
        entry,
      )
    }
  }
  // Replay: every original refusal since a time, or one id (a replay row leads to its original).
  const refusals = expected.filter((e) => e.statusCode >= 400 && e.replayOf === null)
  assert.deepEqual(
    await collect(selectRefusals(testDb.db.pool, { since: new Date(0), limit: 100 })),
    refusals,
  )
  assert.deepEqual(await collect(selectRefusals(testDb.db.pool, { id: replayed.id })), [
    byId.get(refusedId),
  ])
  // Doctor: the network's own requests, newest first, not the operator's replays.
  assert.deepEqual(
    await loadDoctorRows(testDb.db.pool, 'aliasnet'),
    expected.filter((e) => e.network === 'aliasnet' && e.replayOf === null).reverse(),
  )

  // The admin API answers the same values (dates as ISO strings, no replay fields).
  const api = await app.inject({ url: '/admin/postbacks?limit=100', headers: adminHeaders })
  assert.equal(api.statusCode, 200, api.body)
  assert.deepEqual(
    api.json().items,
    [...expected]
      .reverse()
      .map(({ replayOf, replayedBy, acceptedReplay, receivedAt, ...entry }) => ({
        ...entry,
        receivedAt: receivedAt.toISOString(),
      })),
  )
  const refusedOnly = await app.inject({
    url: '/admin/postbacks?outcome=MISSING_FIELD&network=aliasnet',
    headers: adminHeaders,
  })
  assert.deepEqual(
    refusedOnly.json().items.map((i: { id: string }) => i.id),
    [refusedId],
  )

  // The dashboard renders each row from the same entry.
  for (const entry of expected) {
    const page = await dashboard(`/dashboard/postbacks/${entry.id}`)
    assert.equal(page.statusCode, 200, page.body.slice(0, 300))
    assert.match(
      page.body,
      new RegExp(
        `caller ${entry.callerVerified ? 'verified' : 'not verified'} · log #${entry.id}<`,
      ),
    )
  }
  const original = await dashboard(`/dashboard/postbacks/${refusedId}`)
  assert.match(original.body, new RegExp(`Replayed and accepted as <a [^>]*>#${replayed.id}</a>`))
  const conversion = await dashboard(`/dashboard/conversions/${replayed.conversionId}`)
  assert.match(
    conversion.body,
    new RegExp(`<a href="/dashboard/postbacks/${replayed.id}">log #${replayed.id}</a>`),
  )
  const refusedList = await dashboard('/dashboard/postbacks?outcome=refused&period=all')
  assert.deepEqual(
    [...refusedList.body.matchAll(/id="entry-(\d+)"/g)].map((m) => m[1]),
    refusals.map((e) => e.id).reverse(),
  )
})

test('when a stored row does not fit the read model, then the requests reading it fail naming the column, and the rest of the service answers', async () => {
  const { rows } = await testDb.db.pool.query<{ id: string }>(
    `INSERT INTO postback_log (network, method, path, headers, status_code, outcome, warnings)
     VALUES ('poisoned', 'GET', '/api/postback/poisoned', '{"user-agent": 7}', 400,
             'MISSING_FIELD', '[{"field": "sub2", "message": "secret-looking-value"}]')
     RETURNING id::text`,
  )
  const id = rows[0]?.id ?? ''
  const named = new RegExp(
    `postback_log row ${id} does not fit its read model: headers\\.user-agent: [^;]+; warnings\\.0\\.code: `,
  )
  const isNamed = (error: unknown) =>
    error instanceof RowShapeError &&
    named.test(error.message) &&
    !/secret-looking/.test(error.message)

  // The admin API and the dashboard: that request fails (500, generic), the log names the column.
  const api = await app.inject({ url: '/admin/postbacks', headers: adminHeaders })
  assert.equal(api.statusCode, 500)
  assert.equal(api.json().code, 'INTERNAL_ERROR')
  assert.doesNotMatch(api.body, /user-agent|secret-looking/)
  assert.match(log.lines(), named)
  for (const url of ['/dashboard/postbacks', `/dashboard/postbacks/${id}`]) {
    const page = await dashboard(url)
    assert.equal(page.statusCode, 500, url)
    assert.match(page.body, /Something went wrong; the details are in the service log/)
  }
  const doctor = await app.inject({
    url: '/admin/networks/poisoned/doctor',
    headers: adminHeaders,
  })
  assert.equal(doctor.statusCode, 500)
  // Replay (the CLI's and the dashboard's selection) refuses the row with the same message.
  await assert.rejects(collect(selectRefusals(testDb.db.pool, { id })), isNamed)
  await assert.rejects(
    collect(selectRefusals(testDb.db.pool, { since: new Date(0), limit: 100 })),
    isNamed,
  )
  const replay = await app.inject({
    method: 'POST',
    url: `/dashboard/postbacks/${id}/replay`,
    headers: { cookie, ...form },
    payload: new URLSearchParams({ _csrf: csrf }).toString(),
  })
  assert.equal(replay.statusCode, 500)

  // Everything that does not read that row still answers.
  const others = await app.inject({
    url: '/admin/postbacks?network=default',
    headers: adminHeaders,
  })
  assert.equal(others.statusCode, 200, others.body)
  assert.equal(others.json().items.length, 4)
  assert.equal((await dashboard('/dashboard/postbacks?network=aliasnet')).statusCode, 200)
  assert.equal(
    (await app.inject({ url: '/admin/networks/default/doctor', headers: adminHeaders })).statusCode,
    200,
  )
  const fresh = await app.inject({ url: postbackUrl(fields()) })
  assert.equal(fresh.headers['x-postback-outcome'], 'credited')
})
