import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FastifyInstance, InjectOptions } from 'fastify'
import {
  balanceOf,
  buildAppOn,
  createTestApp,
  postbackUrl,
  SECRET,
  type TestApp,
  uniqueTx,
} from '../helpers/app.js'

// Bad input gets a clear 4xx naming what is wrong, is kept in the postback log with its code,
// and changes nothing: no conversion row, no balance movement.
let t: TestApp
let app: FastifyInstance
before(async () => {
  t = await createTestApp()
  app = t.app
})
after(() => t.close())

const JSON_ACCEPT = { accept: 'application/json' }
const FORM = 'application/x-www-form-urlencoded'
const PAYOUT_PROBLEM =
  'payout must be a plain decimal such as 3.50: digits, at most 6 decimal places, no sign, exponent or comma'

type LogRow = { outcome: string; status_code: number; network: string | null; message: string }

async function lastLogId(): Promise<string> {
  const { rows } = await t.testDb.db.pool.query<{ id: string }>(
    'SELECT COALESCE(max(id), 0)::text AS id FROM postback_log',
  )
  return rows[0]?.id ?? '0'
}

/** Sends a request and returns its answer with the postback log rows it added. */
async function send(options: InjectOptions, target: FastifyInstance = app) {
  const since = await lastLogId()
  const response = await target.inject(options)
  const { rows } = await t.testDb.db.pool.query<LogRow>(
    `SELECT outcome, status_code, network, message FROM postback_log
     WHERE id > $1::bigint ORDER BY id`,
    [since],
  )
  return { response, logged: rows }
}

/** Conversions whose tx_id starts with `prefix` (a uniqueTx value, or a literal macro). */
async function conversionsStartingWith(prefix: string): Promise<number> {
  const { rows } = await t.testDb.db.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM conversions WHERE left(tx_id, length($1)) = $1',
    [prefix],
  )
  return rows[0]?.n ?? -1
}

async function conversionOf(txId: string) {
  const { rows } = await t.testDb.db.pool.query<{ status: string; payout: string; points: string }>(
    'SELECT status, payout::text, points::text FROM conversions WHERE tx_id = $1',
    [txId],
  )
  return rows
}

/** A user no other test touches, already credited 100 points, so "unchanged" means 100. */
async function creditedUser(): Promise<string> {
  const userId = uniqueTx('user')
  const response = await app.inject(
    postbackUrl({ tx_id: uniqueTx('seed'), offer_id: 'seed', payout: '1', user_id: userId }),
  )
  assert.equal(response.headers['x-postback-outcome'], 'credited')
  assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 100, ledger: 100 })
  return userId
}

/** A complete, valid postback for this transaction and user. */
function fields(txId: string, userId: string): Record<string, string> {
  return { tx_id: txId, offer_id: 'offer-v', payout: '1', user_id: userId }
}

/** /api/postback?… from name/value pairs, so a name may repeat. The secret comes first. */
function urlWith(pairs: [string, string][], path = '/api/postback'): string {
  const query = new URLSearchParams([['secret', SECRET], ...pairs])
  return `${path}?${query}`
}

type Expected = {
  status: number
  code: string
  /** Prefixes of every tx_id the request carried: none of them may have a conversion. */
  txIds: string[]
  /** A user from creditedUser(): the balance must stay 100. */
  userId?: string
}

/** Sends `options` and asserts a refusal that is logged and changes nothing. */
async function expectRefusal(options: InjectOptions, expected: Expected, target = app) {
  const label = `${options.method ?? 'GET'} ${options.url}`
  const { response, logged } = await send(options, target)
  assert.equal(response.statusCode, expected.status, `${label}: ${response.body}`)
  assert.equal(response.headers['x-postback-outcome'], expected.code, label)
  assert.deepEqual(
    logged.map((row) => ({ outcome: row.outcome, statusCode: row.status_code })),
    [{ outcome: expected.code, statusCode: expected.status }],
    `${label}: the refusal is in the postback log`,
  )
  for (const txId of expected.txIds) {
    assert.equal(await conversionsStartingWith(txId), 0, `${label}: no conversion for ${txId}`)
  }
  if (expected.userId) {
    assert.deepEqual(
      await balanceOf(t.testDb, expected.userId),
      { balance: 100, ledger: 100 },
      `${label}: the balance is unchanged`,
    )
  }
  return { response, logged }
}

// --- missing fields and the shape of the answer ------------------------------------------------

const ALL_MISSING = [
  { field: 'tx_id', code: 'MISSING_FIELD', message: 'tx_id is required' },
  { field: 'offer_id', code: 'MISSING_FIELD', message: 'offer_id is required' },
  { field: 'payout', code: 'MISSING_FIELD', message: 'payout is required' },
]

test('when tx_id, offer_id and payout are all missing, then 400 MISSING_FIELD names each in message and fields', async () => {
  const userId = await creditedUser()
  const { response } = await expectRefusal(
    { url: postbackUrl({ user_id: userId }), headers: JSON_ACCEPT },
    { status: 400, code: 'MISSING_FIELD', txIds: [], userId },
  )
  assert.deepEqual(response.json(), {
    statusCode: 400,
    code: 'MISSING_FIELD',
    error: 'Bad Request',
    message: 'tx_id is required; offer_id is required; payout is required',
    fields: ALL_MISSING,
  })
})

test('when the caller does not ask for JSON, then the refusal is plain text "CODE: message"', async () => {
  const userId = await creditedUser()
  const { response } = await expectRefusal(
    { url: postbackUrl({ user_id: userId }) },
    { status: 400, code: 'MISSING_FIELD', txIds: [], userId },
  )
  assert.equal(response.headers['content-type'], 'text/plain; charset=utf-8')
  assert.equal(
    response.body,
    'MISSING_FIELD: tx_id is required; offer_id is required; payout is required',
  )
})

test('when required fields arrive empty (unfilled macros), then they count as missing', async () => {
  const userId = await creditedUser()
  const { response } = await expectRefusal(
    {
      url: postbackUrl({ tx_id: '', offer_id: '', payout: '', user_id: userId }),
      headers: JSON_ACCEPT,
    },
    { status: 400, code: 'MISSING_FIELD', txIds: [], userId },
  )
  assert.deepEqual(response.json().fields, ALL_MISSING)
})

test('when only payout is missing, then MISSING_FIELD names only payout and nothing is recorded', async () => {
  const userId = await creditedUser()
  const txId = uniqueTx()
  const { response } = await expectRefusal(
    {
      url: postbackUrl({ tx_id: txId, offer_id: 'offer-v', user_id: userId }),
      headers: JSON_ACCEPT,
    },
    { status: 400, code: 'MISSING_FIELD', txIds: [txId], userId },
  )
  assert.equal(response.json().message, 'payout is required')
  assert.deepEqual(response.json().fields, [ALL_MISSING[2]])
})

// --- payouts ----------------------------------------------------------------------------------

const BAD_PAYOUTS = [
  '1e5',
  '-1',
  '+3',
  'NaN',
  'Infinity',
  '1,50',
  '3.1234567',
  '0x10',
  '1'.repeat(30),
  '٣', // ARABIC-INDIC DIGIT THREE
  ' 3.5',
  '3.5 ',
  '3.',
  '.5',
  '1.2.3',
]

test('when the payout is not a plain decimal, then 400 INVALID_FIELD names payout and nothing is credited', async () => {
  const userId = await creditedUser()
  for (const payout of BAD_PAYOUTS) {
    const txId = uniqueTx()
    const { response } = await expectRefusal(
      {
        url: postbackUrl({ ...fields(txId, userId), payout }),
        headers: JSON_ACCEPT,
      },
      { status: 400, code: 'INVALID_FIELD', txIds: [txId], userId },
    )
    assert.deepEqual(
      response.json().fields,
      [{ field: 'payout', code: 'INVALID_FIELD', message: PAYOUT_PROBLEM }],
      JSON.stringify(payout),
    )
  }
})

test('when a JSON payout is a number that is not a plain decimal, then 400 INVALID_FIELD', async () => {
  const userId = await creditedUser()
  for (const payout of [-1, 1e21, 0.0000001, true]) {
    const txId = uniqueTx()
    const { response } = await expectRefusal(
      {
        method: 'POST',
        url: '/api/postback',
        headers: JSON_ACCEPT,
        payload: { secret: SECRET, ...fields(txId, userId), payout },
      },
      { status: 400, code: 'INVALID_FIELD', txIds: [txId], userId },
    )
    assert.equal(response.json().fields[0].field, 'payout', String(payout))
  }
})

test('when the payout is 0, 12, 3.50 or 0.000001, then it is accepted and credits floor(payout × 100)', async () => {
  const cases: [string, number, string][] = [
    ['0', 0, '0.000000'],
    ['12', 1200, '12.000000'],
    ['3.50', 350, '3.500000'],
    ['0.000001', 0, '0.000001'],
  ]
  for (const [payout, points, stored] of cases) {
    const userId = uniqueTx('user')
    const txId = uniqueTx()
    const response = await app.inject({
      url: postbackUrl({ ...fields(txId, userId), payout }),
      headers: JSON_ACCEPT,
    })
    assert.equal(response.statusCode, 200, payout)
    assert.equal(response.json().outcome, 'credited', payout)
    assert.equal(response.json().points, points, payout)
    assert.deepEqual(await conversionOf(txId), [
      { status: 'approved', payout: stored, points: String(points) },
    ])
    assert.deepEqual(await balanceOf(t.testDb, userId), { balance: points, ledger: points })
  }
})

// --- ambiguous parameters ----------------------------------------------------------------------

const AMBIGUOUS_TX = {
  field: 'tx_id',
  code: 'AMBIGUOUS_PARAM',
  message: 'tx_id arrived with different values (tx_id, transaction_id, txid)',
}

test('when tx_id arrives twice with different values, then 400 AMBIGUOUS_PARAM and neither is recorded', async () => {
  const userId = await creditedUser()
  const tx = uniqueTx()
  const { response } = await expectRefusal(
    {
      url: urlWith([
        ['tx_id', `${tx}-a`],
        ['tx_id', `${tx}-b`],
        ['offer_id', 'offer-v'],
        ['payout', '1'],
        ['user_id', userId],
      ]),
      headers: JSON_ACCEPT,
    },
    { status: 400, code: 'AMBIGUOUS_PARAM', txIds: [tx], userId },
  )
  assert.deepEqual(response.json().fields, [AMBIGUOUS_TX])
  assert.equal(response.json().message, AMBIGUOUS_TX.message)
})

test('when tx_id and its alias transaction_id (or txid) differ, then 400 AMBIGUOUS_PARAM', async () => {
  const userId = await creditedUser()
  for (const alias of ['transaction_id', 'txid']) {
    const tx = uniqueTx()
    const { response } = await expectRefusal(
      {
        url: urlWith([
          ['tx_id', `${tx}-a`],
          [alias, `${tx}-b`],
          ['offer_id', 'offer-v'],
          ['payout', '1'],
          ['user_id', userId],
        ]),
        headers: JSON_ACCEPT,
      },
      { status: 400, code: 'AMBIGUOUS_PARAM', txIds: [tx], userId },
    )
    assert.deepEqual(response.json().fields, [AMBIGUOUS_TX], alias)
  }
})

test('when the query and the form body give tx_id different values, then 400 AMBIGUOUS_PARAM', async () => {
  const userId = await creditedUser()
  const tx = uniqueTx()
  const { response } = await expectRefusal(
    {
      method: 'POST',
      url: postbackUrl({ tx_id: `${tx}-query` }),
      headers: { ...JSON_ACCEPT, 'content-type': FORM },
      payload: new URLSearchParams({ ...fields(`${tx}-body`, userId) }).toString(),
    },
    { status: 400, code: 'AMBIGUOUS_PARAM', txIds: [tx], userId },
  )
  assert.deepEqual(response.json().fields, [AMBIGUOUS_TX])
})

test('when the query and the JSON body give payout different values, then 400 AMBIGUOUS_PARAM', async () => {
  const userId = await creditedUser()
  const txId = uniqueTx()
  const { response } = await expectRefusal(
    {
      method: 'POST',
      url: postbackUrl({ payout: '1' }),
      headers: JSON_ACCEPT,
      payload: { ...fields(txId, userId), payout: '100' },
    },
    { status: 400, code: 'AMBIGUOUS_PARAM', txIds: [txId], userId },
  )
  assert.deepEqual(response.json().fields, [
    {
      field: 'payout',
      code: 'AMBIGUOUS_PARAM',
      message: 'payout arrived with different values (payout)',
    },
  ])
})

test('when the same value is repeated (names, aliases, query and body), then the postback is credited once', async () => {
  const userId = uniqueTx('user')
  const txId = uniqueTx()
  const repeated = await app.inject({
    url: urlWith([
      ['tx_id', txId],
      ['tx_id', txId],
      ['transaction_id', txId],
      ['offer_id', 'offer-v'],
      ['payout', '1'],
      ['payout', '1'],
      ['user_id', userId],
    ]),
  })
  assert.equal(repeated.statusCode, 200)
  assert.equal(repeated.headers['x-postback-outcome'], 'credited')

  const otherTx = uniqueTx()
  const queryAndBody = await app.inject({
    method: 'POST',
    url: postbackUrl({ tx_id: otherTx, payout: '1' }),
    headers: { 'content-type': FORM },
    payload: new URLSearchParams(fields(otherTx, userId)).toString(),
  })
  assert.equal(queryAndBody.statusCode, 200)
  assert.equal(queryAndBody.headers['x-postback-outcome'], 'credited')

  assert.equal((await conversionOf(txId)).length, 1)
  assert.equal((await conversionOf(otherTx)).length, 1)
  assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 200, ledger: 200 })
})

// --- macros the network did not replace ---------------------------------------------------

test('when a field still holds an unreplaced macro, then 400 UNREPLACED_MACRO names the field', async () => {
  const userId = await creditedUser()
  const cases: [string, string][] = [
    ['tx_id', '{transaction_id}'],
    ['tx_id', '{{ click_id }}'],
    ['user_id', '[USER_ID]'],
    ['user_id', '[[user_id]]'],
    ['payout', '#payout#'],
    ['payout', '$payout$'],
    ['offer_id', '%OFFER_ID%'],
    ['offer_id', '[%offer_id%]'],
    ['sub1', '{{sub1}}'],
    ['status', '{status}'],
  ]
  for (const [field, macro] of cases) {
    const txId = uniqueTx()
    const sent = { ...fields(txId, userId), [field]: macro }
    const { response } = await expectRefusal(
      { url: postbackUrl(sent), headers: JSON_ACCEPT },
      {
        status: 400,
        code: 'UNREPLACED_MACRO',
        txIds: field === 'tx_id' ? [macro] : [txId],
        userId,
      },
    )
    assert.deepEqual(
      response.json().fields,
      [
        {
          field,
          code: 'UNREPLACED_MACRO',
          message: `${field} still contains the macro ${macro}: the network did not replace it`,
        },
      ],
      macro,
    )
  }
})

test('when macros arrive raw (not percent-encoded) in the URL, then they are still refused', async () => {
  const userId = await creditedUser()
  const txId = uniqueTx()
  const raw = [
    `/api/postback?secret=${SECRET}&tx_id={transaction_id}&offer_id=o&payout=1&user_id=${userId}`,
    `/api/postback?secret=${SECRET}&tx_id=%TX_ID%&offer_id=o&payout=1&user_id=${userId}`,
    `/api/postback?secret=${SECRET}&tx_id=${txId}&offer_id=o&payout=1&user_id=[USER_ID]`,
  ]
  for (const url of raw) {
    await expectRefusal(
      { url },
      {
        status: 400,
        code: 'UNREPLACED_MACRO',
        txIds: ['{transaction_id}', '%TX_ID%', txId],
        userId,
      },
    )
  }
})

// --- status -----------------------------------------------------------------------------------

test('when the status is unknown, then 400 INVALID_FIELD names status', async () => {
  const userId = await creditedUser()
  for (const status of ['paid', 'approvedd', '3', 'ok']) {
    const txId = uniqueTx()
    const { response } = await expectRefusal(
      { url: postbackUrl({ ...fields(txId, userId), status }), headers: JSON_ACCEPT },
      { status: 400, code: 'INVALID_FIELD', txIds: [txId], userId },
    )
    assert.equal(response.json().fields[0].field, 'status', status)
    assert.match(response.json().message, /^status must be one of /)
  }
})

test('when the status names an Object.prototype property (constructor, __proto__), then 400 INVALID_FIELD', {}, async () => {
  for (const status of ['constructor', '__proto__']) {
    const userId = await creditedUser()
    const txId = uniqueTx()
    const { response, logged } = await send({
      url: postbackUrl({ ...fields(txId, userId), status }),
      headers: JSON_ACCEPT,
    })
    assert.equal(response.statusCode, 400, status)
    assert.equal(response.json().code, 'INVALID_FIELD', status)
    assert.deepEqual(
      logged.map((row) => row.outcome),
      ['INVALID_FIELD'],
    )
    assert.equal(await conversionsStartingWith(txId), 0)

    // The same status on an already credited conversion must not take the credit back.
    const creditedTx = uniqueTx()
    const credit = await app.inject(postbackUrl(fields(creditedTx, userId)))
    assert.equal(credit.headers['x-postback-outcome'], 'credited')
    const again = await app.inject(postbackUrl({ ...fields(creditedTx, userId), status }))
    assert.equal(again.statusCode, 400, status)
    assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 200, ledger: 200 })
  }
})

test('when the status is 1, sale or completed, then the user is credited', async () => {
  for (const status of ['1', 'sale', 'completed']) {
    const userId = uniqueTx('user')
    const txId = uniqueTx()
    const response = await app.inject({
      url: postbackUrl({ ...fields(txId, userId), status }),
      headers: JSON_ACCEPT,
    })
    assert.equal(response.statusCode, 200, status)
    assert.equal(response.json().outcome, 'credited', status)
    assert.deepEqual(await conversionOf(txId), [
      { status: 'approved', payout: '1.000000', points: '100' },
    ])
    assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 100, ledger: 100 })
  }
})

test('when the status is hold, then the conversion is recorded as pending and nothing is credited', async () => {
  const userId = uniqueTx('user')
  const txId = uniqueTx()
  const response = await app.inject({
    url: postbackUrl({ ...fields(txId, userId), status: 'hold' }),
    headers: JSON_ACCEPT,
  })
  assert.equal(response.statusCode, 200)
  assert.equal(response.json().outcome, 'recorded')
  assert.equal(response.json().points, 0)
  assert.deepEqual(await conversionOf(txId), [
    { status: 'pending', payout: '1.000000', points: '100' },
  ])
  assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 0, ledger: 0 })
})

test('when a credited conversion gets status chargeback or 2, then the credit is reversed', async () => {
  for (const status of ['chargeback', '2']) {
    const userId = uniqueTx('user')
    const txId = uniqueTx()
    const credit = await app.inject({
      url: postbackUrl(fields(txId, userId)),
      headers: JSON_ACCEPT,
    })
    assert.equal(credit.json().outcome, 'credited')
    assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 100, ledger: 100 })

    const reversal = await app.inject({
      url: postbackUrl({ ...fields(txId, userId), status }),
      headers: JSON_ACCEPT,
    })
    assert.equal(reversal.statusCode, 200, status)
    assert.equal(reversal.json().outcome, 'reversed', status)
    assert.equal(reversal.json().points, -100, status)
    assert.equal((await conversionOf(txId))[0]?.status, 'reversed')
    assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 0, ledger: 0 })
  }
})

// --- networks and paths ---------------------------------------------------------------------

test('when the network in the path is unknown, then 404 UNKNOWN_NETWORK and nothing is recorded', async () => {
  const userId = await creditedUser()
  const txId = uniqueTx()
  const { response, logged } = await expectRefusal(
    { url: postbackUrl(fields(txId, userId), '/api/postback/nope'), headers: JSON_ACCEPT },
    { status: 404, code: 'UNKNOWN_NETWORK', txIds: [txId], userId },
  )
  assert.deepEqual(response.json(), {
    statusCode: 404,
    code: 'UNKNOWN_NETWORK',
    error: 'Not Found',
    message: 'unknown network "nope"; configured: default',
  })
  assert.equal(logged[0]?.network, 'nope')
})

test('when ?network= names an unknown network, then 404 UNKNOWN_NETWORK', async () => {
  const userId = await creditedUser()
  const txId = uniqueTx()
  const { response } = await expectRefusal(
    { url: postbackUrl({ ...fields(txId, userId), network: 'nope' }) },
    { status: 404, code: 'UNKNOWN_NETWORK', txIds: [txId], userId },
  )
  assert.equal(response.body, 'UNKNOWN_NETWORK: unknown network "nope"; configured: default')
})

test('when the network path tries traversal, then a 4xx (never 5xx) and nothing is recorded', async () => {
  const userId = await creditedUser()
  const paths = [
    '/api/postback/..%2f..%2fetc',
    '/api/postback/..%2F..%2Fetc%2Fpasswd',
    '/api/postback/%2e%2e',
    '/api/postback/..',
    '/api/postback/../../etc/passwd',
    '/api/postback/%00',
    '/api/postback/%0a',
  ]
  for (const path of paths) {
    const txId = uniqueTx()
    const response = await app.inject(postbackUrl(fields(txId, userId), path))
    assert.ok(
      response.statusCode >= 400 && response.statusCode < 500,
      `${path}: ${response.statusCode}`,
    )
    assert.equal(await conversionsStartingWith(txId), 0, path)
  }
  assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 100, ledger: 100 })
  const encoded = await app.inject(postbackUrl(fields(uniqueTx(), userId), paths[0]))
  assert.equal(encoded.statusCode, 404)
  assert.equal(encoded.headers['x-postback-outcome'], 'UNKNOWN_NETWORK')
})

test('when the path has broken percent-encoding, then a 4xx that does not echo the secret', async () => {
  const response = await app.inject(postbackUrl(fields(uniqueTx(), 'u'), '/api/postback/%ZZ'))
  assert.equal(response.statusCode, 400)
  assert.ok(!response.body.includes(SECRET), response.body)
})

// --- bodies -----------------------------------------------------------------------------------

test('when the body is larger than 8 KB, then 413 BODY_TOO_LARGE; 8 KB exactly is accepted', async () => {
  const userId = await creditedUser()
  const formOf = (txId: string, size: number) => {
    const base = `${new URLSearchParams({ secret: SECRET, ...fields(txId, userId) })}&pad=`
    return base + 'x'.repeat(size - base.length)
  }
  const tooLarge = uniqueTx()
  const { response } = await expectRefusal(
    {
      method: 'POST',
      url: '/api/postback',
      headers: { 'content-type': FORM },
      payload: formOf(tooLarge, 8 * 1024 + 1),
    },
    { status: 413, code: 'BODY_TOO_LARGE', txIds: [tooLarge], userId },
  )
  assert.equal(response.body, 'BODY_TOO_LARGE: the body is too large')

  const jsonTx = uniqueTx()
  await expectRefusal(
    {
      method: 'POST',
      url: '/api/postback',
      payload: { secret: SECRET, ...fields(jsonTx, userId), pad: 'x'.repeat(9000) },
    },
    { status: 413, code: 'BODY_TOO_LARGE', txIds: [jsonTx], userId },
  )

  const fits = uniqueTx()
  const accepted = await app.inject({
    method: 'POST',
    url: '/api/postback',
    headers: { 'content-type': FORM },
    payload: formOf(fits, 8 * 1024),
  })
  assert.equal(accepted.statusCode, 200)
  assert.equal(accepted.headers['x-postback-outcome'], 'credited')
  assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 200, ledger: 200 })
})

test('when the body is multipart or another unsupported type, then 415 UNSUPPORTED_MEDIA_TYPE', async () => {
  const userId = await creditedUser()
  const txId = uniqueTx()
  const multipart = [
    '--b0undary',
    'Content-Disposition: form-data; name="tx_id"',
    '',
    txId,
    '--b0undary--',
    '',
  ].join('\r\n')
  const bodies: [string, string][] = [
    ['multipart/form-data; boundary=b0undary', multipart],
    ['application/xml', `<postback><tx_id>${txId}</tx_id></postback>`],
  ]
  for (const [contentType, payload] of bodies) {
    const { response } = await expectRefusal(
      {
        method: 'POST',
        url: postbackUrl({ offer_id: 'offer-v', payout: '1', user_id: userId }),
        headers: { 'content-type': contentType },
        payload,
      },
      { status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', txIds: [txId], userId },
    )
    assert.equal(response.body, 'UNSUPPORTED_MEDIA_TYPE: this content type is not accepted')
  }
})

test('when the body is text/plain, then 415 UNSUPPORTED_MEDIA_TYPE', {}, async () => {
  const userId = uniqueTx('user')
  const txId = uniqueTx()
  const { response, logged } = await send({
    method: 'POST',
    url: '/api/postback',
    headers: { 'content-type': 'text/plain' },
    payload: new URLSearchParams({ secret: SECRET, ...fields(txId, userId) }).toString(),
  })
  assert.equal(response.statusCode, 415)
  assert.equal(response.headers['x-postback-outcome'], 'UNSUPPORTED_MEDIA_TYPE')
  assert.deepEqual(
    logged.map((row) => row.outcome),
    ['UNSUPPORTED_MEDIA_TYPE'],
  )
  assert.equal(await conversionsStartingWith(txId), 0)
})

test('when the JSON body is broken, then 400 INVALID_BODY even if the query is complete', async () => {
  const userId = await creditedUser()
  const txId = uniqueTx()
  const { response } = await expectRefusal(
    {
      method: 'POST',
      url: postbackUrl(fields(txId, userId)),
      headers: { 'content-type': 'application/json' },
      payload: '{"tx_id": "x", "payout": ',
    },
    { status: 400, code: 'INVALID_BODY', txIds: [txId], userId },
  )
  assert.equal(response.body, 'INVALID_BODY: the body is not valid JSON')
})

test('when a JSON field value is an object (or the body an array), then 400 INVALID_BODY', async () => {
  const userId = await creditedUser()
  const cases: [Record<string, unknown> | unknown[], string][] = [
    [{ tx_id: { $ne: '' } }, 'field tx_id must be a string or a number'],
    [{ user_id: [{ id: 'x' }] }, 'field user_id must be a string or a number'],
    [{ payout: { amount: 1 } }, 'field payout must be a string or a number'],
  ]
  for (const [override, message] of cases) {
    const txId = uniqueTx()
    const { response } = await expectRefusal(
      {
        method: 'POST',
        url: '/api/postback',
        headers: JSON_ACCEPT,
        payload: { secret: SECRET, ...fields(txId, userId), ...override },
      },
      { status: 400, code: 'INVALID_BODY', txIds: [txId], userId },
    )
    assert.equal(response.json().message, message)
  }
  const txId = uniqueTx()
  const { response } = await expectRefusal(
    {
      method: 'POST',
      url: postbackUrl(fields(txId, userId)),
      headers: JSON_ACCEPT,
      payload: [fields(txId, userId)],
    },
    { status: 400, code: 'INVALID_BODY', txIds: [txId], userId },
  )
  assert.equal(response.json().message, 'the JSON body must be an object of fields')
})

test('when the JSON body is a string, then 400 INVALID_BODY', {}, async () => {
  const userId = uniqueTx('user')
  const txId = uniqueTx()
  const { response } = await send({
    method: 'POST',
    url: '/api/postback',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify(
      new URLSearchParams({ secret: SECRET, ...fields(txId, userId) }).toString(),
    ),
  })
  assert.equal(response.statusCode, 400)
  assert.equal(response.headers['x-postback-outcome'], 'INVALID_BODY')
  assert.equal(await conversionsStartingWith(txId), 0)
})

// --- control characters -------------------------------------------------------------------

test('when tx_id contains a control character or NUL, then 400 INVALID_FIELD, never 500', async () => {
  const userId = await creditedUser()
  const problem = {
    field: 'tx_id',
    code: 'INVALID_FIELD',
    message: 'tx_id must not contain control characters',
  }
  for (const control of ['\u0000', '\u0001', '\n', '\r', '\t', '\u001f', '\u007f']) {
    const tx = uniqueTx()
    const txId = `${tx}${control}x`
    const label = JSON.stringify(control)
    const viaQuery = await expectRefusal(
      { url: postbackUrl(fields(txId, userId)), headers: JSON_ACCEPT },
      { status: 400, code: 'INVALID_FIELD', txIds: [tx], userId },
    )
    assert.deepEqual(viaQuery.response.json().fields, [problem], label)
    const viaJson = await expectRefusal(
      {
        method: 'POST',
        url: '/api/postback',
        headers: JSON_ACCEPT,
        payload: { secret: SECRET, ...fields(txId, userId) },
      },
      { status: 400, code: 'INVALID_FIELD', txIds: [tx], userId },
    )
    assert.deepEqual(viaJson.response.json().fields, [problem], label)
    const viaForm = await expectRefusal(
      {
        method: 'POST',
        url: '/api/postback',
        headers: { ...JSON_ACCEPT, 'content-type': FORM },
        payload: new URLSearchParams({ secret: SECRET, ...fields(txId, userId) }).toString(),
      },
      { status: 400, code: 'INVALID_FIELD', txIds: [tx], userId },
    )
    assert.deepEqual(viaForm.response.json().fields, [problem], label)
  }
})

test('when the raw %00 arrives in tx_id and user_id, then both are named and nothing is stored', async () => {
  const userId = await creditedUser()
  const tx = uniqueTx()
  const { response } = await expectRefusal(
    {
      url: `/api/postback?secret=${SECRET}&tx_id=${tx}%00&offer_id=o&payout=1&user_id=${userId}%00`,
      headers: JSON_ACCEPT,
    },
    { status: 400, code: 'INVALID_FIELD', txIds: [tx], userId },
  )
  assert.deepEqual(
    response.json().fields.map((f: { field: string }) => f.field),
    ['tx_id', 'user_id'],
  )
})

// --- rate limit --------------------------------------------------------------------------

test('when RATE_LIMIT_MAX is exceeded, then 429 RATE_LIMITED with Retry-After and nothing is recorded', async () => {
  const limited = await buildAppOn(t.testDb, { RATE_LIMIT_MAX: '3' })
  try {
    const userId = uniqueTx('user')
    for (let i = 0; i < 3; i += 1) {
      const response = await limited.inject(postbackUrl(fields(uniqueTx(), userId)))
      assert.equal(response.statusCode, 200)
      assert.equal(response.headers['x-postback-outcome'], 'credited')
    }
    const txId = uniqueTx()
    const { response, logged } = await send({ url: postbackUrl(fields(txId, userId)) }, limited)
    assert.equal(response.statusCode, 429)
    assert.equal(response.headers['x-postback-outcome'], 'RATE_LIMITED')
    assert.equal(response.headers['retry-after'], '60')
    assert.equal(
      response.body,
      'RATE_LIMITED: more than 3 postbacks from this address in 1 minute; slow down',
    )
    assert.equal(await conversionsStartingWith(txId), 0)
    assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 300, ledger: 300 })
    // Deliberately not logged (src/postbacks/routes.ts: a flood must not grow the log).
    assert.deepEqual(logged, [])
  } finally {
    await limited.close()
  }
})

// --- what does work ---------------------------------------------------------------------------

test('when a postback is POSTed as JSON or as a form, then it is credited', async () => {
  const userId = uniqueTx('user')
  const jsonTx = uniqueTx()
  const viaJson = await app.inject({
    method: 'POST',
    url: '/api/postback',
    headers: JSON_ACCEPT,
    payload: { secret: SECRET, ...fields(jsonTx, userId) },
  })
  assert.equal(viaJson.statusCode, 200)
  assert.equal(viaJson.json().outcome, 'credited')
  assert.equal(viaJson.json().points, 100)

  const formTx = uniqueTx()
  const viaForm = await app.inject({
    method: 'POST',
    url: '/api/postback',
    headers: { 'content-type': FORM },
    payload: new URLSearchParams({ secret: SECRET, ...fields(formTx, userId) }).toString(),
  })
  assert.equal(viaForm.statusCode, 200)
  assert.equal(viaForm.headers['x-postback-outcome'], 'credited')
  assert.equal(viaForm.body, 'OK')

  assert.equal((await conversionOf(jsonTx)).length, 1)
  assert.equal((await conversionOf(formTx)).length, 1)
  assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 200, ledger: 200 })
})

test('when a JSON payout is the number 3.5, then it credits 350 points', async () => {
  const userId = uniqueTx('user')
  const txId = uniqueTx()
  const { response, logged } = await send({
    method: 'POST',
    url: '/api/postback',
    headers: JSON_ACCEPT,
    payload: { secret: SECRET, tx_id: txId, offer_id: 'offer-v', payout: 3.5, user_id: userId },
  })
  assert.equal(response.statusCode, 200)
  assert.equal(response.json().outcome, 'credited')
  assert.equal(response.json().points, 350)
  assert.deepEqual(await conversionOf(txId), [
    { status: 'approved', payout: '3.500000', points: '350' },
  ])
  assert.deepEqual(await balanceOf(t.testDb, userId), { balance: 350, ledger: 350 })
  assert.deepEqual(
    logged.map((row) => row.outcome),
    ['credited'],
  )
})
