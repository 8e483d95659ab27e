import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

// The writer's statements are prepared once per connection. pg-pool discards a client whose
// query failed; on the embedded database the replacement socket reaches the same single
// backend, which still holds the old client's prepared statements.

let testDb: TestDatabase
before(async () => {
  testDb = await createTestDatabase()
})
after(async () => {
  await testDb?.drop()
})

test('a named statement still runs after a failed query replaced the connection', async () => {
  const probe = { name: 'probe', text: 'SELECT $1::int + 1 AS n', values: [1] }
  assert.deepEqual((await testDb.db.pool.query(probe)).rows, [{ n: 2 }])
  await assert.rejects(testDb.db.pool.query('SELECT 1 / 0'), /division by zero/)
  assert.deepEqual((await testDb.db.pool.query(probe)).rows, [{ n: 2 }])
})
