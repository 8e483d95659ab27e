import type { Field, NetworkProfile } from './profile.js'
import { DEFAULT_NETWORK } from './profile.js'

// The URL an operator pastes into a network's dashboard: the network's own parameter names,
// each filled with a macro in the network's own syntax ({x}, [X], [%X%], ...).

const URL_FIELDS: readonly Field[] = ['tx_id', 'offer_id', 'payout', 'reward', 'user_id', 'status']

export function formatMacro(name: string, style: string): string {
  switch (style) {
    case '[X]':
      return `[${name.toUpperCase()}]`
    case '[%X%]':
      return `[%${name.toUpperCase()}%]`
    case '[[x]]':
      return `[[${name}]]`
    case '#x#':
      return `#${name}#`
    case '$x$':
      return `$${name}$`
    default:
      return `{${name}}`
  }
}

export type PostbackUrl = { network: string; url: string; notes: string[] }

/** The postback URL for `profile` at `base` (scheme://host, no trailing slash). */
export function networkPostbackUrl(profile: NetworkProfile, base: string): PostbackUrl {
  const path = profile.name === DEFAULT_NETWORK ? '/api/postback' : `/api/postback/${profile.name}`
  const pairs: string[] = []
  const notes: string[] = []
  for (const field of URL_FIELDS) {
    const name = profile.params[field][0]
    // The reward parameter matters only where points come from it.
    if (!name || (field === 'reward' && profile.pointsFrom !== 'reward')) continue
    pairs.push(`${name}=${formatMacro(name, profile.macroStyle)}`)
  }
  if (profile.reversalTxIdParam) {
    pairs.push(
      `${profile.reversalTxIdParam}=${formatMacro(profile.reversalTxIdParam, profile.macroStyle)}`,
    )
  }
  const spec = profile.signature
  switch (spec.kind) {
    case 'static_token':
      if (spec.param) pairs.push(`${spec.param}=${encodeURIComponent(profile.secrets[0] ?? '')}`)
      else notes.push(`send the secret in the ${spec.header} header`)
      break
    case 'hmac_url':
      notes.push(`the network appends ${spec.param} (HMAC of the URL) itself; keep it last`)
      break
    case 'none':
      notes.push('no signature: keep this URL private and set allowedIps')
      break
    default:
      if (spec.param) pairs.push(`${spec.param}=${formatMacro(spec.param, profile.macroStyle)}`)
      if (spec.header) notes.push(`the network signs in the ${spec.header} header`)
  }
  const test = profile.params.test[0]
  if (test)
    notes.push(
      `test postbacks (${test}=true) are ${profile.creditTests ? 'credited' : 'logged, not credited'}`,
    )
  return { network: profile.name, url: `${base}${path}?${pairs.join('&')}`, notes }
}
