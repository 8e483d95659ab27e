import assert from 'node:assert/strict'
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

test('when the configuration is invalid, the server exits before listening and says why', async () => {
  const result = await runServerToExit({ PORT: 'abc' })
  assert.equal(result.code, 2)
  assert.equal(
    result.stderr.trim(),
    'config error: PORT="abc": expected a whole number from 0 to 65535 (example: PORT=3000)',
  )
  assert.ok(!result.stdout.includes('Server listening'))
})
