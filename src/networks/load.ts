import type { Pool } from 'pg'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import { buildProfile, DEFAULT_NETWORK, type NetworkProfile } from './profile.js'
import {
  loadNetworkProfiles,
  NetworkRegistry,
  type NetworkSet,
  type NetworkSource,
} from './registry.js'
import { listStoredNetworks, type StoredNetwork } from './stored.js'

// The running networks: the default (environment), NETWORKS_FILE's, and the database's
// (added in the dashboard or admin API). The file wins where both define a network. A bad
// file throws (startup stops, a reload keeps the running networks); a bad stored profile is
// skipped with an error in the log, so it can never stop the service.

type LoadSettings = Pick<
  Config,
  'NETWORKS_FILE' | 'POINTS_PER_UNIT' | 'CREDIT_PENDING' | 'MAX_PAYOUT' | 'ALLOWED_IPS'
>

export async function loadNetworks(
  config: LoadSettings,
  defaultSecrets: readonly string[],
  pool: Pool,
  log: Logger,
): Promise<NetworkSet> {
  const fixed = await loadNetworkProfiles(config, defaultSecrets)
  return withStored(config, fixed, await listStoredNetworks(pool), log)
}

/** The fixed networks plus each stored one that is valid and not shadowed by them. */
export function withStored(
  config: LoadSettings,
  fixed: readonly NetworkProfile[],
  stored: readonly StoredNetwork[],
  log: Pick<Logger, 'error'>,
): NetworkSet {
  const sources = new Map<string, NetworkSource>(
    fixed.map((p) => [p.name, p.name === DEFAULT_NETWORK ? 'environment' : 'file']),
  )
  const profiles = [...fixed]
  const shadowed: string[] = []
  for (const row of stored) {
    if (sources.has(row.name)) {
      shadowed.push(row.name)
      continue
    }
    try {
      profiles.push(buildProfile(row.name, { ...row.entry, secrets: [...row.secrets] }, config))
      sources.set(row.name, 'database')
    } catch (error) {
      // Valid when written; a later change (an upgrade without its preset, a new rule) broke it.
      log.error(
        { network: row.name },
        `network "${row.name}" from the database skipped: ${(error as Error).message}`,
      )
    }
  }
  return { profiles, sources, shadowed }
}

/**
 * A registry of every network, refreshable (SIGHUP, the watcher, an edit). When the database
 * cannot be read at this moment, it starts with the fixed networks and the watcher loads the
 * stored ones as soon as it can.
 */
export async function openNetworkRegistry(
  config: LoadSettings,
  defaultSecrets: readonly string[],
  pool: Pool,
  log: Logger,
): Promise<NetworkRegistry> {
  const fixed = await loadNetworkProfiles(config, defaultSecrets)
  let stored: StoredNetwork[] = []
  try {
    stored = await listStoredNetworks(pool)
  } catch (error) {
    log.error(
      { err: { message: (error as Error).message } },
      'network profiles in the database not loaded yet: retrying every NETWORKS_RELOAD_INTERVAL',
    )
  }
  const registry = new NetworkRegistry(withStored(config, fixed, stored, log))
  registry.setLoader(() => loadNetworks(config, defaultSecrets, pool, log))
  return registry
}
