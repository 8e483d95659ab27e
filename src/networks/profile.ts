import { readFile } from 'node:fs/promises'
import { z } from 'zod'
import type { Config } from '../config.js'
import { type IpList, parseIpList } from '../http/ip-list.js'
import type { NetworkStatus } from '../postbacks/transitions.js'
import { PRESETS } from './presets/index.js'
import { type SignatureSpec, signatureSpecSchema } from './signature.js'

// A network profile says how one network speaks: where its fields are, how it signs, what its
// statuses mean and what it wants back. Profiles come from NETWORKS_FILE (JSON), optionally
// starting from a built-in preset; the `default` network comes from the environment.

export const FIELDS = [
  'tx_id',
  'offer_id',
  'payout',
  'reward',
  'user_id',
  'click_id',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'status',
  'ip',
  'datetime',
  'currency',
  'test',
] as const
export type Field = (typeof FIELDS)[number]

export const DEFAULT_NETWORK = 'default'
export const NETWORK_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/

const DEFAULT_PARAMS: Record<Field, string[]> = {
  tx_id: ['tx_id', 'transaction_id', 'txid'],
  offer_id: ['offer_id'],
  payout: ['payout'],
  reward: ['reward'],
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
  test: [],
}

const DEFAULT_STATUSES: Record<NetworkStatus, string[]> = {
  approved: ['approved', 'approve', '1', 'sale', 'completed'],
  pending: ['pending', 'hold'],
  reversed: ['reversed', 'rejected', 'reversal', 'chargeback', 'declined', '2'],
}

const DEFAULT_SIGNATURE: SignatureSpec = {
  kind: 'static_token',
  param: 'secret',
  header: 'x-postback-secret',
}

const decimal = z
  .string()
  .regex(/^\d{1,14}(\.\d{1,6})?$/, 'expected a plain decimal string such as "3.50"')
const names = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .transform((v) => (Array.isArray(v) ? v : [v]))
const answer = z.object({ status: z.number().int().min(200).max(599), body: z.string().max(256) })

/** One network's entry in NETWORKS_FILE; a preset supplies defaults for any of it. */
export const profileInputSchema = z
  .object({
    preset: z.string().optional(),
    secrets: z.array(z.string().min(8, 'secrets need at least 8 characters')).optional(),
    signature: signatureSpecSchema.optional(),
    allowedIps: z.array(z.string()).optional(),
    params: z.partialRecord(z.enum(FIELDS), names).optional(),
    required: z.array(z.enum(FIELDS)).optional(),
    statuses: z
      .partialRecord(z.enum(['approved', 'pending', 'reversed']), z.array(z.string()))
      .optional(),
    negativeAmountMeansReversal: z.boolean().optional(),
    reversalTxIdPrefix: z.string().min(1).optional(),
    reversalTxIdParam: z.string().min(1).optional(),
    reversalTxIdParamMeansReversal: z.boolean().optional(),
    txIdSuffixParams: z.array(z.string().min(1)).max(3).optional(),
    reversalLink: z.enum(['click_id', 'offer_id']).optional(),
    pointsFrom: z.enum(['payout', 'reward']).optional(),
    payoutScale: decimal.optional(),
    pointsPerUnit: decimal.optional(),
    creditPending: z.boolean().optional(),
    maxPayout: decimal.optional(),
    creditTests: z.boolean().optional(),
    answers: z
      .object({ success: answer.optional(), refused: answer.partial().optional() })
      .optional(),
    macroStyle: z.enum(['{x}', '[X]', '[%X%]', '[[x]]', '#x#', '$x$']).optional(),
    // The query of the URL to paste into the network's panel, exactly as the network documents
    // its macros; "" for a network that appends its own parameters to a bare URL.
    urlQuery: z
      .string()
      .max(2000)
      .refine(
        (q) => !/[?#\s]/.test(q),
        'no "?", "#" or spaces: the query after "?", pairs joined by "&"',
      )
      .optional(),
  })
  .strict()

export type ProfileInput = z.input<typeof profileInputSchema>

export type NetworkProfile = {
  name: string
  preset: string | null
  secrets: readonly string[]
  signature: SignatureSpec
  allowedIps: IpList
  params: Record<Field, string[]>
  required: readonly Field[]
  statuses: ReadonlyMap<string, NetworkStatus>
  negativeAmountMeansReversal: boolean
  reversalTxIdPrefix: string | null
  /** On a reversal, the parameter holding the original transaction's id (BitLabs' REF). */
  reversalTxIdParam: string | null
  /** No status, and reversalTxIdParam names another transaction: a reversal (BitLabs offers). */
  reversalTxIdParamMeansReversal: boolean
  /** Parameters whose values extend the transaction id (AdGem goal_id: one click, several goals). */
  txIdSuffixParams: readonly string[]
  /** A reversal under a new transaction id reverses the user's conversion with the same click id
   * (Wannads uuid) or offer id (Kiwiwall); null: it names its transaction itself. */
  reversalLink: 'click_id' | 'offer_id' | null
  pointsFrom: 'payout' | 'reward'
  /** The payout as sent × this = the payout in currency units (Pollfish sends cents: 0.01). */
  payoutScale: string
  pointsPerUnit: string
  creditPending: boolean
  maxPayout: string | undefined
  creditTests: boolean
  answers: {
    success: { status: number; body: string }
    refused: { status?: number; body?: string }
  }
  macroStyle: string
  /** The preset's own URL query (see profileInputSchema); null: built from params. */
  urlQuery: string | null
}

type GlobalSettings = Pick<
  Config,
  'POINTS_PER_UNIT' | 'CREDIT_PENDING' | 'MAX_PAYOUT' | 'ALLOWED_IPS'
>

/** The `default` network: canonical names and aliases, env settings, the postback secret. */
export function defaultProfile(config: GlobalSettings, secrets: readonly string[]): NetworkProfile {
  return {
    name: DEFAULT_NETWORK,
    preset: null,
    secrets,
    signature: DEFAULT_SIGNATURE,
    allowedIps: config.ALLOWED_IPS,
    params: DEFAULT_PARAMS,
    required: ['tx_id', 'offer_id', 'payout'],
    statuses: statusMap(DEFAULT_STATUSES),
    negativeAmountMeansReversal: false,
    reversalTxIdPrefix: null,
    reversalTxIdParam: null,
    reversalTxIdParamMeansReversal: false,
    txIdSuffixParams: [],
    reversalLink: null,
    pointsFrom: 'payout',
    payoutScale: '1',
    pointsPerUnit: config.POINTS_PER_UNIT,
    creditPending: config.CREDIT_PENDING,
    maxPayout: config.MAX_PAYOUT,
    creditTests: false,
    answers: { success: { status: 200, body: 'OK' }, refused: {} },
    macroStyle: '{x}',
    urlQuery: null,
  }
}

/** A preset maps only the fields its network sends: nothing inherited from the default's names. */
const NO_PARAMS = Object.fromEntries(FIELDS.map((field) => [field, []])) as unknown as Record<
  Field,
  string[]
>

/** A profile that cannot be used; `problems` names each field (for a 400 naming it). */
export class ProfileError extends Error {
  constructor(
    message: string,
    readonly problems: readonly { field: string; message: string }[] = [],
  ) {
    super(message)
  }
}

function fieldError(name: string, field: string, message: string): ProfileError {
  return new ProfileError(`network "${name}": ${field}: ${message}`, [{ field, message }])
}

/** Builds a profile from its JSON entry over its preset and the global settings. Throws naming the field. */
export function buildProfile(name: string, raw: unknown, config: GlobalSettings): NetworkProfile {
  if (!NETWORK_NAME.test(name)) {
    throw new ProfileError(
      `network "${name}": names are lower-case letters, digits, - and _ (at most 64)`,
      [{ field: 'name', message: 'lower-case letters, digits, - and _ (at most 64)' }],
    )
  }
  const parsed = profileInputSchema.safeParse(raw)
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => ({
      field: issue.path.join('.') || 'profile',
      message: issue.message,
    }))
    throw new ProfileError(describeIssues(name, parsed.error), problems)
  }
  const own = parsed.data
  let preset: z.output<typeof profileInputSchema> = {}
  if (own.preset !== undefined) {
    const found = PRESETS[own.preset]
    if (!found) {
      const known = `unknown preset "${own.preset}" (known: ${Object.keys(PRESETS).sort().join(', ')})`
      throw new ProfileError(`network "${name}": ${known}`, [{ field: 'preset', message: known }])
    }
    preset = profileInputSchema.parse(found.profile)
  }
  const merged = {
    ...preset,
    ...own,
    params: { ...preset.params, ...own.params },
    answers: { ...preset.answers, ...own.answers },
  }
  const secrets = merged.secrets ?? []
  const signature = merged.signature ?? DEFAULT_SIGNATURE
  if (signature.kind !== 'none' && secrets.length === 0) {
    throw fieldError(
      name,
      'secrets',
      `needs at least one secret for its ${signature.kind} signature`,
    )
  }
  let allowedIps: IpList
  try {
    allowedIps = parseIpList((merged.allowedIps ?? []).join(','))
  } catch (error) {
    throw fieldError(name, 'allowedIps', (error as Error).message)
  }
  const base = defaultProfile({ ...config, ALLOWED_IPS: allowedIps }, secrets)
  return {
    ...base,
    name,
    preset: own.preset ?? null,
    signature,
    params: mergeParams(own.preset !== undefined ? NO_PARAMS : base.params, merged.params),
    required: merged.required ?? base.required,
    statuses: merged.statuses
      ? statusMap({ approved: [], pending: [], reversed: [], ...merged.statuses })
      : base.statuses,
    negativeAmountMeansReversal: merged.negativeAmountMeansReversal ?? false,
    reversalTxIdPrefix: merged.reversalTxIdPrefix ?? null,
    reversalTxIdParam: merged.reversalTxIdParam ?? null,
    reversalTxIdParamMeansReversal: merged.reversalTxIdParamMeansReversal ?? false,
    txIdSuffixParams: merged.txIdSuffixParams ?? [],
    reversalLink: merged.reversalLink ?? null,
    pointsFrom: merged.pointsFrom ?? 'payout',
    payoutScale: merged.payoutScale ?? '1',
    pointsPerUnit:
      merged.pointsPerUnit ?? (merged.pointsFrom === 'reward' ? '1' : config.POINTS_PER_UNIT),
    creditPending: merged.creditPending ?? config.CREDIT_PENDING,
    maxPayout: merged.maxPayout ?? config.MAX_PAYOUT,
    creditTests: merged.creditTests ?? false,
    answers: {
      success: merged.answers.success ?? base.answers.success,
      refused: merged.answers.refused ?? {},
    },
    macroStyle: merged.macroStyle ?? '{x}',
    // The preset's query with the profile's own parameter names (the network's macros stay).
    urlQuery: own.urlQuery ?? renamedQuery(preset.urlQuery, preset.params, own.params),
  }
}

/**
 * The preset's and the entry's names, and the default names for fields they leave unset, minus
 * any default name they give another field: an entry whose reward is `currency` has no
 * currency field (the default `currency` would store the reward amount as the currency).
 */
function mergeParams(
  defaults: Record<Field, string[]>,
  own: Partial<Record<Field, string[]>>,
): Record<Field, string[]> {
  const claimed = new Set(Object.values(own).flat())
  const params = { ...defaults }
  for (const field of FIELDS)
    params[field] = own[field] ?? defaults[field].filter((name) => !claimed.has(name))
  return params
}

/** `query` with each parameter the profile renames (preset's first name -> its own first name). */
function renamedQuery(
  query: string | undefined,
  presetParams: Partial<Record<Field, string[]>> | undefined,
  ownParams: Partial<Record<Field, string[]>> | undefined,
): string | null {
  if (query === undefined) return null
  const renames = new Map<string, string>()
  for (const [field, names] of Object.entries(ownParams ?? {}) as [Field, string[]][]) {
    const from = presetParams?.[field]?.[0]
    const to = names[0]
    if (from && to && from !== to) renames.set(from, to)
  }
  if (renames.size === 0 || query === '') return query
  return query
    .split('&')
    .map((pair) => {
      const name = pair.split('=', 1)[0] ?? ''
      const to = renames.get(name)
      return to === undefined ? pair : `${to}${pair.slice(name.length)}`
    })
    .join('&')
}

/** Reads NETWORKS_FILE: `{ "networkName": { ...profile } }`. Throws one message per problem. */
export async function loadNetworksFile(
  path: string,
  config: GlobalSettings,
): Promise<NetworkProfile[]> {
  let raw: unknown
  try {
    raw = JSON.parse(await readFile(path, 'utf8'))
  } catch (error) {
    throw new ProfileError(`NETWORKS_FILE ${path}: ${(error as Error).message}`)
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ProfileError(`NETWORKS_FILE ${path}: expected an object of networks by name`)
  }
  const problems: string[] = []
  const profiles: NetworkProfile[] = []
  for (const [name, entry] of Object.entries(raw)) {
    if (name === DEFAULT_NETWORK) {
      problems.push(
        `network "default" is configured by the environment (POSTBACK_SECRET, ...), not NETWORKS_FILE`,
      )
      continue
    }
    try {
      profiles.push(buildProfile(name, entry, config))
    } catch (error) {
      problems.push((error as Error).message)
    }
  }
  if (problems.length > 0) throw new ProfileError(problems.join('\n'))
  return profiles
}

function statusMap(statuses: Record<NetworkStatus, string[]>): Map<string, NetworkStatus> {
  const map = new Map<string, NetworkStatus>()
  for (const [status, values] of Object.entries(statuses) as [NetworkStatus, string[]][]) {
    for (const value of values) map.set(value.trim().toLowerCase(), status)
  }
  return map
}

function describeIssues(name: string, error: z.ZodError): string {
  return error.issues
    .map((issue) => `network "${name}": ${issue.path.join('.') || 'profile'}: ${issue.message}`)
    .join('\n')
}
