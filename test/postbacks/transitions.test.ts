import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type Current, decideTransition, type Situation } from '../../src/postbacks/transitions.js'

const base: Situation = {
  incoming: 'approved',
  hasUser: true,
  creditPending: false,
  holdReason: null,
}
const at = (status: Current['status'], credited = false): Current => ({ status, credited })

// [current, incoming, expected status (undefined = unchanged), money, outcome]
const TABLE = [
  [null, 'approved', 'approved', 'credit', 'credited'],
  [null, 'pending', 'pending', 'none', 'recorded'],
  [null, 'reversed', 'reversed', 'none', 'recorded'],
  [at('pending'), 'approved', 'approved', 'credit', 'credited'],
  [at('pending'), 'pending', undefined, 'none', 'duplicate'],
  [at('pending'), 'reversed', 'reversed', 'none', 'reversed'],
  [at('pending', true), 'approved', 'approved', 'none', 'recorded'],
  [at('pending', true), 'reversed', 'reversed', 'reverse', 'reversed'],
  [at('approved', true), 'approved', undefined, 'none', 'duplicate'],
  [at('approved', true), 'pending', undefined, 'none', 'ignored'],
  [at('approved', true), 'reversed', 'reversed', 'reverse', 'reversed'],
  [at('approved'), 'reversed', 'reversed', 'none', 'reversed'],
  [at('held'), 'approved', undefined, 'none', 'duplicate'],
  [at('held'), 'pending', undefined, 'none', 'ignored'],
  [at('held'), 'reversed', 'reversed', 'none', 'reversed'],
  [at('rejected'), 'approved', undefined, 'none', 'ignored'],
  [at('rejected'), 'reversed', undefined, 'none', 'ignored'],
  [at('reversed'), 'reversed', undefined, 'none', 'duplicate'],
  [at('reversed'), 'approved', undefined, 'none', 'ignored'],
  [at('reversed'), 'pending', undefined, 'none', 'ignored'],
] as const

for (const [current, incoming, status, money, outcome] of TABLE) {
  test(`when a ${current?.status ?? 'new'}${current?.credited ? ' (credited)' : ''} conversion gets ${incoming}, then ${outcome}`, () => {
    const decision = decideTransition(current, { ...base, incoming })
    assert.deepEqual([decision.status, decision.money, decision.outcome], [status, money, outcome])
    assert.ok(decision.message.length > 0)
  })
}

test('when an approval must be reviewed, then it is held and nothing is credited', () => {
  const decision = decideTransition(null, { ...base, holdReason: 'too much' })
  assert.deepEqual(
    [decision.status, decision.money, decision.outcome, decision.message],
    ['held', 'none', 'held', 'too much'],
  )
})

test('when CREDIT_PENDING is on and a pending payout must be reviewed, then it is held', () => {
  const decision = decideTransition(null, {
    ...base,
    incoming: 'pending',
    creditPending: true,
    holdReason: 'too much',
  })
  assert.deepEqual([decision.status, decision.money, decision.outcome], ['held', 'none', 'held'])
})

test('when no user is known, then an approval is recorded without a credit', () => {
  const decision = decideTransition(null, { ...base, hasUser: false })
  assert.deepEqual(
    [decision.status, decision.money, decision.outcome],
    ['approved', 'none', 'recorded'],
  )
})

test('when CREDIT_PENDING is on, then a new pending conversion is credited', () => {
  const decision = decideTransition(null, { ...base, incoming: 'pending', creditPending: true })
  assert.deepEqual(
    [decision.status, decision.money, decision.outcome],
    ['pending', 'credit', 'credited'],
  )
})
