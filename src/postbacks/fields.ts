import { z } from 'zod'
import { type FieldProblem, HttpError } from '../http/errors.js'
import { holdsSecret } from '../http/redact.js'
import { multiplyDecimals, pointsFor } from '../ledger/decimal.js'
import { FIELDS, type Field, type NetworkProfile } from '../networks/profile.js'
import { clip, type Params, pickValue } from './params.js'
import type { Postback } from './postback.js'
import type { NetworkStatus } from './transitions.js'

// A macro left unreplaced in these would credit the wrong thing: refused. Elsewhere the value is
// kept as sent and the log row carries a warning (fieldWarnings).
const MACRO_CHECKED: readonly Field[] = [
  'tx_id',
  'offer_id',
  'payout',
  'reward',
  'user_id',
  'sub1',
  'status',
]

// {click_id} [CLICK_ID] [[sub1]] [%SUB1%] #sub1# $sub1$ %sub1% %%SUB1%% {{sub1}} ${sub1} <SUB1>
// <%SUB1%>: the value is a macro name the network never substituted. Values arrive URL-decoded
// once, so %7Bsub1%7D is caught; isUnreplacedMacro decodes twice more (%257Bsub1%257D).
const MACRO =
  /^(\{\{?\s*[\w.:-]+\s*\}?\}|\$\{\s*[\w.:-]+\s*\}|\[\[?%?[\w.:-]+%?\]?\]|#[\w.:-]+#|\$[\w.:-]+\$|%%?[\w.:-]+%%?|<%?[\w.:-]+%?>)$/

/** Whether `value` is a macro placeholder the network never substituted (also re-encoded). */
export function isUnreplacedMacro(value: string): boolean {
  let current = value.trim()
  for (let round = 0; round < 3; round++) {
    if (MACRO.test(current)) return true
    if (!current.includes('%')) return false
    try {
      const decoded = decodeURIComponent(current).trim()
      if (decoded === current) return false
      current = decoded
    } catch {
      return false
    }
  }
  return MACRO.test(current)
}

/** The largest points a postback may credit or reverse: exact as a JSON number (2^53 - 1). */
export const MAX_POINTS = BigInt(Number.MAX_SAFE_INTEGER)

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we refuse
const CONTROL = /[\u0000-\u001f\u007f]/
// A lone UTF-16 surrogate (JSON "\ud800") would be stored as U+FFFD: distinct ids would collide.
const LONE_SURROGATE = /\p{Cs}/u
const noControl = (s: string) => !CONTROL.test(s)
const noLoneSurrogate = (s: string) => !LONE_SURROGATE.test(s)
const NO_CONTROL = 'must not contain control characters'
const NO_LONE_SURROGATE = 'must not contain a lone UTF-16 surrogate (a broken \\ud800 escape)'
const text = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine(noControl, NO_CONTROL)
    .refine(noLoneSurrogate, NO_LONE_SURROGATE)

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
      return z
        .string()
        .refine(noControl, NO_CONTROL)
        .refine(noLoneSurrogate, NO_LONE_SURROGATE)
        .refine((s) => profile.statuses.has(s.trim().toLowerCase()), {
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

/**
 * Turns the collected parameters into a Postback as `profile` reads them, or throws a 400 naming
 * every bad field. A field holding one of `secrets` is refused: it would be stored and shown.
 */
export function parsePostback(
  params: Params,
  profile: NetworkProfile,
  secrets: readonly string[] = profile.secrets,
): Postback {
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
    const problem = valueProblem(field, picked.value, secrets, decidesCredit(field, profile))
    if (problem) {
      problems.push(problem)
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
  const reversalProblem = checkReversalTxId(params, profile, secrets)
  if (reversalProblem) problems.push(reversalProblem)
  if (problems.length > 0) throw fieldError(problems)
  return toPostback(values, params, profile)
}

/** Whether a macro in this field is refused: it decides who or what is credited or reversed. */
function decidesCredit(field: Field, profile: NetworkProfile): boolean {
  // Wannads: a rejection finds the conversion it reverses by click id (offer_id is checked anyway).
  return MACRO_CHECKED.includes(field) || field === profile.reversalLink
}

/** A secret or an unreplaced macro in a field's value (macros only where they decide a credit). */
function valueProblem(
  field: string,
  value: string,
  secrets: readonly string[],
  macroRefused: boolean,
): FieldProblem | undefined {
  if (holdsSecret(value, secrets)) {
    return {
      field,
      code: 'SECRET_IN_FIELD',
      message: `${field} contains an active secret: refused so that the secret is not stored; send the secret only in its own parameter`,
    }
  }
  if (macroRefused && isUnreplacedMacro(value)) {
    return {
      field,
      code: 'UNREPLACED_MACRO',
      message: `${field} still contains the macro ${clip(value)}: the network did not replace it`,
    }
  }
  return undefined
}

/** The reversal's original id (BitLabs' ref) is checked like tx_id: it decides what is reversed. */
function checkReversalTxId(
  params: Params,
  profile: NetworkProfile,
  secrets: readonly string[],
): FieldProblem | undefined {
  const name = profile.reversalTxIdParam
  if (!name) return undefined
  const picked = pickValue(params, [name])
  if (picked.ambiguous)
    return {
      field: name,
      code: 'AMBIGUOUS_PARAM',
      message: `${name} arrived with different values`,
    }
  if (picked.value === undefined) return undefined
  const problem = valueProblem(name, picked.value, secrets, true)
  if (problem) return problem
  const result = text(255).safeParse(picked.value)
  return result.success
    ? undefined
    : {
        field: name,
        code: 'INVALID_FIELD',
        message: `${name} ${result.error.issues[0]?.message ?? 'is invalid'}`,
      }
}

/**
 * Values outside the fields that decide a credit that still hold an unreplaced macro: kept as
 * sent, and the log row says so.
 */
export function fieldWarnings(params: Params, profile: NetworkProfile): FieldProblem[] {
  const warnings: FieldProblem[] = []
  for (const field of FIELDS) {
    if (decidesCredit(field, profile)) continue
    const { value } = pickValue(params, profile.params[field])
    if (value !== undefined && isUnreplacedMacro(value))
      warnings.push({
        field,
        code: 'UNREPLACED_MACRO',
        message: `${field} still contains the macro ${clip(value)}: stored as sent; check the network's postback URL`,
      })
  }
  return warnings
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
  const points = amount === null ? 0n : pointsFor(amount, profile.pointsPerUnit)
  if (points > MAX_POINTS) {
    const field = profile.pointsFrom === 'reward' ? 'reward' : 'payout'
    throw fieldError([
      {
        field,
        code: 'INVALID_FIELD',
        message: `${field} ${values[field]} gives ${points} points, more than the most one postback may move (${MAX_POINTS}, 2^53 - 1)`,
      },
    ])
  }
  return {
    network: profile.name,
    txId,
    offerId: values.offer_id ?? null,
    payout: payout.value,
    points,
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
const CODE_ORDER = [
  'SECRET_IN_FIELD',
  'AMBIGUOUS_PARAM',
  'MISSING_FIELD',
  'UNREPLACED_MACRO',
  'INVALID_FIELD',
] as const

function fieldError(problems: FieldProblem[]): HttpError {
  const code = CODE_ORDER.find((c) => problems.some((p) => p.code === c)) ?? 'INVALID_FIELD'
  return new HttpError(code, problems.map((p) => p.message).join('; '), { fields: problems })
}
