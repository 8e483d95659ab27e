import { hostname, userInfo } from 'node:os'
import pino from 'pino'
import type { Actor } from '../audit/actor.js'
import { openMigratedDatabase } from '../bootstrap.js'
import { type Config, loadConfig } from '../config.js'
import type { Database } from '../db/database.js'
import { createLogger } from '../http/logging.js'
import { loadNetworks as loadAllNetworks } from '../networks/load.js'
import { loadNetworkProfiles, NetworkRegistry } from '../networks/registry.js'
import { resolvePostbackSecrets } from '../postbacks/secrets.js'
import { cliIO } from './io.js'

export type CliContext = {
  config: Config
  db: Database
  /** The networks as the service would load them now (NETWORKS_FILE, the default's secret). */
  networks(): Promise<NetworkRegistry>
}

// Operator commands scan whole tables (reconcile, verify-ledger): the service's per-query
// guard against a vanished server would cut them off.
const LONG_QUERY_TIMEOUT_MS = 30 * 60_000

/** Runs `work` with the service's configuration and database (migrated), then closes it. */
export async function withContext<T>(
  work: (context: CliContext) => Promise<T>,
  options: { longQueries?: boolean } = {},
): Promise<T> {
  const io = cliIO()
  // A bad setting throws ConfigError: exit 2, one line per problem (cli/main.ts).
  const loaded = loadConfig(io.env)
  const config: Config = options.longQueries
    ? Object.freeze({
        ...loaded,
        DATABASE_QUERY_TIMEOUT_MS: Math.max(
          loaded.DATABASE_QUERY_TIMEOUT_MS,
          LONG_QUERY_TIMEOUT_MS,
        ),
      })
    : loaded
  // Diagnostics go to stderr; stdout carries only the command's answer.
  const log = createLogger(
    { LOG_LEVEL: config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL },
    io.stderr === process.stderr ? pino.destination(2) : io.stderr,
  )
  const db = await openMigratedDatabase(config, log)
  let registry: NetworkRegistry | undefined
  const networks = async () => {
    if (!registry) {
      const { secrets } = await resolvePostbackSecrets(db.pool, config.POSTBACK_SECRET)
      registry = new NetworkRegistry(await loadAllNetworks(config, secrets, db.pool, log))
    }
    return registry
  }
  try {
    return await work({ config, db, networks })
  } finally {
    await db.close()
  }
}

/** The audit log's actor for a command: cli:<--by, else user@host>, via "cli". */
export function cliActor(by: string | undefined): Actor {
  return { name: operator(by), via: 'cli' }
}

/** Who ran a command, for the records it leaves (replays, adjustments): --by, else user@host. */
export function operator(by: string | undefined): string {
  if (by) return `cli:${by}`
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {} // no passwd entry (some containers)
  return `cli:${user}@${hostname()}`
}

/**
 * The networks, opening the database only when the default network's secret lives there
 * (POSTBACK_SECRET unset): an embedded database may be held by the running service.
 */
export async function loadNetworks(): Promise<{ config: Config; networks: NetworkRegistry }> {
  const config = loadConfig(cliIO().env)
  if (config.POSTBACK_SECRET.length > 0) {
    const profiles = await loadNetworkProfiles(config, config.POSTBACK_SECRET)
    return { config, networks: new NetworkRegistry(profiles) }
  }
  return withContext(async (context) => ({ config, networks: await context.networks() }))
}
