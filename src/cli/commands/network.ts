import type { NetworkProfile } from '../../networks/profile.js'
import type { NetworkRegistry } from '../../networks/registry.js'
import { UsageError } from '../args.js'

/** The named network's profile, or a UsageError listing the configured ones. */
export function requireProfile(registry: NetworkRegistry, name: string): NetworkProfile {
  const profile = registry.get(name)
  if (!profile) {
    throw new UsageError(
      `unknown network "${name}"; configured: ${registry.names().join(', ')} (add it to NETWORKS_FILE)`,
    )
  }
  return profile
}
