// Postback secrets and signatures travel in query strings and bodies. Anything whose name
// looks like one is replaced before a URL or parameter set is logged or stored.
const SENSITIVE_NAME = /secret|sig|hash|token|key|pass|auth|hmac|verifier|checksum/i
export const REDACTED = '[REDACTED]'

export function isSensitiveName(name: string): boolean {
  return SENSITIVE_NAME.test(name)
}

/**
 * The path plus its query string with sensitive values replaced: by name, and, given the active
 * secrets, any segment or value that holds one once decoded (%74est-secret, + for a space...).
 * Never throws.
 */
export function redactUrl(url: string, secrets: readonly string[] = []): string {
  const { path, query } = redactUrlParts(url, secrets)
  return query === null ? path : `${path}?${query}`
}

/** A URL's path and query string (null without a `?`), each redacted as redactUrl does. */
export function redactUrlParts(
  url: string,
  secrets: readonly string[] = [],
): { path: string; query: string | null } {
  // The request log line and the stored request both redact the URL a request arrived with, one
  // after the other: the second is served from here.
  if (last && last.url === url && sameList(last.secrets, secrets)) return last.parts
  const mark = url.indexOf('?')
  const parts =
    mark === -1
      ? { path: redactPath(url, secrets), query: null }
      : {
          path: redactPath(url.slice(0, mark), secrets),
          query: redactQueryString(url.slice(mark + 1), secrets),
        }
  last = { url, secrets: [...secrets], parts }
  return parts
}

let last:
  | { url: string; secrets: readonly string[]; parts: { path: string; query: string | null } }
  | undefined

/** /a/b/c with any segment that holds a secret once decoded replaced. */
export function redactPath(path: string, secrets: readonly string[] = []): string {
  if (secrets.length === 0) return path
  // Nothing to decode and no secret anywhere in it: no segment can hold one.
  if (!path.includes('%') && !holdsSecret(path, secrets)) return path
  return path
    .split('/')
    .map((segment) => (holdsSecret(safeDecode(segment, false), secrets) ? REDACTED : segment))
    .join('/')
}

/**
 * a=1&secret=x -> a=1&secret=[REDACTED], keeping every other byte as received. Also replaces
 * values (and names) that hold one of `secrets` once decoded, however they were encoded.
 */
export function redactQueryString(query: string, secrets: readonly string[] = []): string {
  const pairs = query.split('&')
  let changed = false
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[i] as string
    const redacted = redactPair(pair, secrets)
    if (redacted !== pair) {
      pairs[i] = redacted
      changed = true
    }
  }
  return changed ? pairs.join('&') : query
}

function redactPair(pair: string, secrets: readonly string[]): string {
  const eq = pair.indexOf('=')
  const rawName = eq === -1 ? pair : pair.slice(0, eq)
  const name = safeDecode(rawName)
  if (holdsSecret(name, secrets)) return REDACTED
  if (eq === -1) return pair
  if (isSensitiveName(name) || holdsSecret(safeDecode(pair.slice(eq + 1)), secrets))
    return `${rawName}=${REDACTED}`
  return pair
}

/** Whether a decoded value contains any of the (non-empty) secrets. */
export function holdsSecret(value: string, secrets: readonly string[]): boolean {
  for (const secret of secrets) if (secret !== '' && value.includes(secret)) return true
  return false
}

/**
 * Replaces every occurrence of the given secret values (raw and URL-encoded, either hex case)
 * in `text`. For text that is already decoded; query strings go through redactQueryString.
 */
export function redactValues(text: string, secrets: readonly string[]): string {
  let result = text
  for (const form of secretForms(secrets))
    if (result.includes(form)) result = result.split(form).join(REDACTED)
  return result
}

// The forms of each list of secrets, worked out once per list (the registry keeps its list
// until a reload replaces it), in the order redactValues has always replaced them. The list's
// contents are checked on every use: a list changed in place is worked out again.
const formsOf = new WeakMap<readonly string[], { secrets: string[]; forms: string[] }>()

function secretForms(secrets: readonly string[]): readonly string[] {
  const known = formsOf.get(secrets)
  if (known && sameList(known.secrets, secrets)) return known.forms
  const forms: string[] = []
  for (const secret of secrets) {
    const encoded = encodeURIComponent(secret)
    const lowerHex = encoded.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase())
    for (const form of new Set([secret, encoded, lowerHex, encoded.replace(/%20/g, '+')]))
      if (form) forms.push(form)
  }
  formsOf.set(secrets, { secrets: [...secrets], forms })
  return forms
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Percent-decoding as URLSearchParams does it: a broken escape stays as it is, never throws. */
function safeDecode(text: string, plusIsSpace = true): string {
  if (!text.includes('%') && !(plusIsSpace && text.includes('+'))) return text
  const spaced = plusIsSpace ? text.replace(/\+/g, ' ') : text
  return spaced.replace(/(%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run)
    } catch {
      return run.replace(/%[0-9a-fA-F]{2}/g, (one) => {
        try {
          return decodeURIComponent(one)
        } catch {
          return one // a lone byte of a multi-byte character
        }
      })
    }
  })
}
