import assert from 'node:assert/strict'
import type { Pool } from 'pg'
import type { z } from 'zod'

// The read models must agree with the tables the migrations build: a column the database lets
// be NULL must be nullable in the row schema (else a page answers 500 on the first such row),
// and one it never lets be NULL should not be (else the types lie to every reader).

/** Every column of `schema` exists in `table` and accepts NULL exactly when the table does. */
export async function assertSchemaAgrees(pool: Pool, table: string, schema: z.ZodObject) {
  const { rows } = await pool.query<{ column_name: string; is_nullable: string }>(
    `SELECT column_name, is_nullable FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1`,
    [table],
  )
  const columns = new Map(rows.map((row) => [row.column_name, row.is_nullable === 'YES']))
  for (const [column, field] of Object.entries(schema.shape)) {
    assert.ok(columns.has(column), `${table}.${column} exists`)
    const acceptsNull = (field as z.ZodType).safeParse(null).success
    assert.equal(
      acceptsNull,
      columns.get(column),
      `${table}.${column}: the database ${columns.get(column) ? 'allows' : 'forbids'} NULL, the row schema ${acceptsNull ? 'accepts' : 'refuses'} it`,
    )
  }
}
