import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { openDatabase } from '../../src/db/database.js'
import { MIGRATIONS_DIR, MigrationError, migrate } from '../../src/db/migrate.js'
import { createEmptyDatabase, testConfig, USING_REAL_POSTGRES } from '../helpers/database.js'
import { silentLogger } from '../helpers/logging.js'

const shipped = (await readdir(MIGRATIONS_DIR)).filter((name) => name.endsWith('.sql')).sort()
let scratch: string
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'pbr-migrations-'))
})
after(() => rm(scratch, { recursive: true, force: true }))

async function withEmptyDatabase(
  work: (open: () => ReturnType<typeof openDatabase>) => Promise<void>,
) {
  const empty = await createEmptyDatabase()
  const opened: Awaited<ReturnType<typeof openDatabase>>[] = []
  try {
    await work(async () => {
      const db = await openDatabase(testConfig(empty.env), silentLogger())
      opened.push(db)
      return db
    })
  } finally {
    for (const db of opened) await db.close().catch(() => {})
    await empty.drop()
  }
}

test('on a fresh database every migration is applied once; a restart applies none', async () => {
  await withEmptyDatabase(async (open) => {
    const db = await open()
    assert.deepEqual(await migrate(db.pool), shipped)
    assert.deepEqual(await migrate(db.pool), [])
    const { rows } = await db.pool.query('SELECT name FROM schema_migrations ORDER BY name')
    assert.deepEqual(
      rows.map((row) => row.name),
      shipped,
    )
    const settings = await db.pool.query("SELECT to_regclass('settings') AS t")
    assert.equal(settings.rows[0].t, 'settings')
  })
})

test('a failing migration names its file and the database error, and leaves nothing half-done', async () => {
  const dir = join(scratch, 'failing')
  await rm(dir, { recursive: true, force: true })
  await import('node:fs/promises').then((fs) => fs.mkdir(dir))
  await writeFile(join(dir, '0001_good.sql'), 'CREATE TABLE good (id int);')
  await writeFile(
    join(dir, '0002_bad.sql'),
    'CREATE TABLE half (id int);\nSELECT * FROM no_such_table;',
  )
  await withEmptyDatabase(async (open) => {
    const db = await open()
    await assert.rejects(migrate(db.pool, dir), (error: unknown) => {
      assert.ok(error instanceof MigrationError)
      assert.equal(error.file, '0002_bad.sql')
      assert.match(
        error.message,
        /^migration 0002_bad\.sql failed: relation "no_such_table" does not exist$/,
      )
      return true
    })
    const { rows } = await db.pool.query(
      "SELECT name, to_regclass('half') AS half, to_regclass('good') AS good FROM schema_migrations",
    )
    assert.deepEqual(rows, [{ name: '0001_good.sql', half: null, good: 'good' }])
  })
})

test('a migration edited after it was applied is refused', async () => {
  const dir = join(scratch, 'edited')
  await import('node:fs/promises').then((fs) => fs.mkdir(dir, { recursive: true }))
  await writeFile(join(dir, '0001_one.sql'), 'CREATE TABLE one (id int);')
  await withEmptyDatabase(async (open) => {
    const db = await open()
    await migrate(db.pool, dir)
    await writeFile(join(dir, '0001_one.sql'), 'CREATE TABLE one (id bigint);')
    await assert.rejects(
      migrate(db.pool, dir),
      /0001_one\.sql failed: the file changed after it was applied/,
    )
  })
})

test('two instances migrating the same database at once apply each migration exactly once', {
  skip: USING_REAL_POSTGRES ? false : 'embedded PGlite serves one process; run with DATABASE_URL',
}, async () => {
  await withEmptyDatabase(async (open) => {
    const instances = await Promise.all([open(), open(), open()])
    const results = await Promise.all(instances.map((db) => migrate(db.pool)))
    assert.deepEqual(results.flat().sort(), shipped)
    const [first] = instances
    assert.ok(first)
    const { rows } = await first.pool.query('SELECT count(*)::int AS n FROM schema_migrations')
    assert.equal(rows[0].n, shipped.length)
  })
})
