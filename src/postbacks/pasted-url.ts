import { REDACTED } from '../http/redact.js'
import { isUnreplacedMacro } from './fields.js'
import { clip, type Params } from './params.js'

// A signature that fails while the request still carries macro placeholders, or parameters
// that arrived more than once, is almost never a wrong secret: the network's panel holds a
// URL with macros the network does not fill, or the network appends its own parameters to a
// URL that already has them. Shared by the refusal message and `doctor`.

export type PastedUrlProblems = {
  /** `name=value` of parameters whose value is still a macro placeholder. */
  macros: string[]
  /** Names of parameters that arrived more than once. */
  repeated: string[]
}

const SHOWN = 4

export function findPastedUrlProblems(params: Params): PastedUrlProblems {
  const macros: string[] = []
  const repeated: string[] = []
  for (const [name, values] of params) {
    // A stored request's secrets read "[REDACTED]", which is not a macro the network left.
    const macro = values.find((value) => value !== REDACTED && isUnreplacedMacro(value))
    if (macro !== undefined) macros.push(`${clip(name)}=${clip(macro)}`)
    if (values.length > 1) repeated.push(clip(name))
  }
  return { macros, repeated }
}

/** The operator's fix in one sentence, or null when the URL looks as printed. */
export function pasteUrlAdvice(problems: PastedUrlProblems, network: string): string | null {
  const parts: string[] = []
  if (problems.macros.length > 0)
    parts.push(`still has macros the network did not fill (${list(problems.macros)})`)
  if (problems.repeated.length > 0)
    parts.push(
      `has parameters the network also appends, so they arrived twice (${list(problems.repeated)})`,
    )
  if (parts.length === 0) return null
  return `the URL in the network's panel ${parts.join(' and ')}: paste the URL that \`npm run cli -- url ${network}\` prints`
}

function list(items: string[]): string {
  const shown = items.slice(0, SHOWN).join(', ')
  return items.length > SHOWN ? `${shown} and ${items.length - SHOWN} more` : shown
}

/** The parameters of a request as the postback log stored it (query, form or JSON body). */
export function storedRequestParams(query: string | null, body: string | null): Params {
  const params: Params = new Map()
  const add = (name: string, value: string) =>
    params.set(name, [...(params.get(name) ?? []), value])
  for (const [name, value] of new URLSearchParams(query ?? '')) add(name, value)
  if (body === null) return params
  let json: unknown
  try {
    json = body.trimStart().startsWith('{') ? JSON.parse(body) : undefined
  } catch {}
  if (json === undefined) {
    for (const [name, value] of new URLSearchParams(body)) add(name, value)
  } else if (json !== null && typeof json === 'object') {
    for (const [name, value] of Object.entries(json))
      for (const item of Array.isArray(value) ? value : [value])
        if (item !== null && typeof item !== 'object') add(name, String(item))
  }
  return params
}
