// HTML built from tagged templates: every interpolated value is escaped unless it is already
// Html (made by this tag or raw()). Arrays are joined, null/undefined/false render nothing.

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text
  }
}

type Value = Html | string | number | bigint | boolean | null | undefined | Value[]

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c)
}

function render(value: Value): string {
  if (value === null || value === undefined || value === false) return ''
  if (value instanceof Html) return value.text
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0] ?? ''
  for (let i = 0; i < values.length; i += 1) out += render(values[i]) + (strings[i + 1] ?? '')
  return new Html(out)
}

/** Trusted markup only (built here, never from input). */
export function raw(text: string): Html {
  return new Html(text)
}

/** A query string from the non-empty values, for links that keep the current filters. */
export function queryString(values: Record<string, string | undefined>): string {
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(values)) if (value) params.set(name, value)
  const text = params.toString()
  return text ? `?${text}` : ''
}

export function formatTime(date: Date | string): string {
  const iso = typeof date === 'string' ? date : date.toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}`
}
