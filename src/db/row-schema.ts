import type { z } from 'zod'

// Rows are checked where they leave the database, as Slonik does: a column whose shape a read
// model does not expect (a NULL where it wants text, a status it does not know) fails here,
// naming the table, the row and the column, instead of somewhere inside a page or an export.
// The messages name columns and rules, never the values (which may be anything).

export class RowShapeError extends Error {
  override name = 'RowShapeError'
}

/** The row as `schema` types it, or a RowShapeError naming each column that does not fit. */
export function parseRow<T extends z.ZodType>(table: string, schema: T, row: unknown): z.output<T> {
  const result = schema.safeParse(row)
  if (result.success) return result.data
  const id = (row as { id?: unknown } | null)?.id
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)
  throw new RowShapeError(
    `${table} row ${typeof id === 'string' ? id : '?'} does not fit its read model: ${problems.join('; ')}`,
  )
}
