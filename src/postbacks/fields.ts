import { z } from 'zod'
import { type FieldProblem, HttpError } from '../http/errors.js'
import { multiplyDecimals, pointsFor } from '../ledger/decimal.js'
import { FIELDS, type Field, type NetworkProfile } from '../networks/profile.js'
import { type Params, pickValue } from './params.js'
import type { Postback } from './record.js'
import type { NetworkStatus } from './transitions.js'

// A macro left unreplaced in these would credit the wrong thing; elsewhere it is kept as sent.
const MACRO_CHECKED: readonly Field[] = [
  'tx_id',
  'offer_id',
  'payout',
  'reward',
  'user_id',
  'sub1',
  'status',
]

// {click_id} [CLICK_ID] [[sub1]] [%SUB1%] #sub1# $sub1$ %sub1% {{sub1}}: the value is a macro
// name the network never substituted (values arrive URL-decoded, so %7Bsub1%7D is caught too).
const MACRO =
  /^(\{\{?\s*[\w.:-]+\s*\}?\}|\[\[?%?[\w.:-]+%?\]?\]|#[\w.:-]+#|\$[\w.:-]+\$|%[\w.:-]+%)$/

/** Whether `value` is a macro placeholder the network never substituted. */
export function isUnreplacedMacro(value: string): boolean {
  return MACRO.test(value)
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
const CONTROL = /[\u0000-\u001f\u007f]/
const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !CONTROL.test(s), 'must not contain control characters')

const AMOUNT = /^\d{1,14}(\.\d{1,6})?$/
const SIGNED_AMOUNT = /^-?\d{1,14}(\.\d{1,6})?$/
const amount = (signed: boolean) =>
  z
    .string()
    .refine(
      (s) => (signed ? SIGNED_AMOUNT : AMOUNT).test(s),
      `must be a plain decimal such as 3.50: digits, at most 6 decimal places, ${signed ? 'an optional minus, no exponent or comma' : 'no sign, exponent or comma'}`,
    )

const TRUTHY = new Set(['1', 'true', 'yes'])

// Built once per profile: constructing zod schemas per request costs more than using them.
const schemasByProfile = new WeakMap<NetworkProfile, Map<Field, z.ZodType<string>>>()

function fieldSchema(field: Field, profile: NetworkProfile): z.ZodType<string> {
  let schemas = schemasByProfile.get(profile)
  if (!schemas) {
    schemas = new Map(FIELDS.map((f) => [f, buildFieldSchema(f, profile)]))
    schemasByProfile.set(profile, schemas)
  }
  return schemas.get(field) ?? buildFieldSchema(field, profile)
}

function buildFieldSchema(field: Field, profile: NetworkProfile): z.ZodType<string> {
  switch (field) {
    case 'payout':
      return amount(profile.negativeAmountMeansReversal)
    case 'reward':
      return profile.pointsFrom === 'reward'
        ? amount(profile.negativeAmountMeansReversal)
        : text(32)
    case 'status':
      return z.string().refine((s) => profile.statuses.has(s.trim().toLowerCase()), {
        message: `must be one of ${[...profile.statuses.keys()].join(', ')}`,
      })
    case 'click_id':
      return text(512)
    case 'ip':
    case 'datetime':
      return text(64)
    case 'currency':
    case 'test':
      return text(32)
    default:
      return text(255)
  }
}

/** Turns the collected parameters into a Postback as `profile` reads them, or throws a 400 naming every bad field. */
export function parsePostback(params: Params, profile: NetworkProfile): Postback {
  const values: Partial<Record<Field, string>> = {}
  const problems: FieldProblem[] = []
  for (const field of FIELDS) {
    const names = profile.params[field]
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
      if (profile.required.includes(field)) {
        const where = names.includes(field) ? '' : ` (parameter ${names.join(' or ')})`
        problems.push({ field, code: 'MISSING_FIELD', message: `${field} is required${where}` })
      }
      continue
    }
    if (MACRO_CHECKED.includes(field) && isUnreplacedMacro(picked.value)) {
      problems.push({
        field,
        code: 'UNREPLACED_MACRO',
        message: `${field} still contains the macro ${picked.value.slice(0, 40)}: the network did not replace it`,
      })
      continue
    }
    const result = fieldSchema(field, profile).safeParse(picked.value)
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
  return toPostback(values, params, profile)
}

function toPostback(
  values: Partial<Record<Field, string>>,
  params: Params,
  profile: NetworkProfile,
): Postback {
  const networkStatus = values.status ?? null
  let status: NetworkStatus =
    networkStatus === null ? 'approved' : mapStatus(networkStatus, profile)
  // Some networks signal a chargeback with a negative amount; the amounts are stored unsigned.
  const sent = unsigned(values.payout)
  const payout =
    sent.value === null || profile.payoutScale === '1'
      ? sent
      : { ...sent, value: multiplyDecimals(sent.value, profile.payoutScale) }
  const reward =
    profile.pointsFrom === 'reward'
      ? unsigned(values.reward)
      : { value: values.reward ?? null, negative: false }
  if (profile.negativeAmountMeansReversal && (payout.negative || reward.negative))
    status = 'reversed'

  let txId = values.tx_id as string
  // AdGem: one click's several goals are several conversions, whatever its transaction id says.
  for (const name of profile.txIdSuffixParams) {
    const part = pickValue(params, [name]).value
    if (part) txId = `${txId}:${part}`
  }
  if (
    profile.reversalTxIdPrefix &&
    txId.startsWith(profile.reversalTxIdPrefix) &&
    txId.length > profile.reversalTxIdPrefix.length
  ) {
    txId = txId.slice(profile.reversalTxIdPrefix.length) // ayeT: "r-<original id>"
    status = 'reversed'
  }
  if (profile.reversalTxIdParam) {
    const original = pickValue(params, [profile.reversalTxIdParam]).value
    // BitLabs offers: a reconciliation may come with no TYPE, only REF naming the original.
    if (
      networkStatus === null &&
      profile.reversalTxIdParamMeansReversal &&
      original &&
      original !== txId
    )
      status = 'reversed'
    if (status === 'reversed' && original) txId = original // the reconciliation names it in REF
  }

  const amount = profile.pointsFrom === 'reward' ? reward.value : payout.value
  return {
    network: profile.name,
    txId,
    offerId: values.offer_id ?? null,
    payout: payout.value,
    points: amount === null ? 0n : pointsFor(amount, profile.pointsPerUnit),
    status,
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
    reward: reward.value,
    test: values.test !== undefined && TRUTHY.has(values.test.trim().toLowerCase()),
  }
}

function unsigned(value: string | undefined): { value: string | null; negative: boolean } {
  if (value === undefined) return { value: null, negative: false }
  return value.startsWith('-')
    ? { value: value.slice(1), negative: true }
    : { value, negative: false }
}

function mapStatus(status: string, profile: NetworkProfile): NetworkStatus {
  const mapped = profile.statuses.get(status.trim().toLowerCase())
  if (!mapped) throw new Error(`status ${status} passed validation but has no mapping`)
  return mapped
}

// The answer's code is the most basic kind of problem present; the message names them all.
const CODE_ORDER = ['AMBIGUOUS_PARAM', 'MISSING_FIELD', 'UNREPLACED_MACRO', 'INVALID_FIELD']

function fieldError(problems: FieldProblem[]): HttpError {
  const code = CODE_ORDER.find((c) => problems.some((p) => p.code === c)) ?? 'INVALID_FIELD'
  return new HttpError(400, code, problems.map((p) => p.message).join('; '), { fields: problems })
}
