// Reads a bench database after a run: real PostgreSQL by URL, or an embedded PGlite data
// directory once its service has stopped (one process owns a data directory at a time).
import pg from 'pg'
import type { Query } from './footprint.js'

export type DatabaseLocation = { url: string } | { dataDir: string }

export async function withDatabase<R>(
  where: DatabaseLocation,
  use: (query: Query) => Promise<R>,
): Promise<R> {
  if ('url' in where) {
    const client = new pg.Client({ connectionString: where.url })
    await client.connect()
    try {
      return await use(async <T>(sql: string, params?: unknown[]) => {
        return (await client.query(sql, params)).rows as T[]
      })
    } finally {
      await client.end()
    }
  }
  // Loaded only for embedded runs: PGlite is large.
  const { PGlite } = await import('@electric-sql/pglite')
  const db = await PGlite.create({ dataDir: where.dataDir })
  try {
    return await use(async <T>(sql: string, params?: unknown[]) => {
      return (await db.query<T>(sql, params)).rows
    })
  } finally {
    await db.close()
  }
}
