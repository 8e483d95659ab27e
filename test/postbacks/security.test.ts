import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse as Response } from 'fastify'
import {
  balanceOf,
  buildAppOn,
  createTestApp,
  postbackUrl,
  SECRET,
  type TestApp,
  uniqueTx,
} from '../helpers/app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { capturingLogger } from '../helpers/logging.js'

// Who may post: the secret (query, body or header, several during rotation), the source
// address (ALLOWED_IPS, X-Forwarded-For only from TRUST_PROXY), HTTPS; and that secrets
// never reach the log or the stored requests.

let t: TestApp
before(async () => {
  t = await createTestApp()
})
after(() => t.close())

type Fields = { tx_id: string; offer_id: string; payout: string; user_id: string }

/** A fresh approved postback for 1.50 (150 points) to a user of its own. */
function freshFields(): Fields {
  return { tx_id: uniqueTx(), offer_id: 'offer-sec', payout: '1.50', user_id: uniqueTx('user') }
}

/** /api/postback?… without any secret. */
function urlWithoutSecret(fields: Record<string, string>): string {
  return `/api/postback?${new URLSearchParams(fields)}`
}

/** Builds another app on this file's database with these settings, runs `work`, closes it. */
async function withApp(
  env: Record<string, string>,
  work: (app: FastifyInstance) => Promise<void>,
  testDb: TestDatabase = t.testDb,
) {
  const app = await buildAppOn(testDb, env)
  try {
    await work(app)
  } finally {
    await app.close()
  }
}

function send(app: FastifyInstance, options: InjectOptions): Promise<Response> {
  return app.inject({ ...options, headers: { accept: 'application/json', ...options.headers } })
}

async function conversionCount(testDb: TestDatabase, txId: string): Promise<number> {
  const { rows } = await testDb.db.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM conversions WHERE tx_id = $1',
    [txId],
  )
  return rows[0]?.n ?? -1
}

async function assertCredited(response: Response, fields: Fields, testDb = t.testDb) {
  assert.equal(response.statusCode, 200, response.body)
  assert.equal(response.json().outcome, 'credited')
  assert.deepEqual(await balanceOf(testDb, fields.user_id), { balance: 150, ledger: 150 })
  assert.equal(await conversionCount(testDb, fields.tx_id), 1)
}

/** 403 with this code, nothing credited, nothing recorded as a conversion; the refusal is logged. */
async function assertRefused(response: Response, code: string, fields: Fields, testDb = t.testDb) {
  assert.equal(response.statusCode, 403, response.body)
  assert.equal(response.json().code, code)
  assert.equal(response.headers['x-postback-outcome'], code)
  assert.deepEqual(await balanceOf(testDb, fields.user_id), { balance: 0, ledger: 0 })
  assert.equal(await conversionCount(testDb, fields.tx_id), 0)
  const { rows } = await testDb.db.pool.query<{ status_code: number; outcome: string }>(
    'SELECT status_code, outcome FROM postback_log WHERE tx_id = $1',
    [fields.tx_id],
  )
  assert.deepEqual(rows, [{ status_code: 403, outcome: code }], 'the refusal is in postback_log')
}

// --- the secret -------------------------------------------------------------------------------

test('when a postback carries no secret, then it is refused with BAD_SECRET and nothing is credited', async () => {
  const fields = freshFields()
  const response = await send(t.app, { url: urlWithoutSecret(fields) })
  await assertRefused(response, 'BAD_SECRET', fields)
})

test('when a postback carries a wrong secret, then it is refused with BAD_SECRET and nothing is credited', async () => {
  const fields = freshFields()
  const response = await send(t.app, {
    url: postbackUrl({ ...fields, secret: 'not-the-secret-0123456789' }),
  })
  await assertRefused(response, 'BAD_SECRET', fields)
})

test('when the secret arrives in the X-Postback-Secret header, then the postback is credited', async () => {
  const fields = freshFields()
  const response = await send(t.app, {
    url: urlWithoutSecret(fields),
    headers: { 'x-postback-secret': SECRET },
  })
  await assertCredited(response, fields)
})

test('when a wrong secret arrives in the X-Postback-Secret header, then it is refused', async () => {
  const fields = freshFields()
  const response = await send(t.app, {
    url: urlWithoutSecret(fields),
    headers: { 'x-postback-secret': 'not-the-secret-0123456789' },
  })
  await assertRefused(response, 'BAD_SECRET', fields)
})

test('when two secrets are configured (rotation), then both are accepted and a third is refused', async () => {
  const OLD = 'old-secret-0123456789'
  const NEW = 'new-secret-0123456789'
  await withApp({ POSTBACK_SECRET: `${OLD},${NEW}` }, async (app) => {
    const viaOld = freshFields()
    await assertCredited(await send(app, { url: postbackUrl({ ...viaOld, secret: OLD }) }), viaOld)
    const viaNew = freshFields()
    await assertCredited(await send(app, { url: postbackUrl({ ...viaNew, secret: NEW }) }), viaNew)
    const viaThird = freshFields()
    // SECRET is the default test secret: valid elsewhere, not configured on this app.
    await assertRefused(
      await send(app, { url: postbackUrl({ ...viaThird, secret: SECRET }) }),
      'BAD_SECRET',
      viaThird,
    )
  })
})

// --- the source address -----------------------------------------------------------------------

const ALLOWED = { ALLOWED_IPS: '203.0.113.0/24,2001:db8::/32' }

test('when ALLOWED_IPS is set, then an IPv4 source inside it is credited', async () => {
  await withApp(ALLOWED, async (app) => {
    const fields = freshFields()
    const response = await send(app, { url: postbackUrl(fields), remoteAddress: '203.0.113.9' })
    await assertCredited(response, fields)
  })
})

test('when ALLOWED_IPS is set, then a source outside it is refused with IP_NOT_ALLOWED', async () => {
  await withApp(ALLOWED, async (app) => {
    const fields = freshFields()
    const response = await send(app, { url: postbackUrl(fields), remoteAddress: '198.51.100.1' })
    await assertRefused(response, 'IP_NOT_ALLOWED', fields)
  })
})

test('when ALLOWED_IPS holds an IPv6 range, then an IPv6 source inside it is credited', async () => {
  await withApp(ALLOWED, async (app) => {
    const fields = freshFields()
    const response = await send(app, { url: postbackUrl(fields), remoteAddress: '2001:db8::5' })
    await assertCredited(response, fields)
  })
})

test('when an allowed IPv4 source arrives IPv4-mapped (::ffff:…), then it is credited', async () => {
  await withApp(ALLOWED, async (app) => {
    const fields = freshFields()
    const response = await send(app, {
      url: postbackUrl(fields),
      remoteAddress: '::ffff:203.0.113.9',
    })
    await assertCredited(response, fields)
  })
})

test('when X-Forwarded-For names an allowed address but TRUST_PROXY is off, then the socket address decides: 403', async () => {
  await withApp(ALLOWED, async (app) => {
    const fields = freshFields()
    const response = await send(app, {
      url: postbackUrl(fields),
      remoteAddress: '198.51.100.1',
      headers: { 'x-forwarded-for': '203.0.113.9' },
    })
    await assertRefused(response, 'IP_NOT_ALLOWED', fields)
  })
})

const BEHIND_PROXY = { ALLOWED_IPS: '203.0.113.0/24', TRUST_PROXY: '10.0.0.0/8' }

test('when a trusted proxy forwards an allowed client in X-Forwarded-For, then it is credited', async () => {
  await withApp(BEHIND_PROXY, async (app) => {
    const fields = freshFields()
    const response = await send(app, {
      url: postbackUrl(fields),
      remoteAddress: '10.1.2.3',
      headers: { 'x-forwarded-for': '203.0.113.9' },
    })
    await assertCredited(response, fields)
  })
})

test('when a non-proxy sends X-Forwarded-For with an allowed address, then it is ignored: 403', async () => {
  await withApp(BEHIND_PROXY, async (app) => {
    const fields = freshFields()
    const response = await send(app, {
      url: postbackUrl(fields),
      remoteAddress: '198.51.100.1',
      headers: { 'x-forwarded-for': '203.0.113.9' },
    })
    await assertRefused(response, 'IP_NOT_ALLOWED', fields)
  })
})

test('when X-Forwarded-For is a chain, then the rightmost untrusted address is the client: 403', async () => {
  await withApp(BEHIND_PROXY, async (app) => {
    const fields = freshFields()
    // The client (198.51.100.1) prepended an allowed address; only the proxy's own entry counts.
    const response = await send(app, {
      url: postbackUrl(fields),
      remoteAddress: '10.1.2.3',
      headers: { 'x-forwarded-for': '203.0.113.9, 198.51.100.1' },
    })
    await assertRefused(response, 'IP_NOT_ALLOWED', fields)
    const { rows } = await t.testDb.db.pool.query<{ source_ip: string }>(
      'SELECT source_ip FROM postback_log WHERE tx_id = $1',
      [fields.tx_id],
    )
    assert.equal(rows[0]?.source_ip, '198.51.100.1')
  })
})

// --- HTTPS -------------------------------------------------------------------------------------

test('when REQUIRE_HTTPS is on, then a plain HTTP postback is refused with HTTPS_REQUIRED', async () => {
  await withApp({ REQUIRE_HTTPS: 'true' }, async (app) => {
    const fields = freshFields()
    const response = await send(app, { url: postbackUrl(fields) })
    await assertRefused(response, 'HTTPS_REQUIRED', fields)
  })
})

test('when REQUIRE_HTTPS is on and a trusted proxy says X-Forwarded-Proto: https, then it is credited', async () => {
  await withApp({ REQUIRE_HTTPS: 'true', TRUST_PROXY: '10.0.0.0/8' }, async (app) => {
    const fields = freshFields()
    const response = await send(app, {
      url: postbackUrl(fields),
      remoteAddress: '10.1.2.3',
      headers: { 'x-forwarded-proto': 'https' },
    })
    await assertCredited(response, fields)
  })
})

test('when REQUIRE_HTTPS is on and an untrusted source says X-Forwarded-Proto: https, then it is refused', async () => {
  await withApp({ REQUIRE_HTTPS: 'true', TRUST_PROXY: '10.0.0.0/8' }, async (app) => {
    const fields = freshFields()
    const response = await send(app, {
      url: postbackUrl(fields),
      remoteAddress: '198.51.100.1',
      headers: { 'x-forwarded-proto': 'https' },
    })
    await assertRefused(response, 'HTTPS_REQUIRED', fields)
  })
})

test('when REQUIRE_HTTPS is on without TRUST_PROXY, then X-Forwarded-Proto: https is ignored', async () => {
  await withApp({ REQUIRE_HTTPS: 'true' }, async (app) => {
    const fields = freshFields()
    const response = await send(app, {
      url: postbackUrl(fields),
      remoteAddress: '10.1.2.3',
      headers: { 'x-forwarded-proto': 'https' },
    })
    await assertRefused(response, 'HTTPS_REQUIRED', fields)
  })
})

// --- the generated secret ---------------------------------------------------------------------

test('when POSTBACK_SECRET is empty, then a secret is generated, stored, required, and shared by a second app', async () => {
  const fresh = await createTestDatabase()
  try {
    await withApp(
      { POSTBACK_SECRET: '' },
      async (first) => {
        const unsigned = freshFields()
        await assertRefused(
          await send(first, { url: urlWithoutSecret(unsigned) }),
          'BAD_SECRET',
          unsigned,
          fresh,
        )
        const { rows } = await fresh.db.pool.query<{ value: string }>(
          "SELECT value FROM settings WHERE key = 'postback_secret'",
        )
        assert.equal(rows.length, 1, 'one generated secret is stored')
        const generated = rows[0]?.value ?? ''
        assert.ok(generated.length >= 16, 'the generated secret is long')
        assert.notEqual(generated, SECRET)

        // The configured test secret means nothing here.
        const withTestSecret = freshFields()
        await assertRefused(
          await send(first, { url: postbackUrl(withTestSecret) }),
          'BAD_SECRET',
          withTestSecret,
          fresh,
        )
        const signed = freshFields()
        await assertCredited(
          await send(first, { url: postbackUrl({ ...signed, secret: generated }) }),
          signed,
          fresh,
        )

        await withApp(
          { POSTBACK_SECRET: '' },
          async (second) => {
            const again = freshFields()
            await assertCredited(
              await send(second, { url: postbackUrl({ ...again, secret: generated }) }),
              again,
              fresh,
            )
            // The first app still accepts it too: the second did not replace it.
            const viaFirst = freshFields()
            await assertCredited(
              await send(first, { url: postbackUrl({ ...viaFirst, secret: generated }) }),
              viaFirst,
              fresh,
            )
          },
          fresh,
        )
        const after = await fresh.db.pool.query<{ value: string }>(
          "SELECT value FROM settings WHERE key = 'postback_secret'",
        )
        assert.deepEqual(
          after.rows.map((row) => row.value),
          [generated],
        )
      },
      fresh,
    )
  } finally {
    await fresh.drop()
  }
})

// --- secrets stay out of logs and stored requests ---------------------------------------------

test('when postbacks carry secrets in query, form, JSON and header, accepted or refused, then neither the log nor postback_log contains them', async () => {
  const capture = capturingLogger()
  const own = await createTestApp({}, capture.logger)
  const WRONG = {
    query: 'wrong-query-secret-4711',
    form: 'wrong-form-secret-4712',
    json: 'wrong-json-secret-4713',
    header: 'wrong-header-secret-4714',
    ambiguous: 'wrong-ambiguous-secret-4715',
  }
  const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
  const JSON_TYPE = { 'content-type': 'application/json' }
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString()
  const withoutPayout = ({ payout: _payout, ...rest }: Fields) => rest
  try {
    const queryTx = { accepted: freshFields(), refused: freshFields() }
    const cases: [string, InjectOptions, number][] = [
      ['query, right', { url: postbackUrl(queryTx.accepted) }, 200],
      ['query, wrong', { url: postbackUrl({ ...queryTx.refused, secret: WRONG.query }) }, 403],
      [
        'query, two values',
        { url: `${postbackUrl(freshFields())}&secret=${WRONG.ambiguous}` },
        403,
      ],
      [
        'form, right',
        {
          method: 'POST',
          url: '/api/postback',
          headers: FORM,
          payload: form({ ...freshFields(), secret: SECRET }),
        },
        200,
      ],
      [
        'form, wrong',
        {
          method: 'POST',
          url: '/api/postback',
          headers: FORM,
          payload: form({ ...freshFields(), secret: WRONG.form }),
        },
        403,
      ],
      [
        'json, right',
        {
          method: 'POST',
          url: '/api/postback',
          headers: JSON_TYPE,
          payload: JSON.stringify({ ...freshFields(), secret: SECRET }),
        },
        200,
      ],
      [
        'json, wrong',
        {
          method: 'POST',
          url: '/api/postback',
          headers: JSON_TYPE,
          payload: JSON.stringify({ ...freshFields(), secret: WRONG.json }),
        },
        403,
      ],
      [
        'header, right',
        { url: urlWithoutSecret(freshFields()), headers: { 'x-postback-secret': SECRET } },
        200,
      ],
      [
        'header, wrong',
        { url: urlWithoutSecret(freshFields()), headers: { 'x-postback-secret': WRONG.header } },
        403,
      ],
      // Refused for another reason while carrying the right secret, in each place.
      ['query, right, bad field', { url: postbackUrl(withoutPayout(freshFields())) }, 400],
      [
        'form, right, bad field',
        {
          method: 'POST',
          url: '/api/postback',
          headers: FORM,
          payload: form({ ...withoutPayout(freshFields()), secret: SECRET }),
        },
        400,
      ],
      [
        'json, right, bad field',
        {
          method: 'POST',
          url: '/api/postback',
          headers: JSON_TYPE,
          payload: JSON.stringify({ ...withoutPayout(freshFields()), secret: SECRET }),
        },
        400,
      ],
      [
        'header, right, bad field',
        {
          url: urlWithoutSecret(withoutPayout(freshFields())),
          headers: { 'x-postback-secret': SECRET },
        },
        400,
      ],
    ]
    const forbidden = [SECRET, ...Object.values(WRONG)]
    const leaks = (text: string) =>
      forbidden.filter((value) => text.includes(value) || text.includes(encodeURIComponent(value)))

    for (const [name, options, status] of cases) {
      const response = await own.app.inject(options)
      assert.equal(response.statusCode, status, `${name}: ${response.body}`)
      assert.deepEqual(leaks(response.body), [], `${name}: the answer echoes no secret`)
    }

    const { rows } = await own.testDb.db.pool.query<{ row: string }>(
      'SELECT t::text AS row FROM (SELECT * FROM postback_log) t ORDER BY id',
    )
    assert.equal(rows.length, cases.length, 'every request is stored')
    for (const { row } of rows) assert.deepEqual(leaks(row), [], `postback_log row: ${row}`)

    const log = capture.lines()
    assert.match(log, /incoming request/, 'the request log was captured')
    assert.deepEqual(leaks(log), [], 'the service log contains no secret')

    for (const fields of [queryTx.accepted, queryTx.refused]) {
      const stored = await own.testDb.db.pool.query<{ query: string }>(
        'SELECT query FROM postback_log WHERE tx_id = $1',
        [fields.tx_id],
      )
      assert.match(stored.rows[0]?.query ?? '', /(^|&)secret=\[REDACTED\](&|$)/)
      assert.match(stored.rows[0]?.query ?? '', new RegExp(`tx_id=${fields.tx_id}`))
    }
  } finally {
    await own.close()
  }
})
