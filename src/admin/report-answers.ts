import { z } from 'zod'
import { BREAKDOWNS, SORTS } from '../reports/breakdown.js'
import { RANGES } from '../reports/range.js'
import { timestamp } from './answers.js'

// What the report routes answer (src/admin/report-routes.ts). Money is a decimal string per
// currency, points an integer string: both exact, whatever their size.

const decimal = z.string().regex(/^\d+(\.\d+)?$/)
const integerText = z
  .string()
  .regex(/^-?\d+$/)
  .describe('an integer as a string (may pass 2^53)')
const localDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/)
const nextOffset = z
  .number()
  .int()
  .optional()
  .describe('pass as `offset` for the next page; absent on the last')

export const rangeAnswer = z.object({
  range: z.enum(RANGES),
  timeZone: z.string().describe('the IANA zone every date of the report is in'),
  utcOffset: z.string().describe('the zone’s offset at the start, e.g. GMT+09:00'),
  from: localDate.describe('first local date, included'),
  to: localDate.describe('last local date, included'),
  start: timestamp.describe('the instant the range starts (included), ISO 8601 UTC'),
  end: timestamp.describe('the instant the range ends (excluded), ISO 8601 UTC'),
})

const money = z.object({
  currency: z.string().nullable().describe('null: the network sent no currency'),
  amount: decimal,
})

const figures = {
  conversions: z.number().int().describe('conversions first recorded in the range'),
  approved: z.number().int(),
  reversed: z.number().int(),
  points: integerText.describe('points credited by them and not reversed'),
  revenue: z
    .array(money)
    .describe('payouts of the approved ones, summed per currency (never across currencies)'),
}

export const breakdownRowAnswer = z.object({
  key: z
    .string()
    .describe(
      'network, "network / offer" ("network / -" without an offer id), local date or user id',
    ),
  ...figures,
})

export const reportAnswer = z.object({
  range: rangeAnswer,
  totals: z.object(figures),
  mainCurrency: z.string().nullable().describe('the currency with the most revenue'),
  refusals: z
    .array(
      z.object({
        network: z.string().describe('"(none)": the request named no network the service knows'),
        day: localDate,
        postbacks: z.number().int().describe('requests the network sent (replays not counted)'),
        refused: z.number().int(),
        refusedShare: z.number().describe('refused / postbacks, 4 decimals'),
      }),
    )
    .describe('per network and local day, days without postbacks left out'),
})

export const breakdownAnswer = z.object({
  range: rangeAnswer,
  by: z.enum(BREAKDOWNS),
  sort: z.enum(SORTS),
  order: z.enum(['asc', 'desc']),
  currency: z.string().nullable().describe('the currency a revenue sort compared'),
  rows: z.array(breakdownRowAnswer),
  nextOffset,
})

export const usersAnswer = z.object({
  items: z.array(
    z.object({
      userId: z.string(),
      balance: integerText.describe('points'),
      lastActivityAt: timestamp.describe('the last change to the balance'),
    }),
  ),
  nextOffset,
})
