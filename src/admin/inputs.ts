import { z } from 'zod'
import { isTimeZone } from '../lib/time-zone.js'

// Request parameters the admin API's routes share (the delivery routes' and the dashboard's
// ids too): a bad value is a 400 naming the field and saying what it expects.

/** A bigint primary key as the URL carries it. */
export const id = z.string().regex(/^\d{1,18}$/, 'must be a numeric id')

export const page = {
  limit: z.coerce.number().int().min(1).max(500).default(50).describe('items per page'),
  before: z
    .string()
    .regex(/^\d{1,18}$/, 'must be an id from a previous page')
    .optional()
    .describe('`nextBefore` of the previous page'),
}

/** A yes/no query parameter: true or false (absent: false). */
export const flag = z
  .enum(['true', 'false'], 'must be true or false')
  .default('false')
  .transform((v) => v === 'true')

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
const CONTROL = /[\u0000-\u001f\u007f]/

/** A user id, network or offer id as sent: 1 to 255 characters, no control characters. */
export const name = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => !CONTROL.test(s), 'must not contain control characters')

/** Free text, trimmed: 1 to `max` characters, no control characters. */
export const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters')

export const localTime = z
  .string()
  .regex(
    /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?)?$/,
    'must be a local date or date-time such as 2026-11-25 or 2026-11-25T08:00',
  )

/** An IANA time zone, UTC when absent; `example` ends the message on a bad one. */
export const timeZone = (example: string) =>
  z
    .string()
    .default('UTC')
    .refine(isTimeZone, `must be an IANA time zone such as ${example}`)
    .describe('IANA time zone')
