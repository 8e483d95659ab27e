// Postback secrets and signatures travel in query strings and bodies. Anything whose name
// looks like one is replaced before a URL or parameter set is logged or stored.
const SENSITIVE_NAME = /secret|sig|hash|token|key|pass|auth|hmac|verifier|checksum/i
export const REDACTED = '[REDACTED]'

export function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAME.test(name)
}

/** The path plus its query string with sensitive values replaced. Never throws. */
export function redactUrl(url: string): string {
  const mark = url.indexOf('?')
  if (mark === -1) return url
  const path = url.slice(0, mark)
  const query = url
    .slice(mark + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=')
      const rawName = eq === -1 ? pair : pair.slice(0, eq)
      return isSensitiveName(safeDecode(rawName)) && eq !== -1 ? `${rawName}=${REDACTED}` : pair
    })
    .join('&')
  return `${path}?${query}`
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '))
  } catch {
    return text
  }
}
