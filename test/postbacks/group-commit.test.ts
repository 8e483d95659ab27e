import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import { createRecorder } from '../../src/postbacks/group-commit.js'
import type { Postback, RecordPolicy } from '../../src/postbacks/postback.js'
import { recordPostback } from '../../src/postbacks/record.js'
import type { NetworkStatus } from '../../src/postbacks/transitions.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { silentLogger } from '../helpers/logging.js'
import { approvalOf, logContext } from '../helpers/postbacks.js'

// Group commit must be invisible: a batch gives every postback the outcome, and leaves the
// database in the state, that applying the same postbacks one at a time would.

let testDb: TestDatabase
before(async () => {
  testDb = await createTestDatabase()
})
after(async () => {
  await testDb.drop()
})

type Op = { tx: number; status: NetworkStatus; payout: string; user: number | null }

function postbackOf(op: Op, network: string, prefix: string): Postback {
  const cents = Math.round(Number(op.payout) * 100) // test data only: whole cents
  return approvalOf({
    network,
    txId: `tx-${op.tx}`,
    offerId: 'offer-1',
    payout: op.payout,
    points: BigInt(cents),
    status: op.status,
    networkStatus: op.status,
    userId: op.user === null ? null : `${prefix}-user-${op.user}`,
  })
}

/** What a run left behind, with its own prefix taken out so two runs compare equal. */
async function stateOf(network: string, prefix: string) {
  const { rows: conversions } = await testDb.db.pool.query(
    `SELECT tx_id, status, payout::text, points::text, user_id, hold_reason, network_status,
            (SELECT json_agg(json_build_object('kind', kind, 'user', user_id, 'points', points::text)
                             ORDER BY kind)
             FROM ledger_entries l WHERE l.conversion_id = c.id) AS ledger
     FROM conversions c WHERE network = $1 ORDER BY tx_id`,
    [network],
  )
  const { rows: balances } = await testDb.db.pool.query(
    `SELECT user_id, points::text FROM balances WHERE user_id LIKE $1 ORDER BY user_id`,
    [`${prefix}-%`],
  )
  const { rows: log } = await testDb.db.pool.query(
    'SELECT count(*)::int AS n FROM postback_log WHERE network = $1',
    [network],
  )
  return JSON.parse(
    JSON.stringify({ conversions, balances, log }).replaceAll(`${prefix}-`, 'P-'),
  ) as unknown
}

const opArbitrary = fc.record({
  tx: fc.integer({ min: 1, max: 3 }),
  status: fc.constantFrom<NetworkStatus>('approved', 'approved', 'pending', 'reversed'),
  payout: fc.constantFrom('0.29', '1.00', '1.10', '5.00', '9.99'),
  user: fc.option(fc.integer({ min: 1, max: 2 }), { freq: 5 }),
})

describe('group commit', () => {
  test('a batch resolves duplicates and conflicting transitions exactly as one-at-a-time would', async () => {
    let run = 0
    let fallbacks = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(opArbitrary, { minLength: 1, maxLength: 10 }),
        fc.boolean(),
        async (ops, creditPending) => {
          run += 1
          const policy: RecordPolicy = { creditPending, maxPayout: '8', payoutTolerance: '0.2' }
          const [batched, serial] = [`gb${run}`, `gs${run}`]
          await testDb.db.pool.query(
            `INSERT INTO offers (network, offer_id, expected_payout)
             VALUES ($1, 'offer-1', 1), ($2, 'offer-1', 1)`,
            [batched, serial],
          )
          // All submitted in one tick: one batch.
          const recorder = createRecorder(testDb.db.pool, {
            windowMs: 20,
            maxBatch: 1000,
            lanes: 3,
            log: silentLogger(),
            onBatch: (_size, fellBack) => {
              if (fellBack) fallbacks += 1
            },
          })
          const inBatch = await Promise.all(
            ops.map((op) =>
              recorder(postbackOf(op, batched, batched), policy, logContext(batched)),
            ),
          )
          const oneByOne = []
          for (const op of ops) {
            oneByOne.push(
              await recordPostback(
                testDb.db.pool,
                postbackOf(op, serial, serial),
                policy,
                logContext(serial),
              ),
            )
          }
          const view = (results: typeof inBatch, prefix: string) =>
            results.map((r) => ({
              outcome: r.outcome,
              points: r.points.toString(),
              message: r.message.replaceAll(`${prefix}-`, 'P-'),
            }))
          assert.deepEqual(view(inBatch, batched), view(oneByOne, serial))
          assert.deepEqual(await stateOf(batched, batched), await stateOf(serial, serial))
          assert.equal(fallbacks, 0, 'the batch path itself, not the one-by-one fallback')
        },
      ),
      { numRuns: 40 },
    )
  })

  test('one postback that fails its batch does not fail the others', async () => {
    await testDb.db.pool.query(`
      CREATE FUNCTION fail_poison() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.tx_id = 'tx-poison' THEN RAISE EXCEPTION 'poisoned postback'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER fail_poison BEFORE INSERT ON conversions
        FOR EACH ROW EXECUTE FUNCTION fail_poison();`)
    try {
      const recorder = createRecorder(testDb.db.pool, {
        windowMs: 20,
        maxBatch: 1000,
        lanes: 2,
        log: silentLogger(),
      })
      const policy: RecordPolicy = {
        creditPending: false,
        maxPayout: undefined,
        payoutTolerance: '0.2',
      }
      const network = 'poison-net'
      const ops = [1, 2, 3].map((tx) =>
        postbackOf({ tx, status: 'approved', payout: '1.00', user: 1 }, network, 'pz'),
      )
      const poison = {
        ...postbackOf({ tx: 9, status: 'approved', payout: '1.00', user: 1 }, network, 'pz'),
        txId: 'tx-poison',
      }
      const results = await Promise.allSettled(
        [ops[0], poison, ops[1], ops[2]].map((p) =>
          recorder(p as Postback, policy, logContext(network)),
        ),
      )
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
      )
      assert.match(String((results[1] as PromiseRejectedResult).reason), /poisoned postback/)
      const { rows } = await testDb.db.pool.query(
        `SELECT (SELECT count(*)::int FROM conversions WHERE network = $1) AS conversions,
                (SELECT points::int FROM balances WHERE user_id = 'pz-user-1') AS balance`,
        [network],
      )
      assert.deepEqual(rows[0], { conversions: 3, balance: 300 })
    } finally {
      await testDb.db.pool.query(
        'DROP TRIGGER fail_poison ON conversions; DROP FUNCTION fail_poison()',
      )
    }
  })

  test('when a batch fails outside its writes, its callers get the error and the lane goes on', async () => {
    let failures = 2 // the batch's bookkeeping and its one-by-one fallback's
    const recorder = createRecorder(testDb.db.pool, {
      windowMs: 0,
      maxBatch: 1000,
      lanes: 1,
      log: silentLogger(),
      onBatch: () => {
        if (failures-- > 0) throw new Error('batch counter broke')
      },
    })
    const policy: RecordPolicy = {
      creditPending: false,
      maxPayout: undefined,
      payoutTolerance: '0.2',
    }
    const network = 'counter-net'
    const send = (tx: number) =>
      recorder(
        postbackOf({ tx, status: 'approved', payout: '1.00', user: 1 }, network, 'cb'),
        policy,
        logContext(network),
      )
    await assert.rejects(send(1), /batch counter broke/)
    assert.equal((await send(2)).outcome, 'credited')
    // The first was written before the counter broke: the network's retry is a duplicate.
    assert.equal((await send(1)).outcome, 'duplicate')
    const { rows } = await testDb.db.pool.query(
      `SELECT points::int FROM balances WHERE user_id = 'cb-user-1'`,
    )
    assert.deepEqual(rows, [{ points: 200 }])
  })
})
