import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { spawnCli } from '../test/helpers/cli.js'
import { startServer } from '../test/helpers/server.js'
import {
  ADMIN_TOKEN,
  checkLedger,
  freshDatabase,
  inParallel,
  report,
  SECRET,
  serverEnv,
} from './harness.js'

// Scenario: replay of requests whose caller was never verified. Over real sockets, requests of
// every kind refused before verification (wrong content type, too large, unknown network,
// unreadable body, wrong or no secret, a disallowed source, an ambiguous network), each
// carrying a valid-looking credit, are stored; then the operator fixes the configuration
// (adds the network and the address) and replays everything through the CLI (`replay
// --since`) and the dashboard's Replay button. None of them may credit. Requests refused after
// verification (a missing field, fixed by an alias) must credit exactly once.
const EACH = 6
const NEWNET_SECRET = 'newnet-secret-0123456789'

test('replay of unauthenticated rows does not credit; verified refusals credit once', {
  timeout: 240_000,
}, async () => {
  const db = await freshDatabase()
  const dir = await mkdtemp(join(tmpdir(), 'pbr-rel-replay-'))
  const networksFile = join(dir, 'networks.json')
  const writeNetworks = (fixed: boolean) =>
    writeFile(
      networksFile,
      JSON.stringify({
        // Only 203.0.113.0/24 may post for fenced; the test comes from 127.0.0.1 until the fix.
        fenced: { secrets: [SECRET], allowedIps: fixed ? ['127.0.0.1'] : ['203.0.113.0/24'] },
        aliasnet: { secrets: [SECRET], params: { tx_id: fixed ? ['txn', 'tid'] : ['txn'] } },
        ...(fixed ? { newnet: { secrets: [NEWNET_SECRET] } } : {}),
      }),
    )
  await writeNetworks(false)
  const env = serverEnv(db.url, { NETWORKS_FILE: networksFile })
  const server = await startServer(env)
  const since = new Date(Date.now() - 1000).toISOString()
  const started = performance.now()
  try {
    const credit = (user: string, i: number, extra: Record<string, string> = {}) =>
      new URLSearchParams({
        tx_id: `${user}-${i}`,
        offer_id: '7',
        payout: '5.00',
        user_id: user,
        ...extra,
      }).toString()
    const post = (path: string, type: string, body: string) => ({
      method: 'POST',
      headers: { 'content-type': type },
      body,
      path,
    })
    // Each builds request i of its kind; every one names its own user, so any credit shows.
    const kinds: [string, number, string, (i: number) => { path: string } & RequestInit][] = [
      [
        '415',
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        (i) => post(`/api/postback?${credit('u415', i, { secret: SECRET })}`, 'text/plain', 'x'),
      ],
      [
        '413',
        413,
        'BODY_TOO_LARGE',
        (i) =>
          post(
            `/api/postback?${credit('u413', i, { secret: SECRET })}`,
            'application/x-www-form-urlencoded',
            `pad=${'x'.repeat(9000)}`,
          ),
      ],
      [
        'unknown-network',
        404,
        'UNKNOWN_NETWORK',
        (i) => ({
          path: `/api/postback/newnet?${credit('unet', i, { secret: NEWNET_SECRET })}`,
        }),
      ],
      [
        'invalid-body',
        400,
        'INVALID_BODY',
        (i) =>
          post(
            `/api/postback?${credit('ubody', i, { secret: SECRET })}`,
            'application/json',
            '{"x',
          ),
      ],
      [
        'bad-secret',
        403,
        'BAD_SECRET',
        (i) => ({
          path: `/api/postback?${credit('ubad', i, { secret: 'not-the-secret-0123' })}`,
        }),
      ],
      ['no-secret', 403, 'BAD_SECRET', (i) => ({ path: `/api/postback?${credit('unone', i)}` })],
      [
        'ip-not-allowed',
        403,
        'IP_NOT_ALLOWED',
        (i) => ({
          path: `/api/postback/fenced?${credit('uip', i, { secret: SECRET })}`,
        }),
      ],
      [
        'ambiguous-network',
        400,
        'AMBIGUOUS_PARAM',
        (i) => ({
          path: `/api/postback?${credit('uamb', i, { secret: SECRET })}&network=default&network=x`,
        }),
      ],
    ]
    const requests = kinds.flatMap(([kind, status, code, build]) =>
      Array.from({ length: EACH }, (_, i) => ({ kind, status, code, request: build(i) })),
    )
    const answers = await inParallel(requests, 8, async ({ request }) => {
      const { path, ...init } = request
      const response = await fetch(`${server.url}${path}`, init)
      await response.arrayBuffer()
      return { status: response.status, outcome: response.headers.get('x-postback-outcome') }
    })
    for (const [i, { kind, status, code }] of requests.entries())
      assert.deepEqual(answers[i], { status, outcome: code }, kind)
    // Refused after verification: the alias fix makes these creditable.
    for (let i = 0; i < EACH; i++) {
      const response = await fetch(
        `${server.url}/api/postback/aliasnet?tid=ualias-${i}&offer_id=7&payout=5.00&user_id=ualias&secret=${SECRET}`,
      )
      assert.equal(response.headers.get('x-postback-outcome'), 'MISSING_FIELD')
    }
    const stored = await db.client.query<{ verified: boolean; n: number }>(
      'SELECT caller_verified AS verified, count(*)::int AS n FROM postback_log GROUP BY 1 ORDER BY 1',
    )
    const unverified = requests.length
    assert.deepEqual(stored.rows, [
      { verified: false, n: unverified },
      { verified: true, n: EACH },
    ])

    // The operator's fix: the new network, the new address, the alias; then SIGHUP.
    await writeNetworks(true)
    server.child.kill('SIGHUP')
    await waitFor(() => server.output().includes('networks reloaded'))

    // Dashboard: the Replay button on every unverified row, without ticking "really sent it".
    const session = await signIn(server.url)
    const { rows: unverifiedRows } = await db.client.query<{ id: string }>(
      'SELECT id FROM postback_log WHERE NOT caller_verified ORDER BY id',
    )
    let dashboardRefused = 0
    for (const { id } of unverifiedRows) {
      const location = await dashboardReplay(server.url, session, id)
      if (location.endsWith('notice=replay-unauthorized')) dashboardRefused += 1
    }
    assert.equal(dashboardRefused, unverified)

    // CLI: everything since the start, as an operator would after the fix.
    const cliEnv = { DATABASE_URL: db.url, POSTBACK_SECRET: SECRET, NETWORKS_FILE: networksFile }
    const cli = await spawnCli(['replay', '--since', since, '--by', 'reliability'], cliEnv)
    assert.equal(cli.code, 1, cli.stdout + cli.stderr)
    const skipped = cli.stdout.match(/-> skipped: refused as \S+ before its caller was verified/g)
    assert.equal(skipped?.length, unverified, cli.stdout)
    assert.match(
      cli.stdout,
      new RegExp(
        `${unverified + EACH} selected: ${EACH} accepted, 0 still refused, ${unverified} skipped`,
      ),
    )
    const credited = await db.client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ledger_entries WHERE user_id <> 'ualias'`,
    )
    const balances = await db.client.query<{ user_id: string; points: string }>(
      'SELECT user_id, points::text FROM balances WHERE points <> 0 ORDER BY user_id',
    )
    assert.deepEqual(
      balances.rows,
      [{ user_id: 'ualias', points: String(EACH * 500) }],
      'only the verified refusals were credited',
    )
    const again = await spawnCli(['replay', '--since', since], cliEnv)
    assert.equal(again.stdout.match(/-> already replayed as #\d+ \(credited\)/g)?.length, EACH)
    const ledger = await checkLedger(db.client)
    assert.equal(ledger.credits, EACH, 'credited once each, whatever was replayed twice')
    assert.equal(ledger.unbalancedUsers, 0)
    const elapsed = ((performance.now() - started) / 1000).toFixed(1)
    report('replay-unverified', {
      unverified_rows: unverified,
      kinds: kinds.length,
      dashboard_replays_refused: dashboardRefused,
      cli_skipped: skipped?.length ?? 0,
      unverified_credited: credited.rows[0]?.n ?? -1,
      verified_rows: EACH,
      verified_credited: ledger.credits,
      seconds: elapsed,
    })
  } finally {
    await server.stop()
    await db.drop()
    await rm(dir, { recursive: true, force: true })
  }
})

async function waitFor(check: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

type Session = { cookie: string; csrf: string }

async function signIn(base: string): Promise<Session> {
  const response = await fetch(`${base}/dashboard/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: ADMIN_TOKEN, next: '/dashboard' }),
    redirect: 'manual',
  })
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? ''
  const page = await (await fetch(`${base}/dashboard/networks`, { headers: { cookie } })).text()
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? ''
  assert.ok(cookie && csrf, 'signed in to the dashboard')
  return { cookie, csrf }
}

async function dashboardReplay(base: string, session: Session, id: string): Promise<string> {
  const response = await fetch(`${base}/dashboard/postbacks/${id}/replay`, {
    method: 'POST',
    headers: {
      cookie: session.cookie,
      'content-type': 'application/x-www-form-urlencoded',
      origin: base,
    },
    body: new URLSearchParams({ _csrf: session.csrf }),
    redirect: 'manual',
  })
  assert.equal(response.status, 303)
  return response.headers.get('location') ?? ''
}
