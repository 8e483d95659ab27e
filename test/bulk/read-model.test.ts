import { after, before, test } from 'node:test'
import { bulkRunRowSchema } from '../../src/bulk/runs.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { assertSchemaAgrees } from '../helpers/row-schemas.js'

let testDb: TestDatabase
before(async () => {
  testDb = await createTestDatabase()
})
after(() => testDb.drop())

test('the bulk_runs read model agrees with the table (stale is worked out by the query)', async () => {
  await assertSchemaAgrees(testDb.db.pool, 'bulk_runs', bulkRunRowSchema.omit({ stale: true }))
})
