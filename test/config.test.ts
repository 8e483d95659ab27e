import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ConfigError, loadConfig } from '../src/config.js'
import { runServerToExit } from './helpers/server.js'

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env)
  } catch (error) {
    if (error instanceof ConfigError) return error.problems
    throw error
  }
  assert.fail('expected the configuration to be refused')
}

test('with an empty environment, every setting has its documented default', () => {
  const config = loadConfig({})
  assert.equal(config.PORT, 3000)
  assert.equal(config.HOST, '0.0.0.0')
  assert.equal(config.LOG_LEVEL, 'info')
  assert.equal(config.DATABASE_URL, undefined)
  assert.equal(config.DATABASE_POOL_MAX, 10)
  assert.equal(config.PGLITE_DATA_DIR, './data/pglite')
  assert.ok(Object.isFrozen(config))
})

test('empty values count as unset, as in a .env file with VAR=', () => {
  const config = loadConfig({ PORT: '', DATABASE_URL: '' })
  assert.equal(config.PORT, 3000)
  assert.equal(config.DATABASE_URL, undefined)
})

test('a bad value is named with its problem and an example, one line each', () => {
  const problems = problemsOf({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_POOL_MAX: '0' })
  assert.equal(problems.length, 3)
  assert.equal(
    problems[0],
    'PORT="abc": expected a whole number from 0 to 65535 (example: PORT=3000)',
  )
  assert.match(
    problems[1] ?? '',
    /^LOG_LEVEL="loud": expected one of fatal, error, warn, info.*\(example: LOG_LEVEL=info\)$/,
  )
  assert.match(problems[2] ?? '', /^DATABASE_POOL_MAX="0": expected a whole number from 1 to 1000/)
  for (const line of problems) assert.ok(!line.includes('\n'))
})

test('a bad DATABASE_URL is reported without echoing its value (it may hold a password)', () => {
  const [problem] = problemsOf({ DATABASE_URL: 'mysql://root:hunter2@db/x' })
  assert.match(problem ?? '', /^DATABASE_URL=<hidden>: expected a postgres:\/\/ connection URL/)
  assert.ok(!problem?.includes('hunter2'))
})

test('when the configuration (environment or .env) is invalid, the server exits before listening and says why', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pbr-dotenv-'))
  try {
    const dotenv = join(dir, '.env')
    await writeFile(dotenv, 'LOG_LEVEL=loud\n')
    const result = await runServerToExit({ PORT: 'abc', DOTENV_CONFIG_PATH: dotenv })
    assert.equal(result.code, 2)
    const lines = result.stderr.trim().split('\n')
    assert.equal(
      lines[0],
      'config error: PORT="abc": expected a whole number from 0 to 65535 (example: PORT=3000)',
    )
    assert.match(lines[1] ?? '', /^config error: LOG_LEVEL="loud": expected one of /)
    assert.equal(lines.length, 2)
    assert.ok(!result.stdout.includes('Server listening'))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('slow-client timeouts and the wrong-token throttle have bounded defaults; zero or a head longer than the request is refused', () => {
  const config = loadConfig({})
  assert.equal(config.HEADERS_TIMEOUT, 10_000)
  assert.equal(config.REQUEST_TIMEOUT, 30_000)
  assert.equal(config.CONNECTION_TIMEOUT, 60_000)
  assert.equal(config.KEEP_ALIVE_TIMEOUT, 72_000)
  assert.equal(config.AUTH_FAILURE_MAX, 10)
  assert.equal(config.AUTH_FAILURE_WINDOW, 15 * 60_000)
  assert.equal(loadConfig({ CONNECTION_TIMEOUT: '0 s' }).CONNECTION_TIMEOUT, 0)
  const problems = problemsOf({ REQUEST_TIMEOUT: '0 s', AUTH_FAILURE_WINDOW: '0 s' })
  assert.equal(problems.length, 2)
  assert.match(problems[0] ?? '', /^REQUEST_TIMEOUT="0 s": expected a duration above zero/)
  assert.deepEqual(problemsOf({ HEADERS_TIMEOUT: '40 s' }), [
    'HEADERS_TIMEOUT must not exceed REQUEST_TIMEOUT (the head is part of the request) (example: HEADERS_TIMEOUT=10 s REQUEST_TIMEOUT=30 s)',
  ])
})
