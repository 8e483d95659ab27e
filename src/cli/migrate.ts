import { loadConfigOrExit, openMigratedDatabase } from '../bootstrap.js'
import { createLogger } from '../http/logging.js'

// `npm run migrate`: apply pending migrations and exit (the server also does this at startup).
const config = loadConfigOrExit()
const log = createLogger(config)
try {
  const db = await openMigratedDatabase(config, log)
  await db.close()
} catch (error) {
  log.fatal({ err: error }, `migration failed: ${(error as Error).message}`)
  process.exit(1)
}
