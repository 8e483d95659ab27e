import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import pg from 'pg'
import { createPlannerStats, GROWING_TABLES } from '../../src/db/planner-stats.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { capturingLogger, silentLogger } from '../helpers/logging.js'

// The writer's prepared statements keep the plan they made while their tables were small until
// the tables' statistics change; PGlite has no autovacuum to change them. The writer refreshes
// them itself as it writes (bench/stale-plans.ts shows what that is worth).

let testDb: TestDatabase
before(async () => {
  testDb = await createTestDatabase()
})
after(async () => {
  await testDb?.drop()
})

const rowsKnown = async (table: string) => {
  const { rows } = await testDb.db.pool.query<{ n: number }>(
    'SELECT reltuples::float8 AS n FROM pg_class WHERE oid = to_regclass($1)',
    [table],
  )
  return rows[0]?.n
}

const insertConversions = (from: number, to: number) =>
  testDb.db.pool.query(
    `INSERT INTO conversions (network, tx_id, user_id, status, points)
     SELECT 'net', 'tx-' || g, 'u' || g, 'approved', 1 FROM generate_series($1::int, $2::int) g`,
    [from, to],
  )

test('tables the planner has never seen analyzed are analyzed at start, and only those', async () => {
  const stats = createPlannerStats(testDb.db.pool, silentLogger())
  stats.analyzeUnknown()
  await stats.idle()
  for (const table of GROWING_TABLES) assert.ok(((await rowsKnown(table)) ?? -1) >= 0, table)
  await insertConversions(1, 30)
  stats.analyzeUnknown() // known now: left to the writer's count
  await stats.idle()
  assert.equal(await rowsKnown('conversions'), 0)
})

test('the writer refreshes the statistics once it has written past its threshold', async () => {
  const stats = createPlannerStats(testDb.db.pool, silentLogger(), { minRows: 100, growth: 0.5 })
  await insertConversions(31, 90)
  stats.noteWrites(60)
  await stats.idle()
  assert.equal(await rowsKnown('conversions'), 0, 'below the threshold: not yet')
  await insertConversions(91, 130)
  stats.noteWrites(40)
  await stats.idle()
  assert.equal(await rowsKnown('conversions'), 130, 'past it: the planner knows every row')

  // The next threshold is a share of what is there now (half of 130 here; at least minRows).
  await insertConversions(131, 200)
  stats.noteWrites(70)
  await stats.idle()
  assert.equal(await rowsKnown('conversions'), 130, '70 of the 100 needed')
  stats.noteWrites(30)
  await stats.idle()
  assert.equal(await rowsKnown('conversions'), 200)
})

test('a database unreachable at start is a warning, not a failure to start', async () => {
  const { logger, lines } = capturingLogger()
  const unreachable = new pg.Pool({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 500 })
  const stats = createPlannerStats(unreachable, logger)
  stats.analyzeUnknown()
  await stats.idle()
  await unreachable.end()
  assert.match(lines(), /refreshing table statistics failed/)
})

test('a failed refresh is a warning, never an error for the postbacks that triggered it', async () => {
  const { logger, lines } = capturingLogger()
  const stats = createPlannerStats(testDb.db.pool, logger, {
    minRows: 1,
    tables: ['no_such_table'],
  })
  stats.noteWrites(5)
  await stats.idle()
  assert.match(lines(), /refreshing table statistics failed/)
})
