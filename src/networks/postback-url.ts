import { PRESETS } from './presets/index.js'
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
  const spec = profile.signature
  // The operator's own token goes first: a macro the network leaves as it is can then cut the
  // URL short only after it ("#status#" starts a fragment), never drop the token.
  if (spec.kind === 'static_token') {
    if (spec.param) pairs.push(`${spec.param}=${encodeURIComponent(profile.secrets[0] ?? '')}`)
    else notes.push(`send the secret in the ${spec.header} header`)
  }
  if (profile.urlQuery !== null) {
    // The preset's query, exactly as the network documents its macros ("" = a bare URL).
    if (profile.urlQuery) pairs.push(profile.urlQuery)
  } else {
    pairs.push(...builtPairs(profile))
  }
  switch (spec.kind) {
    case 'hmac_url':
      notes.push(`the network appends ${spec.param} (HMAC of the URL) itself; keep it last`)
      break
    case 'none':
      notes.push('no signature: keep this URL private and set allowedIps')
      break
    case 'static_token':
      break
    default:
      if (spec.header) notes.push(`the network signs in the ${spec.header} header`)
  }
  const setup = profile.preset === null ? undefined : PRESETS[profile.preset]?.setup
  if (setup) notes.push(setup)
  const test = profile.params.test[0]
  if (test)
    notes.push(
      `test postbacks (${test}=true) are ${profile.creditTests ? 'credited' : 'logged, not credited'}`,
    )
  const query = pairs.join('&')
  return { network: profile.name, url: `${base}${path}${query ? `?${query}` : ''}`, notes }
}

/** A profile without its own query: each mapped field's first name, with a macro of that name. */
function builtPairs(profile: NetworkProfile): string[] {
  const pairs: string[] = []
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
  if (spec.kind !== 'static_token' && spec.kind !== 'hmac_url' && 'param' in spec && spec.param)
    pairs.push(`${spec.param}=${formatMacro(spec.param, profile.macroStyle)}`)
  return pairs
}
