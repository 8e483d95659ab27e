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
  return `${url.slice(0, mark)}?${redactQueryString(url.slice(mark + 1))}`
}

/** a=1&secret=x -> a=1&secret=[REDACTED], keeping every other byte as received. */
export function redactQueryString(query: string): string {
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=')
      const rawName = eq === -1 ? pair : pair.slice(0, eq)
      return isSensitiveName(safeDecode(rawName)) && eq !== -1 ? `${rawName}=${REDACTED}` : pair
    })
    .join('&')
}

/** Replaces every occurrence of the given secret values (raw and URL-encoded) in `text`. */
export function redactValues(text: string, secrets: readonly string[]): string {
  let result = text
  for (const secret of secrets) {
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      if (form) result = result.split(form).join(REDACTED)
    }
  }
  return result
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '))
  } catch {
    return text
  }
}
