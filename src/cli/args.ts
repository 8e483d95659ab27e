import { type ParseArgsConfig, parseArgs } from 'node:util'

/** A mistake in how the command was called: the process exits 2 and shows the command's help. */
export class UsageError extends Error {
  override name = 'UsageError'
}

type Options = NonNullable<ParseArgsConfig['options']>

/** node:util parseArgs, strict, with positionals; its errors become UsageErrors. */
export function parseFlags<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

/** Exactly `names.length` positionals (the last ones may be optional), or a UsageError. */
export function positionals(
  values: string[],
  names: string[],
  required = names.length,
): (string | undefined)[] {
  if (values.length < required) throw new UsageError(`missing ${names[values.length]}`)
  if (values.length > names.length)
    throw new UsageError(`unexpected argument "${values[names.length]}"`)
  return names.map((_, index) => values[index])
}

/** A whole number flag within bounds, or a UsageError naming the flag. */
export function integerFlag(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name} expects a whole number from ${min} to ${max}, got "${value}"`)
  }
  return Number(value)
}

/** --timezone and the like: an IANA zone name, or a UsageError. */
export function timeZoneFlag(name: string, value: string | undefined): string {
  const zone = value ?? 'UTC'
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone })
    return zone
  } catch {
    throw new UsageError(`--${name} expects an IANA time zone such as UTC or Europe/Berlin`)
  }
}
