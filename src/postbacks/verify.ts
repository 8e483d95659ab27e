import { HttpError } from '../http/errors.js'
import type { NetworkProfile } from '../networks/profile.js'
import { type SignedRequest, verifySignature } from '../networks/signature.js'
import { clip } from './params.js'
import { findPastedUrlProblems, pasteUrlAdvice } from './pasted-url.js'

export type Caller = {
  /** 'https' when TLS reached us directly or a trusted proxy said so (X-Forwarded-Proto). */
  protocol: string
  /** The socket address, or the client address a trusted proxy reported. */
  ip: string
  signed: SignedRequest
}

/** Throws the 403 that explains why this caller may not post for this network, or returns. */
export function verifyCaller(caller: Caller, profile: NetworkProfile, requireHttps: boolean): void {
  if (requireHttps && caller.protocol !== 'https') {
    throw new HttpError('HTTPS_REQUIRED', 'postbacks must arrive over HTTPS (REQUIRE_HTTPS is on)')
  }
  if (profile.allowedIps.entries.length > 0 && !profile.allowedIps.includes(caller.ip)) {
    const setting =
      profile.name === 'default' ? 'ALLOWED_IPS' : `network ${profile.name}'s allowedIps`
    throw new HttpError(
      'IP_NOT_ALLOWED',
      `source ${caller.ip} is not in ${setting}; if the network added servers, add them (behind a proxy, set TRUST_PROXY)`,
    )
  }
  const unsigned = unsignedParams(profile, caller.signed)
  if (unsigned) throw new HttpError('UNSIGNED_PARAMS', unsigned)
  const check = verifySignature(profile.signature, caller.signed, profile.secrets)
  if (check.ok) return
  // Macros left in the request or parameters sent twice: the pasted URL, not the secret.
  const advice = pasteUrlAdvice(findPastedUrlProblems(caller.signed.params), profile.name)
  const explained = (message: string) => (advice ? `${message}; ${advice}` : message)
  if (profile.signature.kind === 'static_token') {
    const where =
      profile.name === 'default'
        ? 'the secret parameter or the X-Postback-Secret header'
        : describeToken(profile)
    throw new HttpError(
      'BAD_SECRET',
      explained(
        check.missing
          ? `no secret: send it as ${where}`
          : 'the secret does not match any active secret',
      ),
    )
  }
  throw new HttpError(
    'BAD_SIGNATURE',
    explained(`${check.reason} (network ${profile.name}, ${profile.signature.kind})`),
  )
}

/**
 * Whether a stored BAD_SECRET or BAD_SIGNATURE refusal was for a secret or signature that never
 * arrived. The postback log keeps the code and the message only, and both codes cover the
 * missing and the wrong credential, so this reads the start verifyCaller gave the message
 * ("no secret: ...", "no signature: ..."); a code of its own would change the answers networks
 * and operators already match on.
 */
export function refusedForNoCredential(message: string | null): boolean {
  return /^no (secret|signature):/.test(message ?? '')
}

function describeToken(profile: NetworkProfile): string {
  const spec = profile.signature
  if (spec.kind !== 'static_token') return 'its signature'
  return [spec.param && `the ${spec.param} parameter`, spec.header && `the ${spec.header} header`]
    .filter(Boolean)
    .join(' or ')
}

/**
 * A URL signature (hmac_url) covers the URL only, and with `strip: trailing_param` only what
 * comes before the signature parameter: a parameter after it, or in a body, would be believed
 * without being signed (an appended &type=RECONCILIATION&ref=... reversed another user's
 * conversion). Returns why the request is refused, or undefined.
 */
function unsignedParams(profile: NetworkProfile, signed: SignedRequest): string | undefined {
  const spec = profile.signature
  if (spec.kind !== 'hmac_url') return undefined
  if (signed.rawBody !== null && signed.rawBody.trim() !== '')
    return `network ${profile.name} signs the URL only (hmac_url): parameters in a body are not covered by the signature; send them in the query string`
  if (spec.strip !== 'trailing_param') return undefined
  const mark = signed.rawUrl.indexOf('?')
  if (mark === -1) return undefined
  const pairs = signed.rawUrl.slice(mark + 1).split('&')
  const at = pairs.findIndex((pair) => pair === spec.param || pair.startsWith(`${spec.param}=`))
  if (at === -1) return undefined
  const after = pairs.slice(at + 1).filter((pair) => pair !== '')
  if (after.length === 0) return undefined
  const names = after.map((pair) => clip(pair.split('=')[0] ?? '', 24)).slice(0, 5)
  return `parameters after the signature parameter ${spec.param} are not covered by the signature (${names.join(', ')}${after.length > 5 ? ', …' : ''}): network ${profile.name} signs everything before ${spec.param}, which must come last`
}
