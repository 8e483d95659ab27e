import type { Config } from '../config.js'
import { defaultProfile, loadNetworksFile, type NetworkProfile } from './profile.js'

/** The networks postbacks may name. Replaced whole on reload, so a request sees one version. */
export class NetworkRegistry {
  #profiles: ReadonlyMap<string, NetworkProfile> = new Map()
  #secrets: readonly string[] = []

  constructor(profiles: readonly NetworkProfile[]) {
    this.replace(profiles)
  }

  get(name: string): NetworkProfile | undefined {
    return this.#profiles.get(name)
  }

  names(): string[] {
    return [...this.#profiles.keys()].sort()
  }

  /** Every active secret of every network: redacted by value wherever requests are stored. */
  allSecrets(): readonly string[] {
    return this.#secrets
  }

  replace(profiles: readonly NetworkProfile[]) {
    this.#profiles = new Map(profiles.map((profile) => [profile.name, profile]))
    this.#secrets = profiles.flatMap((profile) => [...profile.secrets])
  }
}

type RegistrySettings = Pick<
  Config,
  'NETWORKS_FILE' | 'POINTS_PER_UNIT' | 'CREDIT_PENDING' | 'MAX_PAYOUT' | 'ALLOWED_IPS'
>

/** The default network (from the environment) plus NETWORKS_FILE's. Throws naming each bad entry. */
export async function loadNetworkProfiles(
  config: RegistrySettings,
  defaultSecrets: readonly string[],
): Promise<NetworkProfile[]> {
  const fromFile = config.NETWORKS_FILE ? await loadNetworksFile(config.NETWORKS_FILE, config) : []
  return [defaultProfile(config, defaultSecrets), ...fromFile]
}
