import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import type { Pool } from 'pg'
import { withTransaction } from './transaction.js'

// src/db and dist/db are both two levels below the package root.
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))

// Serializes migrators across instances sharing one database; released at each COMMIT.
const MIGRATION_LOCK = 4_815_162_342
const FILE_NAME = /^\d{4}_[a-z0-9_-]+\.sql$/

export class MigrationError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`migration ${file} failed: ${message}`)
    this.name = 'MigrationError'
  }
}

type Migration = { name: string; sql: string; checksum: string }

/** Applies pending migrations in file-name order, each in its own transaction. Returns their names. */
export async function migrate(pool: Pool, directory = MIGRATIONS_DIR): Promise<string[]> {
  const migrations = await readMigrations(directory)
  const applied: string[] = []
  for (const migration of migrations) {
    if (await applyOne(pool, migration)) applied.push(migration.name)
  }
  return applied
}

async function readMigrations(directory: string): Promise<Migration[]> {
  const names = (await readdir(directory)).filter((name) => name.endsWith('.sql')).sort()
  return Promise.all(
    names.map(async (name) => {
      if (!FILE_NAME.test(name)) {
        throw new MigrationError(name, 'file names must look like 0001_short_name.sql')
      }
      const sql = await readFile(`${directory}/${name}`, 'utf8')
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') }
    }),
  )
}

async function applyOne(pool: Pool, migration: Migration): Promise<boolean> {
  return withTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`)
    const { rows } = await client.query<{ checksum: string }>(
      'SELECT checksum FROM schema_migrations WHERE name = $1',
      [migration.name],
    )
    const previous = rows[0]
    if (previous) {
      if (previous.checksum !== migration.checksum) {
        throw new MigrationError(
          migration.name,
          'the file changed after it was applied; migrations are forward-only, add a new file instead',
        )
      }
      return false
    }
    try {
      await client.query(migration.sql)
    } catch (error) {
      throw new MigrationError(migration.name, (error as Error).message)
    }
    await client.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [
      migration.name,
      migration.checksum,
    ])
    return true
  })
}
