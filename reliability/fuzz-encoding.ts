import { BROKEN_PERCENT } from './fuzz-values.js'
import type { Pair } from './fuzz-wire.js'

// How fuzzed parameters are written: percent-encoded several ways, broken on purpose, or as raw
// bytes; and the bodies that carry them.

export type Style = 'pct' | 'plus' | 'lower' | 'broken' | 'raw'

/** Every byte but the unreserved ones as %XX: decodes to exactly `text` (lone surrogates aside). */
export function pct(text: string, { all = false, lower = false, plus = false } = {}): string {
  let out = ''
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte)
    if (!all && byte < 0x80 && /[A-Za-z0-9\-._~]/.test(char)) out += char
    else if (plus && byte === 0x20) out += '+'
    else {
      const hex = byte.toString(16).padStart(2, '0')
      out += `%${lower ? hex : hex.toUpperCase()}`
    }
  }
  return out
}

/** As the bytes themselves (latin1), only the separators escaped: for raw sockets. */
function rawBytes(text: string): string {
  return Buffer.from(text, 'utf8')
    .toString('latin1')
    .replace(/[%&=#+?]/g, (c) => pct(c))
}

export function encodePair([name, value]: Pair, style: Style, salt: number): string {
  switch (style) {
    case 'pct':
      return `${pct(name)}=${pct(value)}`
    case 'plus':
      return `${pct(name, { plus: true })}=${pct(value, { plus: true })}`
    case 'lower':
      return `${pct(name, { lower: true })}=${pct(value, { lower: true })}`
    case 'broken': {
      const broken = BROKEN_PERCENT[salt % BROKEN_PERCENT.length] ?? '%ZZ'
      return `${pct(name)}=${salt % 2 === 0 ? broken + pct(value) : pct(value) + broken}`
    }
    case 'raw':
      return `${rawBytes(name)}=${rawBytes(value)}`
  }
}

/** Poisons and secrets must decode to exactly their value. */
export const safeStyle = (style: Style): Style =>
  style === 'broken' || style === 'raw' ? 'pct' : style

// --- bodies -----------------------------------------------------------------------------------

export function formBody(pairs: Pair[], style: Style, salt: number): string {
  return pairs.map((pair, i) => encodePair(pair, style, salt + i)).join('&')
}

export function jsonBody(pairs: Pair[], numbers: boolean, salt: number): string {
  const grouped = new Map<string, string[]>()
  for (const [name, value] of pairs) grouped.set(name, [...(grouped.get(name) ?? []), value])
  const literal = (value: string) =>
    numbers && /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(value) ? value : JSON.stringify(value)
  const members = [...grouped].map(([name, values], i) => {
    const asArray = values.length > 1 || (salt >> i) % 5 === 0
    const value = asArray ? `[${values.map(literal).join(',')}]` : literal(values[0] ?? '')
    return `${JSON.stringify(name)}:${value}`
  })
  return `{${members.join(',')}}`
}

export function otherBody(type: string, pairs: Pair[]): string {
  if (type.includes('xml')) {
    return `<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><postback>${pairs
      .map(([n, v]) => `<${pct(n)}>${pct(v)}&x;</${pct(n)}>`)
      .join('')}</postback>`
  }
  if (type.startsWith('multipart')) {
    const parts = pairs.map(
      ([n, v]) => `--fuzz\r\nContent-Disposition: form-data; name="${pct(n)}"\r\n\r\n${v}\r\n`,
    )
    return `${parts.join('')}--fuzz--\r\n`
  }
  return formBody(pairs, 'pct', 0)
}
