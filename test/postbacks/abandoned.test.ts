import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import {
  consistentBalance,
  createTestApp,
  postbackUrl,
  type TestApp,
  uniqueTx,
} from '../helpers/app.js'
import { USING_REAL_POSTGRES } from '../helpers/database.js'

// A postback whose caller was answered 503 (the deadline passed) while it still waited for its
// lane is dropped, not written later: the 503 means "not recorded", and the network's retry is
// credited as new. (One already inside a transaction may still commit: then the retry is a
// duplicate, credited once either way.)

const skip = USING_REAL_POSTGRES
  ? false
  : 'needs DATABASE_URL: holds a row lock from a second session'

let t: TestApp
before(async () => {
  if (skip) return
  // One lane, so the second postback queues behind the first one's transaction.
  t = await createTestApp({ POSTBACK_TIMEOUT_MS: '500', GROUP_COMMIT_LANES: '1' })
})
after(() => t?.close())

const send = (fields: Record<string, string>) =>
  t.app.inject({
    url: postbackUrl({ offer_id: 'o1', payout: '1.00', ...fields }),
    headers: { accept: 'application/json' },
  })

async function conversionCount(txId: string) {
  const { rows } = await t.testDb.db.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM conversions WHERE tx_id = $1',
    [txId],
  )
  return rows[0]?.n ?? 0
}

test('a postback still queued for its lane when its deadline passes is answered 503 and never written', {
  skip,
}, async () => {
  const blocked = uniqueTx('blocked')
  const queued = uniqueTx('queued')
  const user = uniqueTx('user')
  assert.equal((await send({ tx_id: blocked, user_id: user, status: 'pending' })).statusCode, 200)

  const holder = new pg.Client({ connectionString: t.testDb.env.DATABASE_URL })
  await holder.connect()
  try {
    await holder.query('BEGIN')
    await holder.query('SELECT id FROM conversions WHERE tx_id = $1 FOR UPDATE', [blocked])
    // The lane's transaction waits for the held lock; the next postback waits for the lane.
    const inFlight = send({ tx_id: blocked, user_id: user, status: 'approved' })
    await sleep(100)
    const waiting = send({ tx_id: queued, user_id: user })
    const [first, second] = await Promise.all([inFlight, waiting])
    assert.equal(first.statusCode, 503)
    assert.equal(second.statusCode, 503)
    assert.equal(second.json().code, 'DATABASE_UNAVAILABLE')
  } finally {
    await holder.query('COMMIT')
    await holder.end()
  }
  await sleep(300) // the lane finishes the transaction that was in flight
  assert.equal(await conversionCount(queued), 0, 'the abandoned postback was not written')
  assert.equal(
    await consistentBalance(t.testDb, user),
    100,
    'only the approval in flight committed',
  )

  const retry = await send({ tx_id: queued, user_id: user })
  assert.equal(retry.statusCode, 200)
  assert.equal(retry.json().outcome, 'credited')
  assert.equal(await consistentBalance(t.testDb, user), 200)
})
