import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { SERVICE_FILE } from '../../src/db/data-dir-lock.js'
import { spawnCli } from '../helpers/cli.js'
import { type RunningServer, startServer } from '../helpers/server.js'
import { copyMigratedDataDir } from '../helpers/template.js'

// The CLI beside a running service on the embedded database: the service holds the data
// directory, so replay, offers import, verify-ledger and adjust go through its admin API, with
// the same answers and exit codes as when run directly, and their effect shows in the service.
// Real processes on the embedded database whatever DATABASE_URL says.
const SECRET = 'beside-test-secret-0123456789'
const ACME_SECRET = 'acme-secret-0123456789'
const ADMIN_TOKEN = 'beside-test-admin-token-0123'
let dir: string
let networksFile: string
let env: Record<string, string>

/** acme reads its transaction id from trans_id only; the fix adds the alias tid. */
const acme = (txNames: string[]) =>
  writeFile(
    networksFile,
    JSON.stringify({ acme: { secrets: [ACME_SECRET], params: { tx_id: txNames } } }),
  )

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pbr-beside-'))
  networksFile = join(dir, 'networks.json')
  await acme(['trans_id'])
  const dataDir = join(dir, 'pglite')
  await copyMigratedDataDir(dataDir)
  env = {
    PGLITE_DATA_DIR: dataDir,
    POSTBACK_SECRET: SECRET,
    ADMIN_TOKEN,
    NETWORKS_FILE: networksFile,
  }
})
after(() => rm(dir, { recursive: true, force: true }))

async function admin(server: RunningServer, path: string) {
  const response = await fetch(`${server.url}${path}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function balance(server: RunningServer, user: string): Promise<number> {
  const answer = await admin(server, `/admin/users/${user}`)
  return answer.status === 404 ? 0 : Number(answer.body.balance)
}

async function postback(server: RunningServer, path: string, fields: Record<string, string>) {
  const response = await fetch(`${server.url}${path}?${new URLSearchParams(fields)}`)
  return { status: response.status, outcome: response.headers.get('x-postback-outcome') }
}

const THROUGH_SERVICE =
  /held by the running service \(pid \d+, http:\/\/127\.0\.0\.1:\d+\): going through its admin API/

test('replay, offers import, verify-ledger and adjust beside the running embedded service go through it, and their writes show in it', async () => {
  const server = await startServer(env)
  try {
    // First run: the startup output says where the dashboard is, and / leads there.
    assert.match(server.output(), new RegExp(`"msg":"dashboard: ${server.url}/dashboard `))
    const root = await fetch(`${server.url}/`, { redirect: 'manual' })
    assert.deepEqual([root.status, root.headers.get('location')], [302, '/dashboard'])
    assert.ok(existsSync(join(env.PGLITE_DATA_DIR ?? '', SERVICE_FILE)))

    // adjust
    const credit = await postback(server, '/api/postback', {
      tx_id: 't1',
      offer_id: 'o',
      payout: '1.00',
      user_id: 'u',
      secret: SECRET,
    })
    assert.equal(credit.status, 200)
    const adjusted = await spawnCli(
      ['adjust', 'u', '5', '--reason', 'goodwill', '--reference', 'r-1'],
      env,
    )
    assert.equal(adjusted.code, 0, adjusted.stderr)
    assert.match(adjusted.stdout, /^adjusted u by \+5 points \(ledger entry \d+\); balance 105\n$/)
    assert.match(adjusted.stderr, THROUGH_SERVICE)
    assert.equal(await balance(server, 'u'), 105)
    const again = await spawnCli(
      ['adjust', 'u', '5', '--reason', 'goodwill', '--reference', 'r-1'],
      env,
    )
    assert.equal(again.code, 0, again.stderr)
    assert.match(
      again.stdout,
      /^already applied: entry \d+ \(\+5 points to u, reference r-1\); balance 105\n$/,
    )
    const reused = await spawnCli(['adjust', 'u', '-7', '--reason', 'x', '--reference', 'r-1'], env)
    assert.equal(reused.code, 1)
    assert.match(reused.stderr, /^adjust failed: .*reference r-1/m)
    const taken = await spawnCli(
      ['adjust', 'u', '-5', '--reason', 'taken back', '--by', 'ops'],
      env,
    )
    assert.equal(taken.code, 0, taken.stderr)
    assert.match(taken.stdout, /balance 100\n$/)
    assert.equal(await balance(server, 'u'), 100)

    // offers import: all or nothing, the same report
    const offers = join(dir, 'offers.csv')
    await writeFile(offers, 'offer_id,expected_payout\nbig,1.00\nsmall,0.50\n')
    const imported = await spawnCli(['offers', 'import', offers], env)
    assert.equal(imported.code, 0, imported.stderr)
    assert.equal(imported.stdout, 'imported 2 offers: 2 new, 0 updated\n')
    // The service now holds a payout far above the imported expectation for review.
    const held = await postback(server, '/api/postback', {
      tx_id: 't2',
      offer_id: 'big',
      payout: '9.00',
      user_id: 'u',
      secret: SECRET,
    })
    assert.equal(held.outcome, 'held')
    await writeFile(offers, 'offer_id,expected_payout\nbig,2.00\nbad,1e3\nother,-1\n')
    const refused = await spawnCli(['offers', 'import', offers], env)
    assert.equal(refused.code, 1)
    assert.match(
      refused.stdout,
      /^nothing imported: 2 bad row\(s\)\n {2}line 3: .*\n {2}line 4: .*\n$/,
    )
    const unknown = await spawnCli(['offers', 'import', offers, '--network', 'nowhere'], env)
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /unknown network "nowhere"; configured: acme, default/)
    const stillHeld = await postback(server, '/api/postback', {
      tx_id: 't3',
      offer_id: 'big',
      payout: '1.90',
      user_id: 'u',
      secret: SECRET,
    })
    assert.equal(stillHeld.outcome, 'held', 'the refused file changed no expectation (1.00 stays)')

    // replay: refused for want of an alias, fixed in the service's configuration, replayed
    const refusedPostback = await postback(server, '/api/postback/acme', {
      tid: 'acme-1',
      offer_id: 'o',
      payout: '2.00',
      user_id: 'r',
      secret: ACME_SECRET,
    })
    assert.deepEqual(refusedPostback, { status: 400, outcome: 'MISSING_FIELD' })
    await acme(['trans_id', 'tid'])
    server.child.kill('SIGHUP')
    for (let i = 0; i < 100 && !server.output().includes('"msg":"networks reloaded"'); i++)
      await new Promise((resolve) => setTimeout(resolve, 100))
    const since = new Date(Date.now() - 3600_000).toISOString()
    const dry = await spawnCli(['replay', '--since', since, '--network', 'acme', '--dry-run'], env)
    assert.equal(dry.code, 0, dry.stderr)
    assert.match(
      dry.stdout,
      /^#\d+ \S+ acme tx - MISSING_FIELD -> would replay\n1 postback\(s\) selected; nothing changed \(--dry-run\)\n$/,
    )
    const replayed = await spawnCli(
      ['replay', '--since', since, '--network', 'acme', '--by', 'ops'],
      env,
    )
    assert.equal(replayed.code, 0, replayed.stderr)
    assert.match(
      replayed.stdout,
      /^replaying as admin-api from 127\.0\.0\.1 for cli:ops: only requests whose caller was verified when they arrived\n#\d+ \S+ acme tx - MISSING_FIELD -> credited \(conversion \d+, \+200 points\) \[log #\d+\]\n1 selected: 1 accepted, 0 still refused, 0 skipped\n$/,
    )
    assert.equal(await balance(server, 'r'), 200)
    const log = await admin(server, '/admin/postbacks?network=acme')
    const rows = log.body.items as { outcome: string; txId: string | null }[]
    assert.deepEqual(
      rows.map((row) => [row.outcome, row.txId]),
      [
        ['credited', 'acme-1'],
        ['MISSING_FIELD', null],
      ],
    )
    const repeat = await spawnCli(['replay', '--since', since, '--network', 'acme'], env)
    assert.equal(repeat.code, 0, repeat.stderr)
    assert.match(repeat.stdout, /-> already replayed as #\d+ \(credited\)\n/)
    assert.equal(await balance(server, 'r'), 200, 'credited once')
    const missing = await spawnCli(['replay', '99999999'], env)
    assert.equal(missing.code, 1)
    assert.match(missing.stderr, /^replay failed: no postback log row 99999999$/m)

    // verify-ledger
    const verified = await spawnCli(['verify-ledger'], env)
    assert.equal(verified.code, 0, verified.stderr)
    assert.match(verified.stdout, /^ok {4}every balance equals the sum of its ledger entries\n/)
    assert.match(verified.stdout, /\nledger OK\n$/)

    // Without the service's ADMIN_TOKEN the command says what to set, and changes nothing.
    const { ADMIN_TOKEN: _, ...noToken } = env
    const untokened = await spawnCli(['adjust', 'u', '1', '--reason', 'x'], noToken)
    assert.equal(untokened.code, 1)
    assert.match(
      untokened.stderr,
      /admin API; set ADMIN_TOKEN here \(\.env or the environment\) to the service's/,
    )
    const wrong = await spawnCli(['adjust', 'u', '1', '--reason', 'x'], {
      ...env,
      ADMIN_TOKEN: 'another-admin-token-0123456789',
    })
    assert.equal(wrong.code, 1)
    assert.match(wrong.stderr, /refused this ADMIN_TOKEN: set ADMIN_TOKEN here to the service's/)
    assert.equal(await balance(server, 'u'), 100)
  } finally {
    await server.stop()
  }
  assert.equal(await server.exited, 0)
  assert.equal(
    existsSync(join(env.PGLITE_DATA_DIR ?? '', SERVICE_FILE)),
    false,
    'a clean stop removes it',
  )
  // Nothing was written behind the service's back: once it is gone the CLI opens the database
  // itself and finds every write made through the service.
  const direct = await spawnCli(['adjust', 'u', '1', '--reason', 'after the stop'], env)
  assert.equal(direct.code, 0, direct.stderr)
  assert.doesNotMatch(direct.stderr, /admin API/)
  assert.match(direct.stdout, /balance 101\n$/)
  const ledger = await spawnCli(['verify-ledger'], env)
  assert.equal(ledger.code, 0, ledger.stdout)
})

test('beside a service whose admin API is off, a command refuses and says to set ADMIN_TOKEN', async () => {
  const { ADMIN_TOKEN: _, ...withoutToken } = env
  const server = await startServer(withoutToken)
  try {
    assert.match(server.output(), /"msg":"dashboard off: set ADMIN_TOKEN /)
    const refused = await spawnCli(['verify-ledger'], env)
    assert.equal(refused.code, 1)
    assert.equal(refused.stdout, '')
    assert.match(
      refused.stderr,
      /^verify-ledger failed: the embedded database .*pglite is held by the running service \(pid \d+, http:\/\/127\.0\.0\.1:\d+\), and this command would go through its admin API, which is off: set ADMIN_TOKEN .* for the service .*restart it/m,
    )
  } finally {
    await server.stop()
  }
})

test('beside a service that serves HTTPS itself, a command checks it presents the configured certificate', async () => {
  const certificate = (name: string) => {
    const cert = join(dir, `${name}.crt`)
    const key = join(dir, `${name}.key`)
    const args = `req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=${name} -keyout ${key} -out ${cert}`
    execFileSync('openssl', args.split(' '), { stdio: 'ignore' })
    return { TLS_CERT_FILE: cert, TLS_KEY_FILE: key }
  }
  const served = certificate('served')
  const server = await startServer({ ...env, ...served })
  try {
    assert.match(server.url, /^https:/)
    const verified = await spawnCli(['verify-ledger'], { ...env, ...served })
    assert.equal(verified.code, 0, verified.stderr)
    assert.match(
      verified.stderr,
      /held by the running service \(pid \d+, https:\/\/127\.0\.0\.1:\d+\): going through/,
    )
    assert.match(verified.stdout, /\nledger OK\n$/)
    // Another certificate answering on that address is not the service: nothing is sent to it.
    const other = await spawnCli(['verify-ledger'], { ...env, ...certificate('other') })
    assert.equal(other.code, 1)
    assert.match(other.stderr, /presents a certificate other than TLS_CERT_FILE's/)
  } finally {
    await server.stop()
  }
})
