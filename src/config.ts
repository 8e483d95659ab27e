import { z } from 'zod'

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
  PGLITE_DATA_DIR: { schema: z.string().min(1).default('./data/pglite'), example: './data/pglite' },
  SHUTDOWN_TIMEOUT_MS: { schema: integer(100, 600_000, 10_000), example: '10000' },
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
  if (problems.length > 0) throw new ConfigError(problems)
  return Object.freeze(values) as Config
}
