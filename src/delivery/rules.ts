import { readFile } from 'node:fs/promises'
import type { Logger } from 'pino'
import { z } from 'zod'

// Delivery rules say which conversion events are forwarded where: a tracker to daisy-chain to,
// the operator's own app, a webhook for reversals. They come from DELIVERY_RULES_FILE (JSON)
// and apply to every network unless a rule names its networks.

export const DELIVERY_EVENTS = ['credited', 'reversed', 'held', 'recorded', 'rejected'] as const
export type DeliveryEvent = (typeof DELIVERY_EVENTS)[number]

/** Values a rule's URL, body fields and headers may use as {name}. */
export const MACROS = [
  'event',
  'delivery_id',
  'conversion_id',
  'network',
  'tx_id',
  'offer_id',
  'user_id',
  'click_id',
  'payout',
  'full_payout',
  'currency',
  'points',
  'status',
  'network_status',
  'sub1',
  'sub2',
  'sub3',
  'sub4',
  'sub5',
  'created_at',
] as const

const MACRO = /\{([a-z0-9_]+)\}/g

function knownMacros(template: string, ctx: z.RefinementCtx) {
  for (const [, name] of template.matchAll(MACRO)) {
    if (!(MACROS as readonly string[]).includes(name ?? '')) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown macro {${name}}; known: ${MACROS.map((m) => `{${m}}`).join(' ')}`,
      })
    }
  }
}

const template = z.string().superRefine(knownMacros)
const SHARE = /^\d{1,4}(\.\d{1,6})?$/

const ruleSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (up to 64)'),
    on: z.array(z.enum(DELIVERY_EVENTS)).min(1, 'name at least one event'),
    /** Only postbacks from these networks; every network when absent. */
    networks: z.array(z.string().min(1)).min(1).optional(),
    url: template.refine((s) => /^https?:\/\/[^/?#\s]+/.test(s), 'expected an http(s) URL'),
    method: z.enum(['GET', 'POST']).default('GET'),
    /** POST bodies: JSON object or form-encoded. */
    body: z.enum(['json', 'form']).default('json'),
    /** POST body fields as templates; every macro by its own name when absent. */
    fields: z.record(z.string().min(1), template).optional(),
    headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/, 'a header name'), template).default({}),
    /** HMAC-SHA256 of the body (POST) or the URL (GET), so the receiver can verify us. */
    signingSecret: z.string().min(16, 'at least 16 characters').optional(),
    signatureHeader: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'a header name')
      .default('X-Signature'),
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
    maxAttempts: z.number().int().min(1).max(100).optional(),
    /** {payout} becomes payout × payoutShare (exact, cut to 6 places); {full_payout} keeps it. */
    payoutShare: z.string().regex(SHARE, 'a plain decimal such as 0.7').optional(),
  })
  .strict()

export type DeliveryRule = z.output<typeof ruleSchema> & { maxAttempts: number }

const fileSchema = z.object({ rules: z.array(z.unknown()) }).strict()

export class DeliveryRuleError extends Error {
  override name = 'DeliveryRuleError'
}

/** Validates a rules document; throws one line per problem, naming the rule and field. */
export function parseDeliveryRules(raw: unknown, defaultMaxAttempts: number): DeliveryRule[] {
  const file = fileSchema.safeParse(raw)
  if (!file.success) throw new DeliveryRuleError('expected { "rules": [ ... ] }')
  const problems: string[] = []
  const rules: DeliveryRule[] = []
  file.data.rules.forEach((entry, index) => {
    const parsed = ruleSchema.safeParse(entry)
    const label = `rule ${(entry as { name?: unknown })?.name ?? `#${index + 1}`}`
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        problems.push(`${label}: ${issue.path.join('.') || 'rule'}: ${issue.message}`)
      }
      return
    }
    if (rules.some((rule) => rule.name === parsed.data.name)) {
      problems.push(`${label}: the name is used by another rule`)
      return
    }
    rules.push({ ...parsed.data, maxAttempts: parsed.data.maxAttempts ?? defaultMaxAttempts })
  })
  if (problems.length > 0) throw new DeliveryRuleError(problems.join('\n'))
  return rules
}

export async function loadDeliveryRulesFile(
  path: string,
  defaultMaxAttempts: number,
): Promise<DeliveryRule[]> {
  try {
    return parseDeliveryRules(JSON.parse(await readFile(path, 'utf8')), defaultMaxAttempts)
  } catch (error) {
    throw new DeliveryRuleError(`DELIVERY_RULES_FILE ${path}: ${(error as Error).message}`)
  }
}

/** The rules in force. Replaced whole on reload; queued jobs find their rule by name. */
export class DeliveryRules {
  #rules: readonly DeliveryRule[] = []
  #secrets: readonly string[] = []

  constructor(rules: readonly DeliveryRule[] = []) {
    this.replace(rules)
  }

  replace(rules: readonly DeliveryRule[]) {
    this.#rules = rules
    // Signing secrets and header values (API keys) never reach the attempt log.
    this.#secrets = rules.flatMap((rule) => [
      ...(rule.signingSecret ? [rule.signingSecret] : []),
      ...Object.values(rule.headers).filter((value) => value.length >= 8),
    ])
  }

  get size(): number {
    return this.#rules.length
  }

  get(name: string): DeliveryRule | undefined {
    return this.#rules.find((rule) => rule.name === name)
  }

  /** Rules that fire for this event of this network's conversion. */
  matching(network: string, event: string): DeliveryRule[] {
    return this.#rules.filter(
      (rule) =>
        (rule.on as readonly string[]).includes(event) &&
        (!rule.networks || rule.networks.includes(network)),
    )
  }

  secrets(): readonly string[] {
    return this.#secrets
  }
}

type RuleSettings = {
  DELIVERY_RULES_FILE?: string | undefined
  DELIVERY_MAX_ATTEMPTS: number
  DELIVERY_LEASE: number
}

/** DELIVERY_RULES_FILE's rules (none when unset). A lease shorter than a send is refused. */
export async function loadDeliveryRules(config: RuleSettings): Promise<DeliveryRule[]> {
  if (!config.DELIVERY_RULES_FILE) return []
  const rules = await loadDeliveryRulesFile(
    config.DELIVERY_RULES_FILE,
    config.DELIVERY_MAX_ATTEMPTS,
  )
  const tooSlow = rules.filter((rule) => rule.timeoutMs + 1000 > config.DELIVERY_LEASE)
  if (tooSlow.length > 0) {
    throw new DeliveryRuleError(
      `DELIVERY_LEASE (${config.DELIVERY_LEASE} ms) must exceed each rule's timeoutMs by 1 s: ${tooSlow.map((r) => `${r.name} (${r.timeoutMs} ms)`).join(', ')}`,
    )
  }
  return rules
}

/** SIGHUP: re-reads DELIVERY_RULES_FILE; a bad file leaves the running rules in place. */
export async function reloadDeliveryRules(rules: DeliveryRules, config: RuleSettings, log: Logger) {
  try {
    rules.replace(await loadDeliveryRules(config))
    log.info(`delivery rules reloaded: ${rules.size} rule(s)`)
  } catch (error) {
    log.error(`delivery rules not reloaded, keeping the previous ones: ${(error as Error).message}`)
  }
}
