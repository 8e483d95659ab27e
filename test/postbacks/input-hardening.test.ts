import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { Writable } from 'node:stream'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.js'
import { createLogger } from '../../src/http/logging.js'
import { buildProfile, defaultProfile } from '../../src/networks/profile.js'
import { NetworkRegistry } from '../../src/networks/registry.js'
import {
  ADMIN_TOKEN,
  adminHeaders,
  consistentBalance,
  postbackUrl,
  SECRET,
  uniqueTx,
} from '../helpers/app.js'
import { createTestDatabase, type TestDatabase, testConfig } from '../helpers/database.js'

// Issue 14, items 4-8: hostile input that used to be credited, stored or answered wrongly.
// Every refusal is a 4xx naming what is wrong, kept in the postback log, and changes nothing.
const PUBLIC_URL = 'https://postbacks.example.com'
const BITLABS_KEY = 'bitlabs-app-secret-for-input'
const TAPJOY_KEY = 'tapjoy-secret-key-for-input'
const WANNADS_KEY = 'wannads-secret-key-for-input'
const JSON_ACCEPT = { accept: 'application/json' }

let testDb: TestDatabase
let app: FastifyInstance
const logLines: string[] = []
let cookie = ''
let networks: NetworkRegistry
let config: ReturnType<typeof testConfig>
const ACME_KEY = 'acme-secret-key-for-input'

before(async () => {
  testDb = await createTestDatabase()
  config = testConfig({ ...testDb.env, POSTBACK_SECRET: SECRET, PUBLIC_URL, ADMIN_TOKEN })
  networks = new NetworkRegistry([
    defaultProfile(config, [SECRET]),
    buildProfile('bitlabs', { preset: 'bitlabs', secrets: [BITLABS_KEY] }, config),
    buildProfile('tapjoy', { preset: 'tapjoy', secrets: [TAPJOY_KEY] }, config),
    buildProfile('wannads', { preset: 'wannads', secrets: [WANNADS_KEY] }, config),
    buildProfile('acme', { secrets: [ACME_KEY], params: { offer_id: 'campaign' } }, config),
  ])
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk))
      done()
    },
  })
  const logger = createLogger({ LOG_LEVEL: 'info' }, sink, () => networks.allSecrets())
  app = await buildApp(config, { db: testDb.db, logger, networks })
  const signIn = await app.inject({
    method: 'POST',
    url: '/dashboard/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token: ADMIN_TOKEN, next: '/dashboard' }).toString(),
  })
  cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? ''
})
after(async () => {
  await app.close()
  await testDb.drop()
})

/** BitLabs' documented scheme, written here: hex HMAC-SHA1(app secret, full URL before &hash=). */
function bitlabsSigned(pathAndQuery: string): string {
  const hash = createHmac('sha1', BITLABS_KEY).update(`${PUBLIC_URL}${pathAndQuery}`).digest('hex')
  return `${pathAndQuery}&hash=${hash}`
}

type LogRow = {
  id: string
  outcome: string
  status_code: number
  query: string | null
  body: string | null
  path: string
  tx_id: string | null
  warnings: { field: string; code: string; message: string }[] | null
}

async function lastLogId(): Promise<string> {
  const { rows } = await testDb.db.pool.query<{ id: string }>(
    'SELECT COALESCE(max(id), 0)::text AS id FROM postback_log',
  )
  return rows[0]?.id ?? '0'
}

async function logSince(id: string): Promise<LogRow[]> {
  const { rows } = await testDb.db.pool.query<LogRow>(
    `SELECT id::text, outcome, status_code, query, body, path, tx_id, warnings FROM postback_log
     WHERE id > $1::bigint ORDER BY id`,
    [id],
  )
  return rows
}

async function conversion(network: string, txId: string) {
  const { rows } = await testDb.db.pool.query<{
    status: string
    user_id: string
    points: string
    subs: unknown
  }>(
    `SELECT status, user_id, points::text, to_jsonb(c) AS subs FROM conversions c
     WHERE network = $1 AND tx_id = $2`,
    [network, txId],
  )
  return rows[0]
}

async function conversionCount(): Promise<number> {
  const { rows } = await testDb.db.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM conversions',
  )
  return rows[0]?.n ?? -1
}

const balance = (user: string) => consistentBalance(testDb, user)

/** A valid default-network postback for a fresh user, with `extra` fields merged in. */
function valid(extra: Record<string, string> = {}) {
  const user = uniqueTx('user')
  const tx = uniqueTx('tx')
  return { user, tx, fields: { tx_id: tx, offer_id: 'o1', payout: '1', user_id: user, ...extra } }
}

// --- item 6: HEAD ---------------------------------------------------------------------------

test('when a valid postback arrives as HEAD, then 405 with Allow: GET, POST, nothing is recorded or credited; GET then credits', async () => {
  const { user, tx, fields } = valid()
  for (const url of [postbackUrl(fields), postbackUrl(fields, '/api/postback/default')]) {
    const since = await lastLogId()
    const head = await app.inject({ method: 'HEAD', url })
    assert.equal(head.statusCode, 405)
    assert.equal(head.headers.allow, 'GET, POST')
    assert.equal(head.body, '')
    assert.deepEqual(await logSince(since), [])
    assert.equal(await conversion('default', tx), undefined)
    assert.equal(await balance(user), 0)
  }
  const get = await app.inject({ url: postbackUrl(fields) })
  assert.equal(get.headers['x-postback-outcome'], 'credited')
  assert.equal(await balance(user), 100)
})

// --- also: JSON refusal statusCode under a profile's status override --------------------------

test('when a profile overrides the refusal status (Tapjoy: 403), then the JSON body statusCode equals the HTTP status', async () => {
  const user = uniqueTx('tj-user')
  const id = uniqueTx('tj')
  // Correctly signed, but the currency amount is not a decimal: a 400 INVALID_FIELD underneath.
  const verifier = createHash('md5').update(`${id}:${user}:lots:${TAPJOY_KEY}`).digest('hex')
  const since = await lastLogId()
  const response = await app.inject({
    url: `/api/postback/tapjoy?id=${id}&snuid=${user}&currency=lots&verifier=${verifier}`,
    headers: JSON_ACCEPT,
  })
  assert.equal(response.statusCode, 403)
  const body = response.json()
  assert.equal(body.statusCode, 403)
  assert.equal(body.code, 'INVALID_FIELD')
  assert.equal(body.error, 'Forbidden')
  assert.equal(response.headers['x-postback-outcome'], 'INVALID_FIELD')
  assert.deepEqual(
    (await logSince(since)).map((row) => row.outcome),
    ['INVALID_FIELD'],
  )
  assert.equal(await balance(user), 0)
})

// --- item 4: parameters after the URL signature ----------------------------------------------

test('when parameters are appended after a genuine BitLabs hash, then 403 UNSIGNED_PARAMS and nothing is reversed', async () => {
  const victim = uniqueTx('bl-victim')
  const victimTx = uniqueTx('bl')
  const credit = await app.inject(
    bitlabsSigned(
      `/api/postback/bitlabs?uid=${victim}&val=500&raw=0.50&tx=${victimTx}&type=COMPLETE`,
    ),
  )
  assert.equal(credit.headers['x-postback-outcome'], 'credited')
  assert.equal(await balance(victim), 500)

  // The attacker's own genuine callback (no type: a completion), with a reconciliation of the
  // victim's tx appended.
  const attacker = uniqueTx('bl-attacker')
  const own = bitlabsSigned(`/api/postback/bitlabs?uid=${attacker}&val=1&tx=${uniqueTx('bl')}`)
  for (const appended of [
    `${own}&type=RECONCILIATION&ref=${victimTx}`,
    `${own}&ref=${victimTx}`,
    `${own}&hash=x`,
  ]) {
    const since = await lastLogId()
    const response = await app.inject({ url: appended, headers: JSON_ACCEPT })
    assert.equal(response.statusCode, 403, appended)
    assert.equal(response.json().code, 'UNSIGNED_PARAMS')
    assert.match(response.json().message, /after the signature parameter hash/)
    const logged = await logSince(since)
    assert.deepEqual(
      logged.map((row) => [row.outcome, row.status_code]),
      [['UNSIGNED_PARAMS', 403]],
    )
    assert.ok(!logged[0]?.query?.includes(BITLABS_KEY))
  }
  assert.equal((await conversion('bitlabs', victimTx))?.status, 'approved')
  assert.equal(await balance(victim), 500)
  assert.equal(await balance(attacker), 0)

  // The same unsigned fields in a POST body are refused too.
  const since = await lastLogId()
  const posted = await app.inject({
    method: 'POST',
    url: own,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...JSON_ACCEPT },
    payload: `type=RECONCILIATION&ref=${victimTx}`,
  })
  assert.equal(posted.statusCode, 403)
  assert.equal(posted.json().code, 'UNSIGNED_PARAMS')
  assert.equal((await logSince(since))[0]?.outcome, 'UNSIGNED_PARAMS')
  assert.equal(await balance(victim), 500)

  // A genuine signed reconciliation still reverses, and a trailing "&" is harmless.
  const reversal = await app.inject(
    `${bitlabsSigned(`/api/postback/bitlabs?uid=${victim}&val=500&tx=${uniqueTx('bl')}&ref=${victimTx}&type=RECONCILIATION`)}&`,
  )
  assert.equal(reversal.headers['x-postback-outcome'], 'reversed')
  assert.equal(await balance(victim), 0)
})

test('when a signed BitLabs reconciliation names a bad ref (%00, a macro, too long), then 400 naming ref, logged, nothing reversed', async () => {
  const user = uniqueTx('bl-user')
  const tx = uniqueTx('bl')
  await app.inject(
    bitlabsSigned(`/api/postback/bitlabs?uid=${user}&val=300&tx=${tx}&type=COMPLETE`),
  )
  assert.equal(await balance(user), 300)
  const cases: [string, string][] = [
    ['%00', 'INVALID_FIELD'],
    ['%0A', 'INVALID_FIELD'],
    ['[%25REF%25]', 'UNREPLACED_MACRO'],
    ['%7BREF%7D', 'UNREPLACED_MACRO'],
    ['x'.repeat(256), 'INVALID_FIELD'],
  ]
  for (const [ref, code] of cases) {
    const since = await lastLogId()
    const response = await app.inject({
      url: bitlabsSigned(
        `/api/postback/bitlabs?uid=${user}&val=300&tx=${uniqueTx('bl')}&ref=${ref}&type=RECONCILIATION`,
      ),
      headers: JSON_ACCEPT,
    })
    assert.equal(response.statusCode, 400, ref)
    assert.equal(response.json().code, code, ref)
    assert.deepEqual(
      response.json().fields.map((f: { field: string }) => f.field),
      ['ref'],
    )
    assert.deepEqual(
      (await logSince(since)).map((row) => [row.outcome, row.status_code]),
      [[code, 400]],
      ref,
    )
  }
  assert.equal((await conversion('bitlabs', tx))?.status, 'approved')
  assert.equal(await balance(user), 300)
})

// --- item 5: macros in other syntaxes ----------------------------------------------------------

const MACROS = [
  '%%USER%%',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal macro is the point
  '${user_id}',
  '<USER_ID>',
  '<%USER_ID%>',
  '%7Buser_id%7D',
  '%257Buser_id%257D', // arrives (decoded once) as %7Buser_id%7D
  '%25%25USER%25%25',
]

test('when user_id or tx_id holds a macro in another syntax (%%X%%, $-brace, <X>, double-encoded), then 400 UNREPLACED_MACRO and nothing is stored', async () => {
  const before = await conversionCount()
  for (const field of ['user_id', 'tx_id', 'payout', 'offer_id', 'status']) {
    for (const macro of MACROS) {
      const { user, fields } = valid()
      const url = `${postbackUrl({ ...fields, [field]: 'PLACEHOLDER' })}`.replace(
        'PLACEHOLDER',
        // raw in the URL, as a network would send it (encoded where a URL needs it)
        macro.replace(/[${}<>]/g, (c) => encodeURIComponent(c)),
      )
      const since = await lastLogId()
      const response = await app.inject({ url, headers: JSON_ACCEPT })
      assert.equal(response.statusCode, 400, `${field} ${macro}`)
      assert.equal(response.json().code, 'UNREPLACED_MACRO', `${field} ${macro}`)
      assert.deepEqual(
        response.json().fields.map((f: { field: string }) => f.field),
        [field],
      )
      assert.deepEqual(
        (await logSince(since)).map((row) => row.outcome),
        ['UNREPLACED_MACRO'],
      )
      assert.equal(await balance(user), 0)
    }
  }
  assert.equal(await conversionCount(), before)
})

test('when click_id or sub2 holds a macro, then the postback is credited and the log row, admin API and dashboard carry a warning', async () => {
  const clickMacro = ['$', '{click_id}'].join('')
  const { user, tx, fields } = valid({ click_id: clickMacro, sub2: '%%SUB2%%', sub3: 'fine' })
  const since = await lastLogId()
  const response = await app.inject(postbackUrl(fields))
  assert.equal(response.headers['x-postback-outcome'], 'credited')
  assert.equal(await balance(user), 100)
  const [row] = await logSince(since)
  assert.deepEqual(
    row?.warnings?.map((w) => [w.field, w.code]),
    [
      ['click_id', 'UNREPLACED_MACRO'],
      ['sub2', 'UNREPLACED_MACRO'],
    ],
  )
  assert.equal((await conversion('default', tx))?.status, 'approved')

  const api = await app.inject({ url: '/admin/postbacks?limit=5', headers: adminHeaders })
  const item = api.json().items.find((i: { id: string }) => i.id === row?.id)
  assert.equal(item.warnings.length, 2)
  assert.match(item.warnings[1].message, /sub2 still contains the macro %%SUB2%%/)
  // A row without warnings answers an empty list, not null.
  const other = valid()
  await app.inject(postbackUrl(other.fields))
  const again = await app.inject({ url: '/admin/postbacks?limit=1', headers: adminHeaders })
  assert.deepEqual(again.json().items[0].warnings, [])

  const page = await app.inject({ url: `/dashboard/postbacks/${row?.id}`, headers: { cookie } })
  assert.equal(page.statusCode, 200)
  assert.match(page.body, /2 warnings/)
  assert.match(page.body, /sub2 still contains the macro %%SUB2%%/)
  const list = await app.inject({ url: '/dashboard/postbacks', headers: { cookie } })
  assert.match(list.body, /2 warnings/)
})

test('when the click id decides a reversal (Wannads uuid) and holds a macro, then 400 UNREPLACED_MACRO; elsewhere it is only flagged', async () => {
  const user = uniqueTx('wa-user')
  const signedWannads = (tx: string, status: string, uuid: string) => {
    const signature = createHash('md5').update(`${user}${tx}100${WANNADS_KEY}`).digest('hex')
    return `/api/postback/wannads?subId=${user}&transId=${tx}&reward=100&status=${status}&uuid=${encodeURIComponent(uuid)}&signature=${signature}`
  }
  // An approval whose uuid macro was never filled: refused, so no later rejection can match it.
  const macro = '{uuid}'
  const approval = await app.inject({
    url: signedWannads(uniqueTx('wa'), '1', macro),
    headers: JSON_ACCEPT,
  })
  assert.equal(approval.statusCode, 400)
  assert.equal(approval.json().code, 'UNREPLACED_MACRO')
  assert.deepEqual(
    approval.json().fields.map((f: { field: string }) => f.field),
    ['click_id'],
  )
  assert.equal(await balance(user), 0)
  const fine = await app.inject(signedWannads(uniqueTx('wa'), '1', 'click-1'))
  assert.equal(fine.headers['x-postback-outcome'], 'credited')
  assert.equal(await balance(user), 100)
})

test('when a refused postback with a macro in sub2 is replayed from the dashboard, then the accepted replay row carries the warning', async () => {
  const user = uniqueTx('acme-user')
  const tx = uniqueTx('acme')
  const since = await lastLogId()
  const refused = await app.inject(
    `/api/postback/acme?secret=${ACME_KEY}&tx_id=${tx}&offer=o1&payout=1&user_id=${user}&sub2=%25%25SUB2%25%25`,
  )
  assert.equal(refused.headers['x-postback-outcome'], 'MISSING_FIELD')
  const [row] = await logSince(since)
  // The operator adds the alias the network uses, then replays.
  const fixed = networks
    .names()
    .map((name) =>
      name === 'acme'
        ? buildProfile(
            'acme',
            { secrets: [ACME_KEY], params: { offer_id: ['campaign', 'offer'] } },
            config,
          )
        : (networks.get(name) as NonNullable<ReturnType<typeof networks.get>>),
    )
  networks.replace(fixed)
  const page = await app.inject({ url: `/dashboard/postbacks/${row?.id}`, headers: { cookie } })
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? ''
  const replay = await app.inject({
    method: 'POST',
    url: `/dashboard/postbacks/${row?.id}/replay`,
    headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrf }).toString(),
  })
  assert.equal(replay.statusCode, 303, replay.body)
  const rows = await logSince(row?.id ?? '0')
  assert.deepEqual(
    rows.map((r) => [r.outcome, r.warnings?.map((w) => w.field)]),
    [['credited', ['sub2']]],
  )
  assert.equal(await balance(user), 100)
})

// --- item 7: secrets in other fields and other encodings ---------------------------------------

test('when tx_id or sub2 equals an active secret, then 400 SECRET_IN_FIELD, nothing stored, and the log row hides it', async () => {
  for (const [field, secret] of [
    ['tx_id', SECRET],
    ['sub2', SECRET],
    ['click_id', BITLABS_KEY],
  ] as const) {
    const { user, fields } = valid({ [field]: secret })
    const before = await conversionCount()
    const since = await lastLogId()
    const response = await app.inject({ url: postbackUrl(fields), headers: JSON_ACCEPT })
    assert.equal(response.statusCode, 400, field)
    assert.equal(response.json().code, 'SECRET_IN_FIELD')
    assert.deepEqual(
      response.json().fields.map((f: { field: string }) => f.field),
      [field],
    )
    assert.ok(!response.body.includes(secret))
    assert.equal(await conversionCount(), before)
    assert.equal(await balance(user), 0)
    const logged = await logSince(since)
    assert.equal(logged[0]?.outcome, 'SECRET_IN_FIELD')
    assert.ok(!JSON.stringify(logged).includes(secret), JSON.stringify(logged))
  }
})

test('when a secret arrives percent-encoded another way (%74, lower/upper hex, + for space), then stored rows and the stdout log never hold it', async () => {
  const encodings = [
    // the default secret under a harmless name, spelled differently each time
    `%74${SECRET.slice(1)}`,
    SECRET.split('')
      .map((c) => `%${c.charCodeAt(0).toString(16)}`)
      .join(''),
    SECRET.split('')
      .map((c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
      .join(''),
    `${SECRET.slice(0, 4)}%2d${SECRET.slice(5)}`,
  ]
  for (const encoded of encodings) {
    const { user, fields } = valid()
    const url = `${postbackUrl(fields)}&note=${encoded}`
    const since = await lastLogId()
    logLines.length = 0
    const accepted = await app.inject(url)
    assert.equal(accepted.headers['x-postback-outcome'], 'credited', encoded)
    assert.equal(await balance(user), 100)
    // Refused too (the secret as the network's name): redacted the same way.
    const refused = await app.inject(`/api/postback/${encoded}?note=${encoded}`)
    assert.equal(refused.headers['x-postback-outcome'], 'UNKNOWN_NETWORK')
    const stored = await logSince(since)
    assert.equal(stored.length, 2)
    for (const row of stored) {
      const decoded = decodeURIComponent(`${row.path}?${row.query ?? ''}`)
      assert.ok(!decoded.includes(SECRET), `${encoded}: ${decoded}`)
    }
    const log = logLines.join('')
    assert.ok(log.length > 0)
    assert.ok(!decodeURIComponent(log).includes(SECRET), `${encoded}: stdout`)
  }

  // BitLabs' app secret with a space: "+" and "%20" in a form body.
  const spaced = 'my spaced secret value'
  const config = testConfig({ ...testDb.env, POSTBACK_SECRET: SECRET })
  const own = new NetworkRegistry([defaultProfile(config, [SECRET, spaced])])
  const second = await buildApp(config, {
    db: testDb.db,
    logger: createLogger({ LOG_LEVEL: 'silent' }),
    networks: own,
  })
  try {
    for (const encoded of ['my+spaced+secret+value', 'my%20spaced%20secret+value']) {
      const { fields } = valid()
      const since = await lastLogId()
      await second.inject({
        method: 'POST',
        url: postbackUrl(fields),
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: `note=${encoded}`,
      })
      const [row] = await logSince(since)
      assert.ok(row?.body?.includes('[REDACTED]'), row?.body ?? '')
      assert.ok(!decodeURIComponent(row?.body?.replace(/\+/g, ' ') ?? '').includes(spaced))
    }
  } finally {
    await second.close()
  }
})

// --- item 8: control characters in status, lone surrogates, points beyond 2^53 -----------------

test('when status carries a control character (approved%0A, %00, %09), then 400 INVALID_FIELD naming status', async () => {
  for (const status of ['approved%0A', 'approved%00', '%09approved', 'approved%0D%0A']) {
    const { user, tx, fields } = valid()
    const since = await lastLogId()
    const response = await app.inject({
      url: `${postbackUrl(fields)}&status=${status}`,
      headers: JSON_ACCEPT,
    })
    assert.equal(response.statusCode, 400, status)
    assert.equal(response.json().code, 'INVALID_FIELD')
    assert.deepEqual(response.json().fields, [
      {
        field: 'status',
        code: 'INVALID_FIELD',
        message: 'status must not contain control characters',
      },
    ])
    assert.equal((await logSince(since))[0]?.outcome, 'INVALID_FIELD')
    assert.equal(await conversion('default', tx), undefined)
    assert.equal(await balance(user), 0)
  }
})

test('when JSON ids hold lone UTF-16 surrogates, then 400 INVALID_FIELD (never stored as U+FFFD duplicates)', async () => {
  const user = uniqueTx('user')
  const before = await conversionCount()
  for (const lone of ['\\ud800', '\\udc00', '\\udfff']) {
    for (const field of ['tx_id', 'user_id', 'sub2']) {
      const body: Record<string, string> = {
        secret: SECRET,
        tx_id: uniqueTx('tx'),
        offer_id: 'o1',
        payout: '1',
        user_id: user,
      }
      const raw = JSON.stringify({ ...body, [field]: `id-LONE` }).replace('LONE', lone)
      const response = await app.inject({
        method: 'POST',
        url: '/api/postback',
        headers: { 'content-type': 'application/json', ...JSON_ACCEPT },
        payload: raw,
      })
      assert.equal(response.statusCode, 400, `${field} ${lone}`)
      assert.equal(response.json().code, 'INVALID_FIELD')
      assert.deepEqual(response.json().fields, [
        {
          field,
          code: 'INVALID_FIELD',
          message: `${field} must not contain a lone UTF-16 surrogate (a broken \\ud800 escape)`,
        },
      ])
    }
  }
  assert.equal(await conversionCount(), before)
  assert.equal(await balance(user), 0)
  // A well-formed pair (an emoji) is fine.
  const ok = await app.inject({
    method: 'POST',
    url: '/api/postback',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({
      secret: SECRET,
      tx_id: `${uniqueTx('tx')}-\ud83d\ude00`,
      offer_id: 'o1',
      payout: '1',
      user_id: user,
    }),
  })
  assert.equal(ok.headers['x-postback-outcome'], 'credited')
})

test('when points would exceed 2^53 - 1, then 400 INVALID_FIELD naming payout; at the bound they are exact in the answer, admin API and balance', async () => {
  const { user, tx, fields } = valid({ payout: '99999999999999' }) // 9,999,999,999,999,900 points
  const since = await lastLogId()
  const refused = await app.inject({ url: postbackUrl(fields), headers: JSON_ACCEPT })
  assert.equal(refused.statusCode, 400)
  assert.equal(refused.json().code, 'INVALID_FIELD')
  assert.deepEqual(
    refused.json().fields.map((f: { field: string }) => f.field),
    ['payout'],
  )
  assert.match(refused.json().message, /9999999999999900 points, more than .*9007199254740991/)
  assert.equal((await logSince(since))[0]?.outcome, 'INVALID_FIELD')
  assert.equal(await conversion('default', tx), undefined)
  assert.equal(await balance(user), 0)

  // Exactly 2^53 - 1 points: 90071992547409.91 × 100.
  const atBound = valid({ payout: '90071992547409.91' })
  const credited = await app.inject({ url: postbackUrl(atBound.fields), headers: JSON_ACCEPT })
  assert.equal(credited.statusCode, 200)
  assert.match(credited.body, /"points":9007199254740991[,}]/)
  const row = await conversion('default', atBound.tx)
  assert.equal(row?.points, '9007199254740991')
  const { rows } = await testDb.db.pool.query<{ points: string }>(
    'SELECT points::text FROM balances WHERE user_id = $1',
    [atBound.user],
  )
  assert.equal(rows[0]?.points, '9007199254740991')
  const api = await app.inject({
    url: `/admin/conversions?txId=${atBound.tx}`,
    headers: adminHeaders,
  })
  assert.match(api.body, /"points":9007199254740991[,}]/)
})
