import type { z } from 'zod'
import { HttpError } from './errors.js'

/** Parses request input with a zod schema, or throws a 400 naming every bad field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const result = schema.safeParse(input ?? {})
  if (result.success) return result.data
  const fields = result.error.issues.map((issue) => {
    const field = issue.path.join('.') || 'body'
    return { field, code: 'INVALID_FIELD' as const, message: `${field}: ${issue.message}` }
  })
  throw new HttpError('INVALID_FIELD', fields.map((f) => f.message).join('; '), { fields })
}
