import { HttpError } from '../http/errors.js'
import type { NetworkProfile } from '../networks/profile.js'
import { DEFAULT_NETWORK } from '../networks/profile.js'
import type { NetworkRegistry } from '../networks/registry.js'
import { clip, type Params, pickValue } from './params.js'

/** The name a postback gives: /api/postback/:network, else ?network=, else the default. */
export function requestedNetwork(pathNetwork: string | undefined, params: Params): string {
  // A network named in the path owns every query parameter: Admost sends its own `network`
  // (the ad network that paid), which must neither route nor be ambiguous there.
  if (pathNetwork !== undefined) return pathNetwork
  const picked = pickValue(params, ['network'])
  if (picked.ambiguous)
    throw new HttpError('AMBIGUOUS_PARAM', 'network arrived with different values')
  return picked.value ?? DEFAULT_NETWORK
}

export function resolveNetwork(
  registry: NetworkRegistry,
  pathNetwork: string | undefined,
  params: Params,
): NetworkProfile {
  const name = requestedNetwork(pathNetwork, params)
  const profile = registry.get(name)
  if (!profile) {
    throw new HttpError(
      'UNKNOWN_NETWORK',
      `unknown network "${clip(name)}"; configured: ${registry.names().join(', ')}`,
    )
  }
  return profile
}
