import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { verifyLedger } from '../src/operations/verify-ledger.js'

// Shared by the reliability scenarios: a fresh database on the real PostgreSQL, postbacks over
// real sockets, and the invariants every scenario checks at the end.

export const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
export const SECRET = 'reliability-secret-0123456789'
export const ADMIN_TOKEN = 'reliability-admin-token-0123456789'
export const METRICS_TOKEN = 'reliability-metrics-token-0123456789'

export type FreshDatabase = { url: string; client: pg.Client; drop(): Promise<void> }

export async function freshDatabase(): Promise<FreshDatabase> {
  const name = `pbr_rel_${process.pid}_${randomBytes(4).toString('hex')}`
  await adminQuery(`CREATE DATABASE ${name}`)
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  return {
    url: url.toString(),
    client,
    async drop() {
      await client.end().catch(() => {})
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    },
  }
}

async function adminQuery(sql: string) {
  const client = new pg.Client({ connectionString: ADMIN_URL })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/** Settings every scenario's server gets, plus what the scenario adds. */
export function serverEnv(databaseUrl: string, extra: Record<string, string> = {}) {
  return {
    DATABASE_URL: databaseUrl,
    POSTBACK_SECRET: SECRET,
    ADMIN_TOKEN,
    METRICS_TOKEN,
    RATE_LIMIT_MAX: '1000000',
    DATABASE_POOL_MAX: '10',
    ...extra,
  }
}

export type Answer = {
  status: number
  outcome: string
  retryAfter: string | null
  body: string
  ms: number
}

/** One postback over a real socket; a network error or timeout is status 0. */
export async function sendPostback(
  base: string,
  fields: Record<string, string>,
  timeoutMs = 10_000,
): Promise<Answer> {
  const started = performance.now()
  const url = `${base}/api/postback?${new URLSearchParams({ secret: SECRET, ...fields })}`
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
    const body = await response.text()
    return {
      status: response.status,
      outcome: response.headers.get('x-postback-outcome') ?? '',
      retryAfter: response.headers.get('retry-after'),
      body,
      ms: performance.now() - started,
    }
  } catch (error) {
    return {
      status: 0,
      outcome: (error as Error).name,
      retryAfter: null,
      body: '',
      ms: performance.now() - started,
    }
  }
}

/** Runs `work` over `items` with at most `limit` in flight. */
export async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  async function worker() {
    while (next < items.length) {
      const index = next++
      results[index] = await work(items[index] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

export type LedgerCheck = {
  conversions: number
  credits: number
  reversals: number
  balanceTotal: number
  /** Users whose balance differs from the sum of their ledger entries. */
  unbalancedUsers: number
  /** Approved conversions with a user but no credit: a half-applied postback. */
  uncreditedApprovals: number
  /** Reversed conversions holding a credit without its reversal. */
  unreversedCredits: number
}

/** The invariants that must hold after any scenario. */
export async function checkLedger(client: pg.Client): Promise<LedgerCheck> {
  const { rows } = await client.query(`SELECT
    (SELECT count(*) FROM conversions)::int AS conversions,
    (SELECT count(*) FROM ledger_entries WHERE kind = 'credit')::int AS credits,
    (SELECT count(*) FROM ledger_entries WHERE kind = 'reversal')::int AS reversals,
    (SELECT COALESCE(sum(points), 0) FROM balances)::bigint::text AS balance_total,
    (SELECT count(*) FROM balances b
      WHERE b.points <> (SELECT COALESCE(sum(points), 0) FROM ledger_entries l WHERE l.user_id = b.user_id))::int AS unbalanced,
    (SELECT count(*) FROM conversions c WHERE c.status = 'approved' AND c.user_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM ledger_entries l WHERE l.conversion_id = c.id AND l.kind = 'credit'))::int AS uncredited,
    (SELECT count(*) FROM conversions c WHERE c.status = 'reversed'
      AND EXISTS (SELECT 1 FROM ledger_entries l WHERE l.conversion_id = c.id AND l.kind = 'credit')
      AND NOT EXISTS (SELECT 1 FROM ledger_entries l WHERE l.conversion_id = c.id AND l.kind = 'reversal'))::int AS unreversed`)
  const row = rows[0]
  return {
    conversions: row.conversions,
    credits: row.credits,
    reversals: row.reversals,
    balanceTotal: Number(row.balance_total),
    unbalancedUsers: row.unbalanced,
    uncreditedApprovals: row.uncredited,
    unreversedCredits: row.unreversed,
  }
}

/** How many answers had each HTTP status. */
export function countStatuses(answers: readonly Answer[]): Map<number, number> {
  const statuses = new Map<number, number>()
  for (const answer of answers) statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1)
  return statuses
}

/** verify-ledger's checks that found a violation (none, when the ledger is sound). */
export async function ledgerViolations(databaseUrl: string) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 })
  try {
    return (await verifyLedger(pool)).filter((check) => check.violations > 0)
  } finally {
    await pool.end()
  }
}

/** Prints one figure line per scenario, the same line docs/RELIABILITY.md quotes. */
export function report(scenario: string, figures: Record<string, string | number>) {
  const text = Object.entries(figures)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ')
  process.stdout.write(`reliability ${scenario}: ${text}\n`)
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0)
}

/** Scenario 5: no secret value may appear in what the service prints or stores. */
/** The service's /metrics text, to check it for secrets too. */
export async function scrapeMetrics(base: string): Promise<string> {
  const response = await fetch(`${base}/metrics`, {
    headers: { authorization: `Bearer ${METRICS_TOKEN}` },
  })
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`)
  return response.text()
}

export async function findLeakedSecrets(
  client: pg.Client,
  serverOutputs: string[],
  secrets: readonly string[] = [SECRET, ADMIN_TOKEN],
): Promise<string[]> {
  const { rows } = await client.query<{ row: string }>(
    'SELECT row_to_json(l)::text AS row FROM postback_log l',
  )
  const places = [
    ...serverOutputs.map((text, i) => [`server output ${i + 1}`, text] as const),
    ['postback_log', rows.map((r) => r.row).join('\n')] as const,
  ]
  const leaks: string[] = []
  for (const [place, text] of places) {
    for (const secret of secrets)
      if (text.includes(secret)) leaks.push(`${place} contains ${secret.slice(0, 6)}…`)
  }
  return leaks
}
