import { HttpError } from '../http/errors.js'
import { clip, type Params, pickValue } from './params.js'

export const DEFAULT_NETWORK = 'default'
const KNOWN_NETWORKS: readonly string[] = [DEFAULT_NETWORK]

/** The network a postback names: /api/postback/:network, else ?network=, else the default. */
export function resolveNetwork(pathNetwork: string | undefined, params: Params): string {
  const picked = pickValue(params, ['network'])
  if (picked.ambiguous) {
    throw new HttpError(400, 'AMBIGUOUS_PARAM', 'network arrived with different values')
  }
  const name = pathNetwork ?? picked.value ?? DEFAULT_NETWORK
  if (!KNOWN_NETWORKS.includes(name)) {
    throw new HttpError(
      404,
      'UNKNOWN_NETWORK',
      `unknown network "${clip(name)}"; configured: ${KNOWN_NETWORKS.join(', ')}`,
    )
  }
  return name
}
