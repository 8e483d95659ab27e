import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { type AppDependencies, buildApp } from '../../src/app.js'
import { createTestDatabase, type TestDatabase, testConfig } from './database.js'
import { silentLogger } from './logging.js'

export const SECRET = 'test-secret-0123456789'
export const ADMIN_TOKEN = 'test-admin-token-0123456789'

export type TestApp = { app: FastifyInstance; testDb: TestDatabase; close(): Promise<void> }

/** A migrated database of this test file's own, and an app on it with these settings. */
export async function createTestApp(
  env: Record<string, string> = {},
  logger?: Logger,
): Promise<TestApp> {
  const testDb = await createTestDatabase()
  const app = await buildAppOn(testDb, env, logger)
  return {
    app,
    testDb,
    async close() {
      try {
        await app.close()
      } finally {
        await testDb.drop()
      }
    },
  }
}

/** Another app (other settings) on an existing test database. Close it yourself. */
export function buildAppOn(
  testDb: TestDatabase,
  env: Record<string, string> = {},
  logger?: Logger,
  deps: Partial<AppDependencies> = {},
) {
  const config = testConfig({ ...testDb.env, POSTBACK_SECRET: SECRET, ADMIN_TOKEN, ...env })
  return buildApp(config, { db: testDb.db, logger: logger ?? silentLogger(), ...deps })
}

/** /api/postback?… with the test secret unless the fields say otherwise. */
export function postbackUrl(fields: Record<string, string>, path = '/api/postback'): string {
  return `${path}?${new URLSearchParams({ secret: SECRET, ...fields })}`
}

let counter = 0
/** A transaction id no other test uses. */
export function uniqueTx(prefix = 'tx'): string {
  counter += 1
  return `${prefix}-${process.pid}-${Date.now()}-${counter}`
}

export const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}` }

/** Balance from the balances table and the sum of the user's ledger: they must always agree. */
export async function balanceOf(testDb: TestDatabase, userId: string) {
  const { rows } = await testDb.db.pool.query<{ balance: string | null; ledger: string }>(
    `SELECT (SELECT points::text FROM balances WHERE user_id = $1) AS balance,
            (SELECT COALESCE(sum(points), 0)::text FROM ledger_entries WHERE user_id = $1) AS ledger`,
    [userId],
  )
  const row = rows[0]
  return { balance: Number(row?.balance ?? 0), ledger: Number(row?.ledger ?? 0) }
}

/** What a network sees of an answer: status, the outcome header, the body. */
export function answerOf(response: {
  statusCode: number
  headers: Record<string, unknown>
  body: string
}) {
  return {
    status: response.statusCode,
    outcome: response.headers['x-postback-outcome'] as string | undefined,
    body: response.body,
  }
}

/** The user's balance, after checking that it equals their ledger sum. */
export async function consistentBalance(testDb: TestDatabase, userId: string): Promise<number> {
  const { balance, ledger } = await balanceOf(testDb, userId)
  if (balance !== ledger)
    throw new Error(`balance ${balance} differs from ledger ${ledger} for ${userId}`)
  return balance
}
