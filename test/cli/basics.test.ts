import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { SECRET } from '../helpers/app.js'
import { CLI_SKIP, runCli, spawnCli } from '../helpers/cli.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

const COMMANDS = [
  'url',
  'send-test',
  'replay',
  'reconcile',
  'verify-ledger',
  'retention',
  'offers',
  'adjust',
  'migrate',
]

const UNREACHABLE = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
  DATABASE_CONNECT_TIMEOUT_MS: '500',
}

// The other CLI tests run commands in this process; these run the real process, whose exit
// status and .env reading only a process shows: one run per exit status.
test('as a process: 0 for --help, 2 for a usage error or a bad setting (also from .env), 1 for a failure', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pbr-cli-dotenv-'))
  try {
    const dotenv = join(dir, '.env')
    await writeFile(dotenv, 'DATABASE_POOL_MAX=lots\n')
    const [help, unknown, badSetting, failure] = await Promise.all([
      spawnCli(['--help'], {}),
      spawnCli(['frobnicate'], {}),
      spawnCli(['verify-ledger'], { DOTENV_CONFIG_PATH: dotenv }),
      spawnCli(['verify-ledger'], UNREACHABLE),
    ])
    assert.equal(help.code, 0, help.stderr)
    assert.match(help.stdout, /^usage: postback-receiver <command>/)
    assert.equal(unknown.code, 2)
    assert.match(unknown.stderr, /unknown command "frobnicate"/)
    assert.equal(badSetting.code, 2)
    assert.match(badSetting.stderr, /^config error: DATABASE_POOL_MAX="lots"/)
    assert.equal(failure.code, 1)
    assert.match(failure.stderr, /verify-ledger failed: .*ECONNREFUSED/)
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('--help lists every command and exits 0', async () => {
  const run = await runCli(['--help'], {})
  assert.equal(run.code, 0)
  for (const name of COMMANDS) assert.match(run.stdout, new RegExp(`^  ${name} `, 'm'))
})

test('every command has its own --help, which touches no database', async () => {
  const runs = await Promise.all(
    COMMANDS.map((name) =>
      runCli([name, '--help'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }),
    ),
  )
  runs.forEach((run, index) => {
    assert.equal(run.code, 0, run.stderr)
    assert.match(run.stdout, new RegExp(`^usage: postback-receiver ${COMMANDS[index]}`))
  })
})

test('an unknown command or flag is a usage error (exit 2) that shows the usage', async () => {
  const unknown = await runCli(['frobnicate'], {})
  assert.equal(unknown.code, 2)
  assert.match(unknown.stderr, /unknown command "frobnicate"/)
  assert.match(unknown.stderr, /^usage: postback-receiver <command>/m)
  const flag = await runCli(['verify-ledger', '--frob'], {})
  assert.equal(flag.code, 2)
  assert.match(flag.stderr, /Unknown option '--frob'/)
  assert.match(flag.stderr, /usage: postback-receiver verify-ledger/)
})

test('a bad setting stops the command with exit 2, naming the variable', async () => {
  const run = await runCli(['verify-ledger'], { DATABASE_POOL_MAX: 'lots' })
  assert.equal(run.code, 2)
  assert.match(run.stderr, /config error: DATABASE_POOL_MAX="lots"/)
})

test('when the database is unreachable, the command fails with exit 1 and says so', async () => {
  const run = await runCli(['verify-ledger'], UNREACHABLE)
  assert.equal(run.code, 1)
  assert.match(run.stderr, /verify-ledger failed: .*ECONNREFUSED/)
})

describe('on a database', { skip: CLI_SKIP }, () => {
  let testDb: TestDatabase
  before(async () => {
    testDb = await createTestDatabase()
  })
  after(() => testDb?.drop())

  test('url prints the postback URL with the secret, and a curl test', async () => {
    const run = await runCli(['url'], {
      ...testDb.env,
      POSTBACK_SECRET: SECRET,
      PUBLIC_URL: 'https://pb.example.com',
    })
    assert.equal(run.code, 0, run.stderr)
    assert.match(
      run.stdout,
      /^https:\/\/pb\.example\.com\/api\/postback\?secret=test-secret-0123456789&tx_id=\{tx_id\}.*&status=\{status\}$/m,
    )
    assert.match(run.stdout, /^curl /m)
  })

  test('url for a network that is not configured is a usage error naming the configured ones', async () => {
    const run = await runCli(['url', 'nowhere'], { ...testDb.env, POSTBACK_SECRET: SECRET })
    assert.equal(run.code, 2)
    assert.match(run.stderr, /unknown network "nowhere"; configured: default/)
  })
})
