import type { Config } from '../config.js'
import {
  DEFAULT_NETWORK,
  defaultProfile,
  loadNetworksFile,
  type NetworkProfile,
} from './profile.js'

/** Where a network's profile comes from; NETWORKS_FILE wins over the database. */
export type NetworkSource = 'environment' | 'file' | 'database'

/** One complete set of networks, as a load produces it. */
export type NetworkSet = {
  profiles: readonly NetworkProfile[]
  /** Each profile's source; a name missing here is the default's 'environment', else 'file'. */
  sources?: ReadonlyMap<string, NetworkSource>
  /** Networks the database also defines but NETWORKS_FILE (or the environment) wins for. */
  shadowed?: readonly string[]
}

type Snapshot = {
  profiles: ReadonlyMap<string, NetworkProfile>
  sources: ReadonlyMap<string, NetworkSource>
  shadowed: readonly string[]
  secrets: readonly string[]
}

// Secrets a reload removed stay redacted in what this process stores (a network still sending
// its old secret, a request verified just before the swap) up to this many.
const RETIRED_SECRETS_KEPT = 64

/**
 * The networks postbacks may name. Replaced whole (one snapshot, swapped in one assignment),
 * so a request that looked its profile up keeps one consistent version of it.
 */
export class NetworkRegistry {
  #state: Snapshot = { profiles: new Map(), sources: new Map(), shadowed: [], secrets: [] }
  #load: (() => Promise<NetworkSet>) | undefined
  #refreshing: Promise<void> = Promise.resolve()

  constructor(networks: readonly NetworkProfile[] | NetworkSet) {
    this.replace(networks)
  }

  get(name: string): NetworkProfile | undefined {
    return this.#state.profiles.get(name)
  }

  names(): string[] {
    return [...this.#state.profiles.keys()].sort()
  }

  source(name: string): NetworkSource | undefined {
    return this.#state.sources.get(name)
  }

  /** Names the database defines too, where NETWORKS_FILE or the environment wins. */
  shadowed(): readonly string[] {
    return this.#state.shadowed
  }

  /** Every active secret of every network (and recently retired ones): redacted by value wherever requests are stored. */
  allSecrets(): readonly string[] {
    return this.#state.secrets
  }

  replace(networks: readonly NetworkProfile[] | NetworkSet) {
    const set: NetworkSet = isSet(networks) ? networks : { profiles: networks }
    const sources = new Map<string, NetworkSource>()
    for (const profile of set.profiles) {
      sources.set(
        profile.name,
        set.sources?.get(profile.name) ??
          (profile.name === DEFAULT_NETWORK ? 'environment' : 'file'),
      )
    }
    const active = set.profiles.flatMap((profile) => [...profile.secrets])
    const retired = this.#state.secrets.filter((secret) => !active.includes(secret))
    this.#state = {
      profiles: new Map(set.profiles.map((profile) => [profile.name, profile])),
      sources,
      shadowed: [...(set.shadowed ?? [])].sort(),
      secrets: [...active, ...retired.slice(0, RETIRED_SECRETS_KEPT)],
    }
  }

  /** Where refresh() reads the networks from (NETWORKS_FILE and the database). */
  setLoader(load: () => Promise<NetworkSet>) {
    this.#load = load
  }

  /** True when refresh() can re-read the networks (a registry built from a loader). */
  get refreshable(): boolean {
    return this.#load !== undefined
  }

  /**
   * Loads the networks again and swaps them in; throws (keeping the running ones) when the
   * load fails. Refreshes run one after another, so an older load never replaces a newer one.
   */
  refresh(): Promise<void> {
    const load = this.#load
    if (!load) return Promise.resolve()
    const next = this.#refreshing.catch(() => {}).then(async () => this.replace(await load()))
    this.#refreshing = next
    return next
  }
}

function isSet(networks: readonly NetworkProfile[] | NetworkSet): networks is NetworkSet {
  return !Array.isArray(networks)
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
