import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  conversionRowSchema,
  getConversion,
  searchConversions,
} from '../../src/conversions/rows.js'
import { parseRow, RowShapeError } from '../../src/db/row-schema.js'
import { ledgerRowSchema } from '../../src/ledger/rows.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { assertSchemaAgrees } from '../helpers/row-schemas.js'

let testDb: TestDatabase
before(async () => {
  testDb = await createTestDatabase()
})
after(() => testDb.drop())

test('the conversions and ledger row schemas allow NULL exactly where the tables do', async () => {
  await assertSchemaAgrees(testDb.db.pool, 'conversions', conversionRowSchema)
  await assertSchemaAgrees(testDb.db.pool, 'ledger_entries', ledgerRowSchema)
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
