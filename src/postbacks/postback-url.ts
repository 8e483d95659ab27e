import type { Config } from '../config.js'
import { networkPostbackUrl } from '../networks/postback-url.js'
import { defaultProfile } from '../networks/profile.js'

type UrlSettings = Pick<
  Config,
  | 'PUBLIC_URL'
  | 'PORT'
  | 'TLS_CERT_FILE'
  | 'POINTS_PER_UNIT'
  | 'CREDIT_PENDING'
  | 'MAX_PAYOUT'
  | 'ALLOWED_IPS'
>

/** PUBLIC_URL, or this machine as seen from itself. */
export function baseUrl(config: UrlSettings): string {
  return (
    config.PUBLIC_URL ?? `${config.TLS_CERT_FILE ? 'https' : 'http'}://localhost:${config.PORT}`
  )
}

/** The default network's ready-to-paste postback URL; {macros} stand for the network's own. */
export function postbackUrlTemplate(config: UrlSettings, secret: string): string {
  return networkPostbackUrl(defaultProfile(config, [secret]), baseUrl(config)).url
}

/** A curl command that sends one test postback for 0.01 to user "test-user". */
export function curlExample(config: UrlSettings, secret: string): string {
  const query = `tx_id=test-$(date +%s)&offer_id=test&payout=0.01&user_id=test-user&secret=${encodeURIComponent(secret)}`
  return `curl "${baseUrl(config)}/api/postback?${query}"`
}

/** What an operator at a terminal needs to wire up a network, printed once at startup. */
export function startupBanner(
  config: UrlSettings,
  secret: string,
  generated: boolean,
  dashboard: string,
): string {
  const origin = generated
    ? 'the secret was generated on first start and is kept in the database; set POSTBACK_SECRET to choose your own'
    : 'the secret comes from POSTBACK_SECRET'
  return [
    '',
    `  Postback URL (${origin}):`,
    `    ${postbackUrlTemplate(config, secret)}`,
    "  Replace each {macro} with your network's macro. Send a test postback:",
    `    ${curlExample(config, secret)}`,
    '  Print this again with: npm run cli -- url',
    `  ${dashboard}`,
    '',
  ].join('\n')
}
