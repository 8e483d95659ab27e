import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ADMIN_TOKEN, createTestApp, SECRET, uniqueTx } from '../helpers/app.js'
import { capturingLogger } from '../helpers/logging.js'

// The request log names each request (method, URL with secrets redacted, address): never the
// credentials a caller sends in headers.

test('when requests carry Authorization, Cookie and X-Postback-Secret headers, then the request log never holds their values', async () => {
  const capture = capturingLogger()
  const t = await createTestApp({ ADMIN_TOKEN }, capture.logger)
  const COOKIE = 'session-cookie-value-0123456789'
  try {
    const admin = await t.app.inject({
      url: '/admin/stats',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, cookie: `pbr=${COOKIE}` },
    })
    assert.equal(admin.statusCode, 200)
    const fields = { tx_id: uniqueTx(), offer_id: 'o1', payout: '1.00', user_id: 'u1' }
    const postback = await t.app.inject({
      url: `/api/postback?${new URLSearchParams(fields)}`,
      headers: { 'x-postback-secret': SECRET, cookie: `pbr=${COOKIE}` },
    })
    assert.equal(postback.statusCode, 200, postback.body)
    const lines = capture.lines()
    assert.match(lines, /"url":"\/admin\/stats"[^\n]*"msg":"incoming request"/)
    assert.match(lines, /"url":"\/api\/postback\?tx_id=[^\n]*"msg":"incoming request"/)
    for (const value of [ADMIN_TOKEN, COOKIE, SECRET])
      assert.ok(!lines.includes(value), `${value} is in the log:\n${lines}`)
  } finally {
    await t.close()
  }
})
