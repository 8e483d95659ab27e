// Exact arithmetic on plain decimal strings ("3.50", "12", "0.000001") with BigInt:
// money never passes through floating point.

type Scaled = { units: bigint; scale: number }

const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/

function toScaled(text: string): Scaled {
  const match = PLAIN_DECIMAL.exec(text)
  if (!match) throw new Error(`not a plain decimal: ${JSON.stringify(text)}`)
  const fraction = match[2] ?? ''
  return { units: BigInt(`${match[1]}${fraction}`), scale: fraction.length }
}

function aligned(a: Scaled, b: Scaled): [bigint, bigint] {
  const scale = Math.max(a.scale, b.scale)
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale)]
}

/** -1, 0 or 1, like a comparator. */
export function compareDecimals(a: string, b: string): number {
  const [x, y] = aligned(toScaled(a), toScaled(b))
  return x < y ? -1 : x > y ? 1 : 0
}

/** floor(payout × rate), exactly. Both are non-negative plain decimals. */
export function pointsFor(payout: string, rate: string): bigint {
  const p = toScaled(payout)
  const r = toScaled(rate)
  return (p.units * r.units) / 10n ** BigInt(p.scale + r.scale)
}

/** a × (1 + fraction), as a plain decimal string, exactly. */
export function addFraction(a: string, fraction: string): string {
  const x = toScaled(a)
  const f = toScaled(fraction)
  const scale = x.scale + f.scale
  const units = x.units * 10n ** BigInt(f.scale) + x.units * f.units
  return formatScaled(units, scale)
}

/** a × b exactly, cut (not rounded) to `maxScale` decimal places: cents × 0.01 -> dollars. */
export function multiplyDecimals(a: string, b: string, maxScale = 6): string {
  const x = toScaled(a)
  const y = toScaled(b)
  const scale = x.scale + y.scale
  const units = x.units * y.units
  if (scale <= maxScale) return formatScaled(units, scale)
  return formatScaled(units / 10n ** BigInt(scale - maxScale), maxScale)
}

/** a + b exactly (both plain non-negative decimals): sums of money per currency. */
export function addDecimals(a: string, b: string): string {
  const x = toScaled(a)
  const y = toScaled(b)
  const [u, v] = aligned(x, y)
  return formatScaled(u + v, Math.max(x.scale, y.scale))
}

/** Drops trailing zeros: "3.500000" -> "3.5", "12.000000" -> "12". */
export function normalizeDecimal(text: string): string {
  const { units, scale } = toScaled(text)
  return formatScaled(units, scale)
}

function formatScaled(units: bigint, scale: number): string {
  if (scale === 0) return units.toString()
  const digits = units.toString().padStart(scale + 1, '0')
  const whole = digits.slice(0, -scale)
  const fraction = digits.slice(-scale).replace(/0+$/, '')
  return fraction ? `${whole}.${fraction}` : whole
}
