import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { z } from 'zod'
import {
  conversionRowSchema,
  getConversion,
  searchConversions,
} from '../../src/conversions/rows.js'
import { parseRow, RowShapeError } from '../../src/db/row-schema.js'
import { ledgerRowSchema } from '../../src/ledger/rows.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

// The read models must agree with the tables the migrations build: a column the database lets
// be NULL must be nullable in the row schema (else a page answers 500 on the first such row),
// and one it never lets be NULL should not be (else the types lie to every reader).

let testDb: TestDatabase
before(async () => {
  testDb = await createTestDatabase()
})
after(() => testDb.drop())

async function nullability(table: string) {
  const { rows } = await testDb.db.pool.query<{ column_name: string; is_nullable: string }>(
    `SELECT column_name, is_nullable FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1`,
    [table],
  )
  return new Map(rows.map((row) => [row.column_name, row.is_nullable === 'YES']))
}

async function assertAgrees(table: string, schema: z.ZodObject) {
  const columns = await nullability(table)
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

test('the conversions and ledger row schemas allow NULL exactly where the tables do', async () => {
  await assertAgrees('conversions', conversionRowSchema)
  await assertAgrees('ledger_entries', ledgerRowSchema)
})

test('columns added to conversions later are not read until the read model names them', async () => {
  const { rows } = await testDb.db.pool.query<{ id: string }>(
    `INSERT INTO conversions (network, tx_id, user_id, points, status)
     VALUES ('tapjoy', 'extra-columns', 'u1', 50, 'approved') RETURNING id::text`,
  )
  const id = rows[0]?.id ?? ''
  await testDb.db.pool.query(
    'ALTER TABLE conversions ADD COLUMN credit_points_test bigint, ADD COLUMN reversed_test boolean',
  )
  try {
    const conversion = await getConversion(testDb.db.pool, id)
    assert.deepEqual(
      [conversion?.payout, conversion?.offerId, conversion?.points],
      [null, null, '50'],
    )
    assert.equal((await searchConversions(testDb.db.pool, { userId: 'u1' }, 10)).length, 1)
  } finally {
    await testDb.db.pool.query(
      'ALTER TABLE conversions DROP COLUMN credit_points_test, DROP COLUMN reversed_test',
    )
  }
})

test('a row that does not fit names the table, the row and the column, not the value', () => {
  const row = { ...validRow(), id: '42', status: 'secret-looking-status', payout: null }
  assert.throws(
    () => parseRow('conversions', conversionRowSchema, row),
    (error: unknown) =>
      error instanceof RowShapeError &&
      /^conversions row 42 does not fit its read model: status: /.test(error.message) &&
      !error.message.includes('secret-looking-status'),
  )
})

function validRow() {
  return {
    id: '1',
    network: 'n',
    tx_id: 't',
    offer_id: null,
    user_id: null,
    click_id: null,
    payout: '1.500000',
    currency: null,
    points: '1',
    status: 'approved',
    network_status: null,
    hold_reason: null,
    sub1: null,
    sub2: null,
    sub3: null,
    sub4: null,
    sub5: null,
    created_at: new Date(),
    updated_at: new Date(),
  }
}
