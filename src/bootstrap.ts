import type { Logger } from 'pino'
import { type Config, ConfigError, loadConfig } from './config.js'
import { type Database, openDatabase } from './db/database.js'
import { migrate } from './db/migrate.js'

// Shared by the process edges (server, worker, CLI). They load .env (`import 'dotenv/config'`,
// first); library code and tests never do.

/** Loads the configuration or stops the process with one line per bad variable. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env)
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error
    for (const problem of error.problems) process.stderr.write(`config error: ${problem}\n`)
    process.exit(2)
  }
}

/** Opens the configured database and brings its schema up to date. */
export async function openMigratedDatabase(config: Config, log: Logger): Promise<Database> {
  const db = await openDatabase(config, log)
  log.info({ database: db.kind }, `database: ${db.label}`)
  try {
    const applied = await migrate(db.pool)
    log.info({ applied }, `migrations: ${applied.length} applied`)
    return db
  } catch (error) {
    await db.close().catch(() => {})
    throw error
  }
}
