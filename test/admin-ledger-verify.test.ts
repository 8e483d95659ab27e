import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { test } from 'node:test'
import pg from 'pg'
import { adminHeaders, createTestApp } from './helpers/app.js'
import { USING_REAL_POSTGRES } from './helpers/database.js'

test('GET /admin/ledger/verify answers after minutes of silence: CONNECTION_TIMEOUT does not cut it off', {
  skip: USING_REAL_POSTGRES
    ? false
    : 'holds a table lock from a second connection, which the embedded database does not have',
}, async () => {
  const t = await createTestApp({ CONNECTION_TIMEOUT: '1 s' })
  const blocker = new pg.Client({ connectionString: t.testDb.env.DATABASE_URL })
  try {
    await t.app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = t.app.server.address() as AddressInfo
    await blocker.connect()
    // The checks wait for this lock: the answer comes 2.5 s later, with nothing sent before.
    await blocker.query('BEGIN')
    await blocker.query('LOCK TABLE ledger_entries IN ACCESS EXCLUSIVE MODE')
    const answer = fetch(`http://127.0.0.1:${port}/admin/ledger/verify`, { headers: adminHeaders })
    await new Promise((resolve) => setTimeout(resolve, 2500))
    await blocker.query('COMMIT')
    const response = await answer
    assert.equal(response.status, 200)
    assert.equal(((await response.json()) as { violations: number }).violations, 0)
  } finally {
    await blocker.end()
    await t.close()
  }
})
