import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { collectParams, FormBody } from '../../src/postbacks/params.js'

// Parameters are read from the query string and a form body as URLSearchParams reads them:
// every decision (who is credited, how much) starts from these values.
const PIECES = [
  'a',
  'tx_id',
  '1',
  '=',
  '&',
  '?',
  '%',
  '%41',
  '%zz',
  '%C3%A9',
  '%E2%82',
  '+',
  ' ',
  'é',
  'ÿ',
  '😀',
  '\ud800',
  '.',
  '-',
]
const formText = fc
  .array(fc.constantFrom(...PIECES), { maxLength: 16 })
  .map((parts) => parts.join(''))

const asURLSearchParams = (text: string) => {
  const expected = new Map<string, string[]>()
  for (const [name, value] of new URLSearchParams(text))
    expected.set(name, [...(expected.get(name) ?? []), value])
  return expected
}

test('when a query string or form body arrives, then its parameters are exactly what URLSearchParams reads', () => {
  fc.assert(
    fc.property(formText, (text) => {
      assert.deepEqual(collectParams(`/api/postback?${text}`, undefined), asURLSearchParams(text))
      assert.deepEqual(collectParams('/api/postback', new FormBody(text)), asURLSearchParams(text))
    }),
    { numRuns: 5000 },
  )
  // Repeats keep every value in order; both sources add to the same names.
  assert.deepEqual(
    collectParams('/api/postback?tx_id=1&a&tx_id=2&&=x&b=c=d', new FormBody('?tx_id=3')),
    new Map([
      ['tx_id', ['1', '2', '3']],
      ['a', ['']],
      ['', ['x']],
      ['b', ['c=d']],
    ]),
  )
})
