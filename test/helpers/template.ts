import { createHash, randomBytes } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { cp, mkdir, mkdtemp, readdir, rename, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { loadConfig } from '../../src/config.js'
import { openDatabase } from '../../src/db/database.js'
import { MIGRATIONS_DIR, migrate } from '../../src/db/migrate.js'
import { silentLogger } from './logging.js'

// Migrating a database costs more than copying a migrated one: on PGlite a fresh data directory
// runs initdb (seconds, more on a loaded machine). So every test database starts as a copy of a
// template migrated once, named by a hash of the migrations (and the PGlite version): a new or
// edited migration makes a new template. Real PostgreSQL: a template database, cloned with
// CREATE DATABASE ... TEMPLATE. PGlite: a data directory under the temporary directory, copied.

const PGLITE_VERSION = (
  JSON.parse(
    readFileSync(
      new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url),
      'utf8',
    ),
  ) as { version: string }
).version

/** Changes with any migration file, and with the PGlite version (its data format). */
const SCHEMA_HASH = (() => {
  const hash = createHash('sha256').update(`pglite ${PGLITE_VERSION}\n`)
  for (const name of readdirSync(MIGRATIONS_DIR).sort()) {
    if (!name.endsWith('.sql')) continue
    hash.update(`${name}\n`).update(readFileSync(join(MIGRATIONS_DIR, name)))
  }
  return hash.digest('hex').slice(0, 16)
})()

const TEMPLATE_PREFIX = 'pbr_template_'
const TEMPLATE_DB = `${TEMPLATE_PREFIX}${SCHEMA_HASH}`
// Serializes template builders across test processes (any value unlike the service's locks).
const TEMPLATE_LOCK = 7_213_904_455
// Templates of other migrations kept for other checkouts (each is a few MB).
const KEPT_TEMPLATES = 8

/**
 * Creates database `name` on the server of `adminUrl`, holding every migration: a clone of the
 * template database, which the first caller builds.
 */
export async function cloneMigratedDatabase(adminUrl: string, name: string): Promise<void> {
  await withAdmin(adminUrl, async (admin) => {
    await ensureTemplateDatabase(admin, adminUrl)
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`)
    } catch (error) {
      // Another checkout's run (other migrations) dropped it as stale: build it again.
      if ((error as { code?: string }).code !== '3D000') throw error
      await ensureTemplateDatabase(admin, adminUrl)
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DB}`)
    }
  })
}

async function ensureTemplateDatabase(admin: pg.Client, adminUrl: string) {
  if (await databaseExists(admin, TEMPLATE_DB)) return
  await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK])
  try {
    if (await databaseExists(admin, TEMPLATE_DB)) return
    // Under the lock nobody else builds. Templates of other migrations may belong to other
    // checkouts testing at the same time (worktrees of one repository), so only the oldest
    // beyond a few are dropped, with any build cut short. A run still cloning one waits for
    // its clone, then builds its own.
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE starts_with(datname, $1)
       ORDER BY starts_with(datname, $2), oid DESC OFFSET $3`,
      [TEMPLATE_PREFIX, `${TEMPLATE_PREFIX}building_`, KEPT_TEMPLATES],
    )
    for (const { datname } of rows) await admin.query(`DROP DATABASE ${datname} WITH (FORCE)`)
    // Built under another name and renamed when complete: a clone never sees half a schema.
    const building = `${TEMPLATE_PREFIX}building_${randomBytes(4).toString('hex')}`
    await admin.query(`CREATE DATABASE ${building}`)
    const url = new URL(adminUrl)
    url.pathname = `/${building}`
    await migrated({ DATABASE_URL: url.toString() })
    await admin.query(`ALTER DATABASE ${building} RENAME TO ${TEMPLATE_DB}`)
  } finally {
    await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK])
  }
}

async function databaseExists(admin: pg.Client, name: string) {
  const { rows } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])
  return rows.length > 0
}

async function withAdmin<T>(adminUrl: string, work: (admin: pg.Client) => Promise<T>) {
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    return await work(admin)
  } finally {
    await admin.end()
  }
}

const TEMPLATES_DIR = join(tmpdir(), 'pbr-test-templates')
const STALE_MS = 24 * 3600_000

type DirTemplate = { path: string; build: (dataDir: string) => Promise<void> }

const MIGRATED_DIR: DirTemplate = {
  path: join(TEMPLATES_DIR, SCHEMA_HASH),
  build: (dataDir) => migrated({ PGLITE_DATA_DIR: dataDir }),
}
// initdb only (no migration): for the tests of migrating an empty database.
const EMPTY_DIR: DirTemplate = {
  path: join(TEMPLATES_DIR, `empty-${PGLITE_VERSION}`),
  build: (dataDir) => migrated({ PGLITE_DATA_DIR: dataDir }, false),
}

/** Creates the embedded data directory `dataDir`, holding every migration: a copy of the template. */
export function copyMigratedDataDir(dataDir: string): Promise<void> {
  return copyTemplate(MIGRATED_DIR, dataDir)
}

/** Creates the embedded data directory `dataDir`, an empty database (as PGlite makes one). */
export function copyEmptyDataDir(dataDir: string): Promise<void> {
  return copyTemplate(EMPTY_DIR, dataDir)
}

async function copyTemplate(template: DirTemplate, dataDir: string) {
  for (let attempt = 1; ; attempt++) {
    await ensureTemplateDir(template)
    try {
      await cp(template.path, dataDir, { recursive: true })
      return
    } catch (error) {
      // Removed as stale by another checkout's run while copying: build it again, once.
      await rm(dataDir, { recursive: true, force: true })
      if (attempt > 1 || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    }
  }
}

async function ensureTemplateDir(template: DirTemplate) {
  if (await exists(template.path)) return
  await mkdir(TEMPLATES_DIR, { recursive: true })
  // Built beside it and renamed when complete (rename is atomic): a copy never sees half a
  // database. Two processes may both build; the first rename wins, the other discards its own.
  const building = await mkdtemp(join(TEMPLATES_DIR, 'building-'))
  try {
    await template.build(join(building, 'pglite'))
    await rename(join(building, 'pglite'), template.path).catch(async (error) => {
      if (!(await exists(template.path))) throw error
    })
  } finally {
    await rm(building, { recursive: true, force: true })
  }
  // Templates of other migrations or PGlite versions, and builds cut short, untouched for a day.
  for (const name of await readdir(TEMPLATES_DIR)) {
    const path = join(TEMPLATES_DIR, name)
    if (path === MIGRATED_DIR.path || path === EMPTY_DIR.path) continue
    const stats = await stat(path).catch(() => undefined)
    if (stats && Date.now() - stats.mtimeMs > STALE_MS) {
      await rm(path, { recursive: true, force: true })
    }
  }
}

async function exists(path: string) {
  return stat(path).then(
    () => true,
    () => false,
  )
}

/** Opens (creates) the database `env` names through the service's own code, migrates it, closes it. */
async function migrated(env: Record<string, string>, migrations = true) {
  const db = await openDatabase(loadConfig({ LOG_LEVEL: 'silent', ...env }), silentLogger())
  try {
    if (migrations) await migrate(db.pool)
  } finally {
    await db.close()
  }
}
