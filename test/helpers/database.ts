import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { type Config, loadConfig } from '../../src/config.js'
import { type Database, openDatabase } from '../../src/db/database.js'
import { silentLogger } from './logging.js'
import { cloneMigratedDatabase, copyEmptyDataDir, copyMigratedDataDir } from './template.js'

// With DATABASE_URL set the suite runs on that real PostgreSQL, each test file in a database
// of its own; without it, each file gets its own embedded PGlite in a temporary directory.
const ADMIN_URL = process.env.DATABASE_URL || undefined
export const USING_REAL_POSTGRES = ADMIN_URL !== undefined

export type TestDatabase = {
  /** Environment that points a config (or a spawned server) at this database. */
  env: Record<string, string>
  config: Config
  db: Database
  drop(): Promise<void>
}

/**
 * An isolated, empty database (not yet migrated). Embedded: a copy of an empty data directory,
 * or with `firstStart` none at all, as on a service's first start (PGlite runs initdb: slow).
 */
export function createEmptyDatabase(
  options: { firstStart?: boolean } = {},
): Promise<Omit<TestDatabase, 'db' | 'config'>> {
  return createDatabase(options.firstStart ? 'none' : 'empty')
}

/**
 * An isolated database with every migration applied (a copy of a migrated template), not yet
 * open: for a server process or a CLI run to open.
 */
export function createMigratedDatabase(): Promise<Omit<TestDatabase, 'db' | 'config'>> {
  return createDatabase('migrated')
}

async function createDatabase(
  start: 'migrated' | 'empty' | 'none',
): Promise<Omit<TestDatabase, 'db' | 'config'>> {
  if (ADMIN_URL) {
    const name = `pbr_test_${process.pid}_${randomBytes(4).toString('hex')}`
    if (start === 'migrated') await cloneMigratedDatabase(ADMIN_URL, name)
    else await adminQuery(`CREATE DATABASE ${name}`)
    const url = new URL(ADMIN_URL)
    url.pathname = `/${name}`
    return {
      env: { DATABASE_URL: url.toString() },
      drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
    }
  }
  const dir = await mkdtemp(join(tmpdir(), 'pbr-test-'))
  const dataDir = join(dir, 'pglite')
  if (start === 'migrated') await copyMigratedDataDir(dataDir)
  else if (start === 'empty') await copyEmptyDataDir(dataDir)
  return {
    env: { PGLITE_DATA_DIR: dataDir },
    drop: () => rm(dir, { recursive: true, force: true }),
  }
}

/** An isolated database with every migration applied, open through the service's own code. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const created = await createMigratedDatabase()
  const config = testConfig(created.env)
  const db = await openDatabase(config, silentLogger())
  let dropped = false
  return {
    ...created,
    config,
    db,
    async drop() {
      if (dropped) return
      dropped = true
      await db.close().catch(() => {})
      await created.drop()
    },
  }
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ LOG_LEVEL: 'silent', PORT: '0', HOST: '127.0.0.1', ...env })
}

async function adminQuery(sql: string) {
  const client = new pg.Client({ connectionString: ADMIN_URL })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}
