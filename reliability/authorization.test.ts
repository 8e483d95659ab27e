import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { startServer } from '../test/helpers/server.js'
import {
  ADMIN_TOKEN,
  checkLedger,
  findLeakedSecrets,
  freshDatabase,
  report,
  SECRET,
  scrapeMetrics,
  sendPostback,
  serverEnv,
} from './harness.js'

// Scenario 6: everything that must be refused is refused, and nothing changes.
const KIWI_SECRET = 'kiwi-network-secret-0123'
const md5 = (text: string) => createHash('md5').update(text).digest('hex')
const kiwiUrl = (base: string, tx: string, user: string, amount: string, secret: string) =>
  `${base}/api/postback/kiwi?trans_id=${tx}&sub_id=${user}&amount=${amount}&status=1&signature=${md5(`${user}:${amount}:${secret}`)}`
type Attempt = { name: string; expect: number; expectCode: string; run: () => Promise<Response> }

test('authorization: wrong secrets, spoofed addresses, changed amounts and admin calls without the token change nothing', {
  timeout: 120_000,
}, async () => {
  const db = await freshDatabase()
  // A second network with its own key, signed as Kiwiwall signs: md5("sub_id:amount:secret").
  const dir = await mkdtemp(join(tmpdir(), 'pbr-rel-auth-'))
  const networksFile = join(dir, 'networks.json')
  await writeFile(
    networksFile,
    JSON.stringify({ kiwi: { preset: 'kiwiwall', secrets: [KIWI_SECRET] } }),
  )
  const open = await startServer(serverEnv(db.url, { NETWORKS_FILE: networksFile }))
  // This instance only accepts 203.0.113.0/24 and trusts no proxy; the test comes from 127.0.0.1.
  const fenced = await startServer(serverEnv(db.url, { ALLOWED_IPS: '203.0.113.0/24' }))
  try {
    const fields = { tx_id: 'auth-1', offer_id: '7', payout: '3.50', user_id: 'auth-user' }
    assert.equal((await sendPostback(open.url, fields)).outcome, 'credited')
    const signedKiwi = kiwiUrl(open.url, 'kiwi-1', 'auth-user', '150', KIWI_SECRET)
    assert.equal((await fetch(signedKiwi)).headers.get('x-postback-outcome'), 'credited')
    const before = await checkLedger(db.client)

    const url = (base: string, extra: Record<string, string>, secret: string | null = SECRET) => {
      const query = new URLSearchParams({ ...fields, tx_id: 'auth-2', ...extra })
      if (secret !== null) query.set('secret', secret)
      return `${base}/api/postback?${query}`
    }
    const admin = (path: string, init: RequestInit = {}) => fetch(`${open.url}${path}`, init)
    const attempts: Attempt[] = [
      {
        name: 'no secret',
        expect: 403,
        expectCode: 'BAD_SECRET',
        run: () => fetch(url(open.url, {}, null)),
      },
      {
        name: 'wrong secret',
        expect: 403,
        expectCode: 'BAD_SECRET',
        run: () => fetch(url(open.url, {}, 'wrong-secret-value-123')),
      },
      {
        name: 'secret with a suffix',
        expect: 403,
        expectCode: 'BAD_SECRET',
        run: () => fetch(url(open.url, {}, `${SECRET}x`)),
      },
      {
        name: 'secret prefix only',
        expect: 403,
        expectCode: 'BAD_SECRET',
        run: () => fetch(url(open.url, {}, SECRET.slice(0, -1))),
      },
      {
        name: 'admin token as postback secret',
        expect: 403,
        expectCode: 'BAD_SECRET',
        run: () => fetch(url(open.url, {}, ADMIN_TOKEN)),
      },
      {
        name: 'two different secrets',
        expect: 403,
        expectCode: 'BAD_SECRET',
        run: () => fetch(`${url(open.url, {})}&secret=other-secret-value-1`),
      },
      {
        name: 'another network',
        expect: 404,
        expectCode: 'UNKNOWN_NETWORK',
        run: () => fetch(url(open.url, { network: 'other' })),
      },
      {
        name: "the default network's secret on another network",
        expect: 403,
        expectCode: 'BAD_SIGNATURE',
        run: () => fetch(kiwiUrl(open.url, 'kiwi-2', 'auth-user', '150', SECRET)),
      },
      {
        name: "another network's secret on the default network",
        expect: 403,
        expectCode: 'BAD_SECRET',
        run: () => fetch(url(open.url, {}, KIWI_SECRET)),
      },
      {
        name: 'a signed URL replayed with a changed amount',
        expect: 403,
        expectCode: 'BAD_SIGNATURE',
        run: () =>
          fetch(signedKiwi.replace('amount=150', 'amount=15000').replace('kiwi-1', 'kiwi-3')),
      },
      {
        name: 'spoofed X-Forwarded-For, no trusted proxy',
        expect: 403,
        expectCode: 'IP_NOT_ALLOWED',
        run: () => fetch(url(fenced.url, {}), { headers: { 'x-forwarded-for': '203.0.113.9' } }),
      },
      {
        name: 'source not allowed',
        expect: 403,
        expectCode: 'IP_NOT_ALLOWED',
        run: () => fetch(url(fenced.url, {})),
      },
      {
        name: 'admin without token',
        expect: 401,
        expectCode: 'UNAUTHORIZED',
        run: () => admin('/admin/users/auth-user'),
      },
      {
        name: 'admin with wrong token',
        expect: 401,
        expectCode: 'UNAUTHORIZED',
        run: () =>
          admin('/admin/conversions', {
            headers: { authorization: 'Bearer wrong-admin-token-123' },
          }),
      },
      {
        name: 'admin with the postback secret',
        expect: 401,
        expectCode: 'UNAUTHORIZED',
        run: () =>
          admin('/admin/conversions/1/approve', {
            method: 'POST',
            headers: { authorization: `Bearer ${SECRET}` },
          }),
      },
      {
        name: 'admin offer change without token',
        expect: 401,
        expectCode: 'UNAUTHORIZED',
        run: () =>
          admin('/admin/offers/7', {
            method: 'PUT',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ expectedPayout: '0.01' }),
          }),
      },
    ]

    const failures: string[] = []
    for (const attempt of attempts) {
      const response = await attempt.run()
      const body = await response.text()
      const code =
        response.headers.get('x-postback-outcome') ??
        (JSON.parse(body || '{}') as { code?: string }).code
      if (response.status !== attempt.expect || code !== attempt.expectCode) {
        failures.push(`${attempt.name}: ${response.status} ${code}`)
      }
      if (body.includes(SECRET) || body.includes(ADMIN_TOKEN))
        failures.push(`${attempt.name}: the answer echoes a secret`)
    }

    // A replay of an accepted postback with a changed amount or user is not applied.
    const replay = await sendPostback(open.url, { ...fields, payout: '350.00' })
    const replayUser = await sendPostback(open.url, { ...fields, user_id: 'attacker' })
    if (replay.outcome !== 'duplicate' || replayUser.outcome !== 'duplicate') {
      failures.push(`replay with changes: ${replay.outcome}, ${replayUser.outcome}`)
    }

    const after = await checkLedger(db.client)
    const { rows } = await db.client.query<{ points: string }>(
      "SELECT points::text FROM balances WHERE user_id = 'auth-user'",
    )
    const attacker = await db.client.query("SELECT 1 FROM balances WHERE user_id = 'attacker'")
    const metrics = await scrapeMetrics(open.url)
    assert.match(
      metrics,
      /postback_receiver_postbacks_total\{network="default",outcome="BAD_SECRET"\}/,
    )
    const leaks = await findLeakedSecrets(
      db.client,
      [open.output(), fenced.output(), metrics],
      [
        SECRET,
        ADMIN_TOKEN,
        'wrong-secret-value-123',
        'other-secret-value-1',
        'wrong-admin-token-123',
      ],
    )

    report('authorization', {
      attempts: attempts.length + 2,
      refused: attempts.length + 2 - failures.length,
      failures: failures.length,
      balanceBefore: before.balanceTotal,
      balanceAfter: after.balanceTotal,
      leaks: leaks.length,
    })
    assert.deepEqual(failures, [])
    assert.deepEqual(after, before, 'nothing changed')
    assert.equal(rows[0]?.points, '500') // 350 from the default network + 150 from kiwi
    assert.equal(attacker.rowCount, 0)
    assert.deepEqual(leaks, [])
  } finally {
    await Promise.all([open.stop(), fenced.stop()])
    await db.drop()
    await rm(dir, { recursive: true, force: true })
  }
})
