import { HttpError } from '../http/errors.js'
import type { IpList } from '../http/ip-list.js'
import { matchesAnySecret } from './secrets.js'

export type Guard = {
  requireHttps: boolean
  allowedIps: IpList
  secrets: readonly string[]
}

export type Caller = {
  /** 'https' when TLS reached us directly or a trusted proxy said so (X-Forwarded-Proto). */
  protocol: string
  /** The socket address, or the client address a trusted proxy reported. */
  ip: string
  secret: string | undefined
}

/** Throws the 403 that explains why this caller may not post, or returns. */
export function verifyCaller(caller: Caller, guard: Guard): void {
  if (guard.requireHttps && caller.protocol !== 'https') {
    throw new HttpError(
      403,
      'HTTPS_REQUIRED',
      'postbacks must arrive over HTTPS (REQUIRE_HTTPS is on)',
    )
  }
  if (guard.allowedIps.entries.length > 0 && !guard.allowedIps.includes(caller.ip)) {
    throw new HttpError(
      403,
      'IP_NOT_ALLOWED',
      `source ${caller.ip} is not in ALLOWED_IPS; if the network added servers, add them (behind a proxy, set TRUST_PROXY)`,
    )
  }
  if (caller.secret === undefined) {
    throw new HttpError(
      403,
      'BAD_SECRET',
      'no secret: send it as the secret parameter or the X-Postback-Secret header',
    )
  }
  if (!matchesAnySecret(caller.secret, guard.secrets)) {
    throw new HttpError(403, 'BAD_SECRET', 'the secret does not match any active secret')
  }
}
