import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  addFraction,
  compareDecimals,
  normalizeDecimal,
  pointsFor,
} from '../../src/ledger/decimal.js'

test('points are payout × rate rounded down, exactly, with no floating point', () => {
  assert.equal(pointsFor('3.50', '100'), 350n)
  assert.equal(pointsFor('0.019', '100'), 1n)
  assert.equal(pointsFor('0.29', '100'), 29n) // 0.29 * 100 is 28.999999999999996 in floating point
  assert.equal(pointsFor('1.005', '1000'), 1005n) // 1.005 * 1000 is 1004.9999999999999 in floating point
  assert.equal(pointsFor('12', '0.5'), 6n)
  assert.equal(pointsFor('0', '100'), 0n)
  assert.equal(pointsFor('99999999999999.999999', '100'), 9999999999999999n)
})

test('decimals compare by value, whatever their trailing zeros', () => {
  assert.equal(compareDecimals('3.5', '3.500000'), 0)
  assert.equal(compareDecimals('4.21', '4.2'), 1)
  assert.equal(compareDecimals('0.000001', '0'), 1)
  assert.equal(compareDecimals('9', '10'), -1)
})

test('a tolerance adds exactly: 3.50 + 20% is 4.2', () => {
  assert.equal(addFraction('3.50', '0.2'), '4.2')
  assert.equal(addFraction('0.1', '0.2'), '0.12')
  assert.equal(addFraction('5', '0'), '5')
})

test('normalized decimals drop trailing zeros only', () => {
  assert.equal(normalizeDecimal('3.500000'), '3.5')
  assert.equal(normalizeDecimal('12.000000'), '12')
  assert.equal(normalizeDecimal('0.000000'), '0')
  assert.equal(normalizeDecimal('100'), '100')
})

test('anything but a plain decimal is refused', () => {
  for (const bad of ['1e3', '-1', '', '.5', '3.', 'NaN'])
    assert.throws(() => pointsFor(bad, '100'), /not a plain decimal/)
})

test('a scale multiplies exactly and cuts to 6 decimal places', async () => {
  const { multiplyDecimals } = await import('../../src/ledger/decimal.js')
  assert.equal(multiplyDecimals('45', '0.01'), '0.45')
  assert.equal(multiplyDecimals('12345', '0.001'), '12.345')
  assert.equal(multiplyDecimals('0.0000019', '1'), '0.000001')
})
