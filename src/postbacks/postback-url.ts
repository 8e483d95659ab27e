import type { Config } from '../config.js'

/** The ready-to-paste postback URL; {macros} are placeholders for the network's own. */
export function postbackUrlTemplate(
  config: Pick<Config, 'PUBLIC_URL' | 'PORT'>,
  secret: string,
): string {
  const base = config.PUBLIC_URL ?? `http://localhost:${config.PORT}`
  const query =
    'tx_id={tx_id}&offer_id={offer_id}&payout={payout}&user_id={user_id}&status={status}'
  return `${base}/api/postback?${query}&secret=${encodeURIComponent(secret)}`
}

/** A curl command that sends one test postback for 0.01 to user "test-user". */
export function curlExample(config: Pick<Config, 'PUBLIC_URL' | 'PORT'>, secret: string): string {
  const base = config.PUBLIC_URL ?? `http://localhost:${config.PORT}`
  const query = `tx_id=test-$(date +%s)&offer_id=test&payout=0.01&user_id=test-user&secret=${encodeURIComponent(secret)}`
  return `curl "${base}/api/postback?${query}"`
}

/** What an operator at a terminal needs to wire up a network, printed once at startup. */
export function startupBanner(
  config: Pick<Config, 'PUBLIC_URL' | 'PORT'>,
  secret: string,
  generated: boolean,
): string {
  const origin = generated
    ? 'generated on first start and stored in the database (set POSTBACK_SECRET to choose your own)'
    : 'from POSTBACK_SECRET'
  return [
    '',
    `  Postback URL (secret ${origin}):`,
    `    ${postbackUrlTemplate(config, secret)}`,
    "  Replace each {macro} with your network's macro. Send a test postback:",
    `    ${curlExample(config, secret)}`,
    '  Print this again with: npm run cli -- url',
    '',
  ].join('\n')
}
