import { z } from 'zod'
import { parseIpList } from './http/ip-list.js'
import { isTimeZone } from './lib/time-zone.js'

// Every setting comes from the environment. Each variable carries its own schema and an
// example, so a bad value stops the process with one line that says how to fix it.

type Variable<T> = { schema: z.ZodType<T>; example: string; secret?: boolean }

function integer(min: number, max: number, fallback: number) {
  return z
    .string()
    .default(String(fallback))
    .refine((s) => /^\d+$/.test(s), `expected a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `expected a whole number from ${min} to ${max}`)
}

/** Unset, or a whole number within bounds (a feature that is off until configured). */
function optionalInteger(min: number, max: number) {
  return z
    .string()
    .refine((s) => /^\d+$/.test(s), `expected a whole number from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `expected a whole number from ${min} to ${max}`)
    .optional()
}

const DECIMAL = /^\d{1,14}(\.\d{1,6})?$/

const decimalText = () =>
  z.string().refine((s) => DECIMAL.test(s), 'expected a plain decimal such as 3.50')
const decimal = (fallback: string) => decimalText().default(fallback)
const optionalDecimal = () => decimalText().optional()

function boolean(fallback: boolean) {
  return z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], 'expected true or false')
    .default(fallback ? 'true' : 'false')
    .transform((s) => s === 'true' || s === '1' || s === 'yes')
}

/** Comma-separated, trimmed, empty entries dropped. */
function list(check?: (item: string) => string | undefined) {
  return z
    .string()
    .default('')
    .transform((s, ctx) => {
      const items = s
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
      for (const item of items) {
        const problem = check?.(item)
        if (problem) ctx.addIssue({ code: 'custom', message: problem })
      }
      return items
    })
}

function ipList() {
  return z
    .string()
    .default('')
    .transform((s, ctx) => {
      try {
        return parseIpList(s)
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message })
        return z.NEVER
      }
    })
}

/** false | hop count | CIDR list: who may set X-Forwarded-For / X-Forwarded-Proto. */
function trustProxy() {
  return z
    .string()
    .default('false')
    .transform((s, ctx): false | number | string[] => {
      if (s === 'false') return false
      if (/^\d{1,2}$/.test(s)) return Number(s)
      try {
        return [...parseIpList(s).entries]
      } catch (error) {
        ctx.addIssue({
          code: 'custom',
          message: `expected false, a hop count or proxy CIDRs (${(error as Error).message})`,
        })
        return z.NEVER
      }
    })
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/** "1 minute", "30 s", "500ms" -> milliseconds. */
function duration(fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((s, ctx) => {
      const match = /^(\d+) ?(ms|s|sec|seconds?|m|min|minutes?|h|hours?)$/.exec(s.trim())
      if (!match) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected a duration such as "1 minute" or "30 s"',
        })
        return z.NEVER
      }
      const unit = match[2] === 'ms' ? 'ms' : (match[2] ?? 's').charAt(0)
      return Number(match[1]) * (UNIT_MS[unit] ?? 1000)
    })
}

/** A duration that must not be zero (zero would turn the protection off). */
function positiveDuration(fallback: string) {
  return duration(fallback).refine((ms) => ms > 0, 'expected a duration above zero')
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

const VARIABLES = {
  PORT: { schema: integer(0, 65535, 3000), example: '3000' }, // 0: any free port
  HOST: { schema: z.string().min(1).default('0.0.0.0'), example: '0.0.0.0' },
  LOG_LEVEL: {
    schema: z.enum(LOG_LEVELS, `expected one of ${LOG_LEVELS.join(', ')}`).default('info'),
    example: 'info',
  },
  DATABASE_URL: {
    schema: z
      .string()
      .refine((s) => /^postgres(ql)?:\/\/.+/.test(s), 'expected a postgres:// connection URL')
      .optional(),
    example: 'postgres://user:password@localhost:5432/postbacks',
    secret: true,
  },
  DATABASE_POOL_MAX: { schema: integer(1, 1000, 10), example: '10' },
  DATABASE_CONNECT_TIMEOUT_MS: { schema: integer(100, 60_000, 3000), example: '3000' },
  DATABASE_QUERY_TIMEOUT_MS: { schema: integer(100, 3_600_000, 15_000), example: '15000' },
  PGLITE_DATA_DIR: { schema: z.string().min(1).default('./data/pglite'), example: './data/pglite' },
  SHUTDOWN_TIMEOUT_MS: { schema: integer(100, 600_000, 10_000), example: '10000' },
  // Slow clients (slow-loris): how long a request's head and the whole request may take to
  // arrive (then 408 and the connection is closed), how long a socket may sit silent, and how
  // long an idle keep-alive socket stays open.
  HEADERS_TIMEOUT: { schema: positiveDuration('10 s'), example: '10 s' },
  REQUEST_TIMEOUT: { schema: positiveDuration('30 s'), example: '30 s' },
  CONNECTION_TIMEOUT: { schema: duration('60 s'), example: '60 s' },
  KEEP_ALIVE_TIMEOUT: { schema: positiveDuration('72 s'), example: '72 s' },
  // Open connections per peer address (0: no cap); behind a proxy, the proxy is one peer.
  MAX_CONNECTIONS_PER_IP: { schema: integer(0, 1_000_000, 0), example: '100' },
  PUBLIC_URL: {
    schema: z
      .string()
      .refine((s) => /^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(s), 'expected an http(s) base URL')
      .transform((s) => s.replace(/\/+$/, ''))
      .optional(),
    example: 'https://postbacks.example.com',
  },
  TLS_CERT_FILE: { schema: z.string().optional(), example: '/etc/ssl/postbacks.crt' },
  TLS_KEY_FILE: { schema: z.string().optional(), example: '/etc/ssl/postbacks.key' },
  REQUIRE_HTTPS: { schema: boolean(false), example: 'true' },
  TRUST_PROXY: { schema: trustProxy(), example: '10.0.0.0/8,172.16.0.0/12' },
  POSTBACK_SECRET: {
    schema: list((item) =>
      item.length < 16 ? 'each secret needs at least 16 characters' : undefined,
    ),
    example: 'a-long-random-string,the-previous-one-during-rotation',
    secret: true,
  },
  ALLOWED_IPS: { schema: ipList(), example: '203.0.113.7,198.51.100.0/24' },
  NETWORKS_FILE: { schema: z.string().optional(), example: './networks.json' },
  // How often each instance checks the database for network profiles edited elsewhere.
  NETWORKS_RELOAD_INTERVAL: { schema: positiveDuration('5 s'), example: '5 s' },
  POINTS_PER_UNIT: { schema: decimal('100'), example: '100' },
  CREDIT_PENDING: { schema: boolean(false), example: 'false' },
  MAX_PAYOUT: { schema: optionalDecimal(), example: '50.00' },
  PAYOUT_TOLERANCE: { schema: decimal('0.2'), example: '0.2' },
  POSTBACK_TIMEOUT_MS: { schema: integer(500, 60_000, 4000), example: '4000' },
  RATE_LIMIT_MAX: { schema: integer(1, 1_000_000, 6000), example: '6000' },
  RATE_LIMIT_WINDOW: { schema: duration('1 minute'), example: '1 minute' },
  // Wrong ADMIN_TOKEN / METRICS_TOKEN per source address before 429 (admin API, dashboard sign-in).
  AUTH_FAILURE_MAX: { schema: integer(1, 10_000, 10), example: '10' },
  AUTH_FAILURE_WINDOW: { schema: positiveDuration('15 minutes'), example: '15 minutes' },
  // Retention inside the service (also: the CLI's retention command); off unless set.
  RETENTION_POSTBACK_LOG_DAYS: { schema: optionalInteger(1, 36_500), example: '90' },
  RETENTION_ANONYMIZE_IP_DAYS: { schema: optionalInteger(0, 36_500), example: '30' },
  RETENTION_INTERVAL: { schema: duration('1 hour'), example: '1 hour' },
  METRICS_TOKEN: {
    schema: z.string().min(16, 'expected at least 16 characters').optional(),
    example: 'a-long-random-metrics-token',
    secret: true,
  },
  REDIS_URL: {
    schema: z
      .string()
      .refine((s) => /^rediss?:\/\/.+/.test(s), 'expected a redis:// URL')
      .optional(),
    example: 'redis://127.0.0.1:6379',
    secret: true,
  },
  WATCHDOG_ENABLED: { schema: boolean(false), example: 'true' },
  WATCHDOG_INTERVAL: { schema: duration('5 minutes'), example: '5 minutes' },
  WATCHDOG_WEBHOOK_URL: {
    schema: z
      .string()
      .refine((s) => /^https?:\/\/.+/.test(s), 'expected an http(s) URL')
      .optional(),
    example: 'https://hooks.example.com/postback-alerts',
    secret: true,
  },
  GROUP_COMMIT_WINDOW_MS: { schema: integer(0, 50, 0), example: '0' },
  GROUP_COMMIT_MAX_BATCH: { schema: integer(1, 1000, 200), example: '200' },
  GROUP_COMMIT_LANES: { schema: integer(1, 64, 1), example: '1' },
  DELIVERY_RULES_FILE: { schema: z.string().optional(), example: './deliveries.json' },
  DELIVERY_WORKER: { schema: boolean(true), example: 'true' },
  DELIVERY_CONCURRENCY: { schema: integer(1, 256, 8), example: '8' },
  DELIVERY_POLL_INTERVAL: { schema: duration('1 s'), example: '1 s' },
  DELIVERY_MAX_ATTEMPTS: { schema: integer(1, 100, 25), example: '25' },
  DELIVERY_BACKOFF_BASE: { schema: duration('1 minute'), example: '1 minute' },
  DELIVERY_BACKOFF_MAX: { schema: duration('1 hour'), example: '1 hour' },
  DELIVERY_LEASE: { schema: duration('2 minutes'), example: '2 minutes' },
  DELIVERY_ALLOW_PRIVATE: { schema: boolean(false), example: 'false' },
  DELIVERY_SHUTDOWN_TIMEOUT: { schema: duration('5 s'), example: '5 s' },
  // The separate worker process (npm run worker) serves GET /metrics here when METRICS_TOKEN is set.
  WORKER_METRICS_HOST: { schema: z.string().min(1).default('0.0.0.0'), example: '0.0.0.0' },
  WORKER_METRICS_PORT: { schema: integer(0, 65535, 9464), example: '9464' }, // 0: any free port
  // The days of the dashboard's reports and GET /admin/reports (a request may pass ?tz=).
  REPORT_TIMEZONE: {
    schema: z
      .string()
      .default('UTC')
      .refine(isTimeZone, 'expected an IANA time zone such as UTC or Europe/Berlin'),
    example: 'Europe/Berlin',
  },
  ADMIN_TOKEN: {
    schema: z.string().min(16, 'expected at least 16 characters').optional(),
    example: 'a-long-random-admin-token',
    secret: true,
  },
} satisfies Record<string, Variable<unknown>>

type Variables = typeof VARIABLES
export type Config = Readonly<{ [K in keyof Variables]: z.output<Variables[K]['schema']> }>

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'))
    this.name = 'ConfigError'
  }
}

/** Pure: reads only the given environment. Empty strings count as unset, as in most .env files. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const values: Record<string, unknown> = {}
  const problems: string[] = []
  for (const [name, variable] of Object.entries(VARIABLES) as [string, Variable<unknown>][]) {
    const raw = env[name] === '' ? undefined : env[name]
    const result = variable.schema.safeParse(raw)
    if (result.success) {
      values[name] = result.data
      continue
    }
    const shown =
      raw === undefined ? ' is missing' : `=${variable.secret ? '<hidden>' : JSON.stringify(raw)}`
    const why = result.error.issues.map((issue) => issue.message).join('; ')
    problems.push(`${name}${shown}: ${why} (example: ${name}=${variable.example})`)
  }
  if (Boolean(values.TLS_CERT_FILE) !== Boolean(values.TLS_KEY_FILE)) {
    problems.push(
      'TLS_CERT_FILE and TLS_KEY_FILE: set both or neither (example: TLS_CERT_FILE=/etc/ssl/p.crt TLS_KEY_FILE=/etc/ssl/p.key)',
    )
  }
  if (
    typeof values.HEADERS_TIMEOUT === 'number' &&
    typeof values.REQUEST_TIMEOUT === 'number' &&
    values.HEADERS_TIMEOUT > values.REQUEST_TIMEOUT
  ) {
    problems.push(
      'HEADERS_TIMEOUT must not exceed REQUEST_TIMEOUT (the head is part of the request) (example: HEADERS_TIMEOUT=10 s REQUEST_TIMEOUT=30 s)',
    )
  }
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(values) as Config
}
