import pg from 'pg'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import type { AnnouncedService } from './data-dir-lock.js'
import { startEmbeddedPostgres } from './embedded.js'

export type DatabaseKind = 'postgres' | 'embedded'

export type Database = {
  pool: pg.Pool
  kind: DatabaseKind
  /** Where the data lives, safe to log: never contains a password. */
  label: string
  /** Embedded: records where this process serves HTTP, for CLI commands run beside it. */
  announce?(service: Omit<AnnouncedService, 'pid'>): void
  close(): Promise<void>
}

type DatabaseSettings = Pick<
  Config,
  | 'DATABASE_URL'
  | 'DATABASE_POOL_MAX'
  | 'DATABASE_CONNECT_TIMEOUT_MS'
  | 'DATABASE_QUERY_TIMEOUT_MS'
  | 'PGLITE_DATA_DIR'
>

/** One code path through `pg`: a real server when DATABASE_URL is set, embedded PGlite otherwise. */
export async function openDatabase(config: DatabaseSettings, log: Logger): Promise<Database> {
  const common = {
    connectionTimeoutMillis: config.DATABASE_CONNECT_TIMEOUT_MS,
    // A server that vanishes without closing the socket must not hold a pool slot forever.
    query_timeout: config.DATABASE_QUERY_TIMEOUT_MS,
    keepAlive: true,
    application_name: 'postback-receiver',
  }
  if (config.DATABASE_URL) {
    const pool = new pg.Pool({
      ...common,
      connectionString: config.DATABASE_URL,
      max: config.DATABASE_POOL_MAX,
    })
    watchIdleErrors(pool, log)
    return {
      pool,
      kind: 'postgres',
      label: describeUrl(config.DATABASE_URL),
      close: () => pool.end(),
    }
  }

  const embedded = await startEmbeddedPostgres(config.PGLITE_DATA_DIR)
  // max: 1 because PGlite has one backend; a second connection would interleave statements
  // with the first one's transaction.
  const pool = new pg.Pool({
    ...common,
    host: embedded.host,
    port: embedded.port,
    user: 'postgres',
    database: 'postgres',
    max: 1,
  })
  // Every socket reaches the same backend, so a connection that replaces a discarded one (pg-pool
  // drops a client whose query failed) would inherit prepared statements its new client does not
  // know about ("prepared statement ... already exists"). Each connection starts clean.
  pool.on('connect', (client) => {
    client.query('DEALLOCATE ALL').catch(() => {}) // a failure shows on the query queued next
  })
  watchIdleErrors(pool, log)
  return {
    pool,
    kind: 'embedded',
    label: `embedded PGlite at ${embedded.dataDir}`,
    announce: embedded.announce,
    async close() {
      await pool.end()
      await embedded.stop()
    },
  }
}

/** postgres://user@host:port/db, without the password. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url)
    const user = parsed.username ? `${decodeURIComponent(parsed.username)}@` : ''
    return `postgres://${user}${parsed.host}${parsed.pathname}`
  } catch {
    return 'postgres://<unparseable url>'
  }
}

// An idle client whose server goes away emits 'error' on the pool; unhandled, it would crash
// the process. The next checkout reconnects, so a warning is all it needs.
function watchIdleErrors(pool: pg.Pool, log: Logger) {
  pool.on('error', (error) =>
    log.warn({ err: { message: error.message } }, 'database connection lost'),
  )
}
