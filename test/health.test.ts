import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildApp } from '../src/app.js'
import { openDatabase } from '../src/db/database.js'
import { createTestDatabase, type TestDatabase, testConfig } from './helpers/database.js'
import { capturingLogger, silentLogger } from './helpers/logging.js'

let testDb: TestDatabase
let app: FastifyInstance
before(async () => {
  testDb = await createTestDatabase()
  app = await buildApp(testDb.config, { db: testDb.db, logger: silentLogger() })
})
after(async () => {
  await app.close()
  await testDb.drop()
})

test('GET /healthz answers 200 while the process runs', async () => {
  const response = await app.inject('/healthz')
  assert.equal(response.statusCode, 200)
  assert.deepEqual(response.json(), { status: 'ok' })
})

test('GET /readyz answers 200 and names the database kind when the database answers', async () => {
  const response = await app.inject('/readyz')
  assert.equal(response.statusCode, 200)
  assert.deepEqual(response.json(), { status: 'ok', database: testDb.db.kind })
})

test('an unknown route gets a 404 in the error shape, without echoing the query string', async () => {
  const response = await app.inject('/nowhere?secret=s3cr3t-value')
  assert.equal(response.statusCode, 404)
  assert.deepEqual(response.json(), {
    statusCode: 404,
    code: 'NOT_FOUND',
    error: 'Not Found',
    message: 'no route for GET /nowhere',
  })
})

test('an unexpected error becomes a generic 500: no stack, no SQL; the log has the detail', async () => {
  const { logger, lines } = capturingLogger()
  const local = await buildApp(testDb.config, { db: testDb.db, logger })
  local.get('/boom', async () => {
    await testDb.db.pool.query('SELECT * FROM missing_table_for_test')
  })
  const response = await local.inject('/boom')
  await local.close()
  assert.equal(response.statusCode, 500)
  assert.deepEqual(response.json(), {
    statusCode: 500,
    code: 'INTERNAL_ERROR',
    error: 'Internal Server Error',
    message: 'internal error; the details are in the service log',
  })
  assert.match(lines(), /missing_table_for_test/)
})

test('invalid JSON gets a 400 that does not quote the body', async () => {
  const local = await buildApp(testDb.config, { db: testDb.db, logger: silentLogger() })
  local.post('/echo', async () => 'ok')
  const response = await local.inject({
    method: 'POST',
    url: '/echo',
    headers: { 'content-type': 'application/json' },
    payload: '{"secret": "top-secret-value"',
  })
  await local.close()
  assert.equal(response.statusCode, 400)
  assert.equal(response.json().code, 'INVALID_BODY')
  assert.ok(!response.body.includes('top-secret-value'))
})

test('when the database cannot be reached, /readyz answers 503 with Retry-After, quickly', async () => {
  // Port 1 on loopback: nothing listens, the connection is refused.
  const config = testConfig({
    DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none',
    POSTBACK_SECRET: 'health-test-secret-0123',
  })
  const db = await openDatabase(config, silentLogger())
  const local = await buildApp(config, { db, logger: silentLogger() })
  const started = Date.now()
  const response = await local.inject('/readyz')
  await local.close()
  await db.close()
  assert.equal(response.statusCode, 503)
  assert.equal(response.headers['retry-after'], '5')
  assert.equal(response.json().code, 'DATABASE_UNAVAILABLE')
  assert.ok(Date.now() - started < 5000)
})

test('when the database goes away under a running app, /readyz turns 503', async () => {
  const own = await createTestDatabase()
  const local = await buildApp(own.config, { db: own.db, logger: silentLogger() })
  assert.equal((await local.inject('/readyz')).statusCode, 200)
  await own.drop() // closes the pool and removes the database
  const response = await local.inject('/readyz')
  await local.close()
  assert.equal(response.statusCode, 503)
  assert.equal(response.json().code, 'DATABASE_UNAVAILABLE')
})
