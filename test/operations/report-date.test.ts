import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseReportDate } from '../../src/operations/reconcile/report-date.js'

const local = (date: string, dateOnly = false) => ({ date, zoned: false, dateOnly })

test('each --date-format reads its own form into the ISO form PostgreSQL casts', () => {
  const cases: [string, Parameters<typeof parseReportDate>[1], unknown][] = [
    ['2026-11-25 14:03:05', 'auto', local('2026-11-25 14:03:05')],
    [
      '2026-11-25T14:03:05+01:00',
      'iso',
      { date: '2026-11-25T14:03:05+01:00', zoned: true, dateOnly: false },
    ],
    ['1795968000', 'auto', { date: '2026-11-29T16:00:00.000Z', zoned: true, dateOnly: false }],
    ['25/11/2026 14:03', 'DD/MM/YYYY', local('2026-11-25 14:03:00')],
    ['5/1/2026', 'DD/MM/YYYY', local('2026-01-05', true)],
    ['25.11.2026 14:03:05', 'DD.MM.YYYY', local('2026-11-25 14:03:05')],
    ['11/25/2026 2:03:05 PM', 'MM/DD/YYYY', local('2026-11-25 14:03:05')],
    ['11/25/2026 12:30 AM', 'MM/DD/YYYY', local('2026-11-25 00:30:00')],
    ['11/25/2026 12:30 pm', 'MM/DD/YYYY', local('2026-11-25 12:30:00')],
    ['1795968000', 'unix', { date: '2026-11-29T16:00:00.000Z', zoned: true, dateOnly: false }],
    [
      '1795968000123',
      'unix-ms',
      { date: '2026-11-29T16:00:00.123Z', zoned: true, dateOnly: false },
    ],
  ]
  for (const [text, format, expected] of cases)
    assert.deepEqual(parseReportDate(text, format), expected, `${text} as ${format}`)
})

test('a date that does not fit its format is invalid, never guessed', () => {
  const invalid: [string, Parameters<typeof parseReportDate>[1]][] = [
    ['25/11/2026', 'auto'], // day or month first: only the flag says
    ['25/11/2026', 'MM/DD/YYYY'], // no month 25
    ['11/31/2026', 'MM/DD/YYYY'], // no 31 November
    ['31/11/2026', 'DD/MM/YYYY'],
    ['25/11/2026 24:00', 'DD/MM/YYYY'],
    ['11/25/2026 13:00 PM', 'MM/DD/YYYY'],
    ['25.11.2026', 'DD/MM/YYYY'],
    ['2026-11-25', 'DD/MM/YYYY'],
    ['1795968000123', 'unix'],
    ['1795968000', 'unix-ms'],
    ['yesterday', 'iso'],
  ]
  for (const [text, format] of invalid)
    assert.equal(parseReportDate(text, format), 'invalid', `${text} as ${format}`)
  assert.deepEqual(parseReportDate(null, 'DD/MM/YYYY'), {
    date: null,
    zoned: false,
    dateOnly: false,
  })
})
