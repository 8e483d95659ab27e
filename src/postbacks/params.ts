import { HttpError } from '../http/errors.js'

/** Every value each parameter name arrived with, from the query string and the body together. */
export type Params = Map<string, string[]>

/** An application/x-www-form-urlencoded body, kept as received (see the content-type parser). */
export class FormBody {
  constructor(readonly raw: string) {}
}

/** A JSON body: the bytes as received (some networks sign them) and the parsed value. */
export class JsonBody {
  constructor(
    readonly raw: string,
    readonly value: unknown,
  ) {}
}

/** The body text exactly as received, for signatures over the raw body. */
export function rawBodyOf(body: unknown): string | null {
  return body instanceof FormBody || body instanceof JsonBody ? body.raw : null
}

// JSON bodies may nest fields (AdGem v3: {"data": {"player_id": ...}}): they are read as paths
// such as data.player_id, this deep at most.
const MAX_JSON_DEPTH = 3
/** Per collected request, the top-level JSON fields that held objects (see refuseNestedFields). */
const nestedFields = new WeakMap<Params, string[]>()

export function collectParams(rawUrl: string, received: unknown): Params {
  const body = received instanceof JsonBody ? received.value : received
  const params: Params = new Map()
  const add = (name: string, value: string) => {
    const values = params.get(name)
    if (values) values.push(value)
    else params.set(name, [value])
  }
  const mark = rawUrl.indexOf('?')
  if (mark !== -1) readForm(rawUrl.slice(mark + 1), add)

  if (body instanceof FormBody) {
    readForm(body.raw, add)
  } else if (body !== undefined && body !== null) {
    if (typeof body !== 'object' || Array.isArray(body)) {
      throw new HttpError('INVALID_BODY', 'the JSON body must be an object of fields')
    }
    const nested: string[] = []
    const addJson = (top: string, name: string, value: unknown, depth: number) => {
      const list = Array.isArray(value)
      for (const item of list ? value : [value]) {
        if (item === null || item === undefined) continue
        if (typeof item !== 'object') {
          add(name, String(item))
          continue
        }
        if (list || Array.isArray(item) || depth >= MAX_JSON_DEPTH) throw notAValue(top)
        if (!nested.includes(top)) nested.push(top)
        for (const [key, inner] of Object.entries(item))
          addJson(top, `${name}.${key}`, inner, depth + 1)
      }
    }
    for (const [name, value] of Object.entries(body)) addJson(name, name, value, 0)
    if (nested.length > 0) nestedFields.set(params, nested)
  }
  return params
}

// Nothing to decode (no escape, no + for a space, no surrogate to make well-formed): the pairs
// are the text between & and =, as URLSearchParams would read them at a fraction of its cost.
const NEEDS_DECODING = /[%+\uD800-\uDFFF]/

/** name=value&... read exactly as URLSearchParams reads it (a leading ? dropped, empty pairs skipped). */
function readForm(text: string, add: (name: string, value: string) => void): void {
  if (NEEDS_DECODING.test(text)) {
    for (const [name, value] of new URLSearchParams(text)) add(name, value)
    return
  }
  let start = text.startsWith('?') ? 1 : 0
  while (start <= text.length) {
    let end = text.indexOf('&', start)
    if (end === -1) end = text.length
    if (end > start) {
      const eq = text.indexOf('=', start)
      if (eq === -1 || eq > end) add(text.slice(start, end), '')
      else add(text.slice(start, eq), text.slice(eq + 1, end))
    }
    start = end + 1
  }
}

/**
 * A JSON field holding an object is read as paths (data.player_id) only by a network that names
 * such paths in its params; for every other network it is refused as before, not ignored.
 */
export function refuseNestedFields(
  params: Params,
  profileParams: Readonly<Record<string, readonly string[]>>,
): void {
  const nested = nestedFields.get(params)
  if (nested?.[0] === undefined) return
  const usesPaths = Object.values(profileParams).some((names) => names.some((n) => n.includes('.')))
  if (!usesPaths) throw notAValue(nested[0])
}

function notAValue(name: string) {
  return new HttpError('INVALID_BODY', `field ${clip(name)} must be a string or a number`)
}

/**
 * The one value of a field that may arrive under several names. Repeats of the same value are
 * fine; different values are ambiguous. Empty values count as absent (an empty macro).
 */
export function pickValue(
  params: Params,
  names: readonly string[],
): { value?: string; ambiguous: boolean } {
  let value: string | undefined
  for (const name of names) {
    const values = params.get(name)
    if (values === undefined) continue
    for (const candidate of values) {
      if (candidate === '') continue
      if (value === undefined) value = candidate
      else if (candidate !== value) return { ambiguous: true }
    }
  }
  return value === undefined ? { ambiguous: false } : { value, ambiguous: false }
}

/** For messages: parameter names are attacker-controlled text. */
export function clip(text: string, max = 40): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we hide
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, '?')
  return printable.length > max ? `${printable.slice(0, max)}…` : printable
}
