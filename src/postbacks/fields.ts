import { z } from 'zod'
import { type FieldProblem, HttpError } from '../http/errors.js'
import { type Params, pickValue } from './params.js'
import type { Postback } from './record.js'
import type { NetworkStatus } from './transitions.js'

// The canonical fields of a postback and the parameter names the default network accepts.
export const FIELD_NAMES = {
  tx_id: ['tx_id', 'transaction_id', 'txid'],
  offer_id: ['offer_id'],
  payout: ['payout'],
  user_id: ['user_id'],
  click_id: ['click_id'],
  sub1: ['sub1'],
  sub2: ['sub2'],
  sub3: ['sub3'],
  sub4: ['sub4'],
  sub5: ['sub5'],
  status: ['status'],
  ip: ['ip'],
  datetime: ['datetime'],
  currency: ['currency'],
  reward: ['reward'],
} as const satisfies Record<string, readonly string[]>

type Field = keyof typeof FIELD_NAMES
const REQUIRED: readonly Field[] = ['tx_id', 'offer_id', 'payout']
// A macro left unreplaced in these would credit the wrong thing; elsewhere it is kept as sent.
const MACRO_CHECKED: readonly Field[] = ['tx_id', 'offer_id', 'payout', 'user_id', 'sub1', 'status']

// A Map, not an object literal: "constructor" or "__proto__" must not look like a status.
const STATUS_MAP = new Map<string, NetworkStatus>(
  Object.entries({
    approved: 'approved',
    approve: 'approved',
    '1': 'approved',
    sale: 'approved',
    completed: 'approved',
    pending: 'pending',
    hold: 'pending',
    reversed: 'reversed',
    rejected: 'reversed',
    reversal: 'reversed',
    chargeback: 'reversed',
    declined: 'reversed',
    '2': 'reversed',
  }),
)

// {click_id} [CLICK_ID] [[sub1]] [%SUB1%] #sub1# $sub1$ %sub1% {{sub1}}: the value is a macro
// name the network never substituted.
const MACRO =
  /^(\{\{?\s*[\w.:-]+\s*\}?\}|\[\[?%?[\w.:-]+%?\]?\]|#[\w.:-]+#|\$[\w.:-]+\$|%[\w.:-]+%)$/

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
const CONTROL = /[\u0000-\u001f\u007f]/
const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters')

const PAYOUT = /^\d{1,14}(\.\d{1,6})?$/

const FIELD_SCHEMAS: Record<Field, z.ZodType<string>> = {
  tx_id: text(255),
  offer_id: text(255),
  payout: z
    .string()
    .refine(
      (s) => PAYOUT.test(s),
      'must be a plain decimal such as 3.50: digits, at most 6 decimal places, no sign, exponent or comma',
    ),
  user_id: text(255),
  click_id: text(512),
  sub1: text(255),
  sub2: text(255),
  sub3: text(255),
  sub4: text(255),
  sub5: text(255),
  status: z.string().refine((s) => STATUS_MAP.has(s.trim().toLowerCase()), {
    message: `must be one of ${[...STATUS_MAP.keys()].join(', ')}`,
  }),
  ip: text(64),
  datetime: text(64),
  currency: text(32),
  reward: text(32),
}

/** Turns the collected parameters into a Postback, or throws a 400 naming every bad field. */
export function parsePostback(params: Params, network: string): Postback {
  const values: Partial<Record<Field, string>> = {}
  const problems: FieldProblem[] = []
  for (const field of Object.keys(FIELD_NAMES) as Field[]) {
    const names = FIELD_NAMES[field]
    const picked = pickValue(params, names)
    if (picked.ambiguous) {
      problems.push({
        field,
        code: 'AMBIGUOUS_PARAM',
        message: `${field} arrived with different values (${names.join(', ')})`,
      })
      continue
    }
    if (picked.value === undefined) {
      if (REQUIRED.includes(field))
        problems.push({ field, code: 'MISSING_FIELD', message: `${field} is required` })
      continue
    }
    if (MACRO_CHECKED.includes(field) && MACRO.test(picked.value)) {
      problems.push({
        field,
        code: 'UNREPLACED_MACRO',
        message: `${field} still contains the macro ${picked.value.slice(0, 40)}: the network did not replace it`,
      })
      continue
    }
    const result = FIELD_SCHEMAS[field].safeParse(picked.value)
    if (!result.success) {
      problems.push({
        field,
        code: 'INVALID_FIELD',
        message: `${field} ${result.error.issues[0]?.message ?? 'is invalid'}`,
      })
      continue
    }
    values[field] = result.data
  }
  if (problems.length > 0) throw fieldError(problems)

  const networkStatus = values.status ?? null
  return {
    network,
    txId: values.tx_id as string,
    offerId: values.offer_id as string,
    payout: values.payout as string,
    status: networkStatus === null ? 'approved' : mapStatus(networkStatus),
    networkStatus,
    // Offerwalls pass the user in sub1 when they have no user parameter.
    userId: values.user_id ?? values.sub1 ?? null,
    clickId: values.click_id ?? null,
    currency: values.currency ?? null,
    subs: [
      values.sub1 ?? null,
      values.sub2 ?? null,
      values.sub3 ?? null,
      values.sub4 ?? null,
      values.sub5 ?? null,
    ],
    ip: values.ip ?? null,
    datetime: values.datetime ?? null,
    reward: values.reward ?? null,
  }
}

function mapStatus(status: string): NetworkStatus {
  const mapped = STATUS_MAP.get(status.trim().toLowerCase())
  if (!mapped) throw new Error(`status ${status} passed validation but has no mapping`)
  return mapped
}

// The answer's code is the most basic kind of problem present; the message names them all.
const CODE_ORDER = ['AMBIGUOUS_PARAM', 'MISSING_FIELD', 'UNREPLACED_MACRO', 'INVALID_FIELD']

function fieldError(problems: FieldProblem[]): HttpError {
  const code = CODE_ORDER.find((c) => problems.some((p) => p.code === c)) ?? 'INVALID_FIELD'
  return new HttpError(400, code, problems.map((p) => p.message).join('; '), { fields: problems })
}
