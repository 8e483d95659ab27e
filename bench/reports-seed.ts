// Reports at scale: seeds a separate PostgreSQL database with 10 million postback_log rows and
// proportionate conversions and balances (generate_series, in SQL), then times every report
// query for a 7- and a 30-day range through the service's own functions and prints each
// statement's EXPLAIN (ANALYZE, BUFFERS). Figures: bench/RESULTS.md.
//   npx tsx bench/reports-seed.ts [--log-rows 10000000] [--days 90] [--keep] [--reuse]
// --keep leaves the database (pbr_reports_seed) for another look; --reuse measures a kept one.
import { parseArgs } from 'node:util'
import pg from 'pg'
import { loadOverview, OVERVIEW_PERIODS } from '../src/dashboard/overview-data.js'
import { migrate } from '../src/db/migrate.js'
import { listLog } from '../src/postback-log/queries.js'
import { loadBreakdown } from '../src/reports/breakdown.js'
import { resolveRange } from '../src/reports/range.js'
import { refusalRates } from '../src/reports/refusals.js'
import { breakdownOf } from '../src/reports/service.js'
import { listUsers } from '../src/reports/users.js'
import { ADMIN_URL } from './service.js'

const { values: args } = parseArgs({
  options: {
    'log-rows': { type: 'string', default: '10000000' },
    days: { type: 'string', default: '90' },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'boolean', default: false },
  },
})
const LOG_ROWS = Number(args['log-rows'])
const DAYS = Number(args.days)
const DB = 'pbr_reports_seed'
// Of the log's rows: 5 % refused, 5 % repeats (1 in 200 of them with another payout), the rest
// first arrivals that each created a conversion. Users: one per 16 conversions.
const CONVERSIONS = Math.floor(LOG_ROWS * 0.9)
const USERS = Math.max(1, Math.floor(CONVERSIONS / 16))
/** A conversion's network from its number (fixed SQL text, no input). */
const NETWORK_OF = (n: string) =>
  `(ARRAY['default', 'acme', 'kiwiwall', 'tapjoy', 'bitlabs'])[1 + (${n} * 7919) % 5]`

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: ADMIN_URL })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

function seedUrl(): string {
  const url = new URL(ADMIN_URL)
  url.pathname = `/${DB}`
  return url.toString()
}

const step = async (label: string, pool: pg.Pool, sql: string, values: unknown[] = []) => {
  const started = performance.now()
  const result = await pool.query(sql, values)
  console.log(
    `  ${label}: ${((performance.now() - started) / 1000).toFixed(1)} s (${result.rowCount ?? 0} rows)`,
  )
}

/** Every row in time order over DAYS days ending now, as the service writes them. */
async function seed(pool: pg.Pool) {
  console.log(
    `seeding ${DB}: ${LOG_ROWS} log rows, ${CONVERSIONS} conversions, ${USERS} users over ${DAYS} days`,
  )
  await migrate(pool)
  const span = `${DAYS} days`
  // Each network pays in one currency (tapjoy is reward-only: points, no payout), as they do.
  await step(
    'conversions',
    pool,
    `INSERT INTO conversions (network, tx_id, offer_id, user_id, payout, currency, points, status,
                              credit_user, credit_points, reversed, created_at, updated_at)
     SELECT network, 'tx-' || i, 'offer-' || (i * 31 % 500), user_id,
            CASE WHEN network <> 'tapjoy' THEN payout END,
            CASE network WHEN 'acme' THEN 'EUR' WHEN 'tapjoy' THEN NULL ELSE 'USD' END,
            (payout * 100)::bigint, status,
            CASE WHEN status IN ('approved', 'reversed') THEN user_id END,
            CASE WHEN status IN ('approved', 'reversed') THEN (payout * 100)::bigint END,
            status = 'reversed', at, at
     FROM (SELECT i, ${NETWORK_OF('i')} AS network,
                  'user-' || ((i * 104729) % $2) AS user_id,
                  ((i % 1000) / 100.0 + 0.05)::numeric(20, 6) AS payout,
                  CASE WHEN i % 100 < 85 THEN 'approved' WHEN i % 100 < 90 THEN 'pending'
                       WHEN i % 100 < 93 THEN 'held' WHEN i % 100 < 95 THEN 'rejected'
                       ELSE 'reversed' END AS status,
                  now() - $3::interval + (i::float8 / $1) * $3::interval AS at
           FROM generate_series(1, $1::bigint) AS i) s`,
    [CONVERSIONS, USERS, span],
  )
  // A request's text as the log keeps it (a query string of ~130 characters), so rows are as
  // wide as real ones and a scan reads as many pages.
  await step(
    'postback_log',
    pool,
    `INSERT INTO postback_log (received_at, network, method, path, query, headers, source_ip,
                               status_code, outcome, message, tx_id, conversion_id, caller_verified,
                               mismatched_payout)
     SELECT at, network, 'GET', '/api/postback/' || network,
            'tx_id=tx-' || c || '&offer_id=offer-' || (c * 31 % 500) || '&payout=' || ((c % 1000) / 100.0 + 0.05)
              || '&user_id=user-' || ((c * 104729) % $3) || '&sub1=campaign-7&secret=[REDACTED]',
            '{"user-agent":"network-client/1.0"}', '203.0.113.' || (j % 250),
            CASE kind WHEN 'refused' THEN (CASE WHEN j % 3 = 0 THEN 403 ELSE 400 END) ELSE 200 END,
            CASE kind WHEN 'refused' THEN (CASE WHEN j % 3 = 0 THEN 'BAD_SECRET' ELSE 'MISSING_FIELD' END)
                      WHEN 'repeat' THEN 'duplicate' ELSE 'credited' END,
            CASE kind WHEN 'repeat' THEN 'already approved: nothing changed' WHEN 'first' THEN 'approved and credited' END,
            'tx-' || c, CASE WHEN kind <> 'refused' THEN c END, kind <> 'refused',
            CASE WHEN kind = 'repeat' AND j % 4000 = 1 THEN 99.99 END
     FROM (SELECT j, CASE WHEN j % 20 = 0 THEN 'refused' WHEN j % 20 = 1 THEN 'repeat' ELSE 'first' END AS kind,
                  greatest(1, least($2::bigint, (j * 9 / 10)::bigint)) AS c,
                  ${NETWORK_OF('greatest(1, least($2::bigint, (j * 9 / 10)::bigint))')} AS network,
                  now() - $4::interval + (j::float8 / $1) * $4::interval AS at
           FROM generate_series(1, $1::bigint) AS j) s`,
    [LOG_ROWS, CONVERSIONS, USERS, span],
  )
  // An operator replayed one refusal in 50, accepted (the overview's "replayed" count).
  await step(
    'replays',
    pool,
    `INSERT INTO postback_log (received_at, network, method, path, status_code, outcome, tx_id,
                               replay_of, replayed_by, caller_verified)
     SELECT received_at + interval '1 hour', network, method, path, 200, 'credited', tx_id, id,
            'bench', true
     FROM postback_log WHERE status_code >= 400 AND id % 1000 = 0`,
  )
  await step(
    'balances',
    pool,
    `INSERT INTO balances (user_id, points, updated_at)
     SELECT credit_user, COALESCE(sum(credit_points) FILTER (WHERE NOT reversed), 0), max(updated_at)
     FROM conversions WHERE credit_user IS NOT NULL GROUP BY credit_user`,
  )
  await step('vacuum analyze', pool, 'VACUUM ANALYZE')
}

type Captured = { text: string; values: unknown[]; settings: string }

/**
 * A pool that remembers each statement the report functions send (also through a client of a
 * transaction, with its SET LOCAL settings), to EXPLAIN it after with the same settings.
 */
function capturing(pool: pg.Pool): { pool: pg.Pool; statements: Captured[] } {
  const statements: Captured[] = []
  let settings = ''
  const record = (text: string, values: unknown[]) => {
    if (/^\s*(BEGIN|COMMIT|ROLLBACK)/i.test(text)) return
    if (/^\s*SET LOCAL/i.test(text)) settings = text
    else statements.push({ text, values, settings })
  }
  const proxy = new Proxy(pool, {
    get(target, property) {
      if (property === 'connect')
        return async () => {
          const client = await target.connect()
          return new Proxy(client, {
            get(c, p) {
              if (p !== 'query') return Reflect.get(c, p)
              return (text: string, values: unknown[] = []) => {
                record(text, values)
                return c.query(text, values)
              }
            },
          })
        }
      if (property !== 'query') return Reflect.get(target, property)
      return (text: string, values: unknown[] = []) => {
        record(text, values)
        return target.query(text, values)
      }
    },
  })
  return { pool: proxy, statements }
}

async function timeIt(run: () => Promise<unknown>): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < 3; i++) {
    const started = performance.now()
    await run()
    times.push(performance.now() - started)
  }
  return times.sort((a, b) => a - b)[1] ?? 0 // the median of 3 (warm cache)
}

async function measure(pool: pg.Pool) {
  const sizes = await pool.query<{ table: string; rows: string; size: string }>(
    `SELECT relname AS table, reltuples::bigint::text AS rows, pg_size_pretty(pg_total_relation_size(oid)) AS size
     FROM pg_class WHERE relname IN ('postback_log', 'conversions', 'balances') ORDER BY relname`,
  )
  for (const s of sizes.rows)
    console.log(`table ${s.table}: ~${s.rows} rows, ${s.size} with indexes`)
  const now = new Date()
  const summary: string[] = []
  for (const range of ['7d', '30d'] as const) {
    const resolved = await resolveRange(pool, { range, timeZone: 'Europe/Berlin' }, now)
    const period = OVERVIEW_PERIODS.find((p) => p.key === range)
    const queries: [string, (p: pg.Pool) => Promise<unknown>][] = [
      [
        'by network (totals)',
        (p) =>
          loadBreakdown(p, resolved, {
            by: 'network',
            sort: 'key',
            order: 'asc',
            currency: null,
            limit: 10_000,
            offset: 0,
          }),
      ],
      [
        'by offer, revenue (main currency looked up)',
        (p) => breakdownOf(p, resolved, { by: 'offer', limit: 50, offset: 0 }),
      ],
      [
        'by day',
        (p) =>
          loadBreakdown(p, resolved, {
            by: 'day',
            sort: 'key',
            order: 'asc',
            currency: 'USD',
            limit: 366,
            offset: 0,
          }),
      ],
      [
        'top users by revenue',
        (p) =>
          loadBreakdown(p, resolved, {
            by: 'user',
            sort: 'revenue',
            order: 'desc',
            currency: 'USD',
            limit: 20,
            offset: 0,
          }),
      ],
      ['refusals per network and day', (p) => refusalRates(p, resolved)],
      [
        'overview (incl. refusals replayed/outstanding)',
        (p) => (period ? loadOverview(p, period, now) : Promise.resolve()),
      ],
    ]
    for (const [label, run] of queries) {
      const ms = await timeIt(() => run(pool))
      summary.push(`${range.padEnd(4)} ${label.padEnd(48)} ${ms.toFixed(0).padStart(6)} ms`)
      const { pool: spy, statements } = capturing(pool)
      await run(spy)
      console.log(`\n=== ${range} ${label}: ${ms.toFixed(0)} ms (median of 3) ===`)
      for (const s of statements) {
        const client = await pool.connect()
        let plan: pg.QueryResult<{ 'QUERY PLAN': string }>
        try {
          await client.query('BEGIN')
          if (s.settings) await client.query(s.settings)
          plan = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${s.text}`, s.values)
        } finally {
          await client.query('ROLLBACK')
          client.release()
        }
        console.log(s.text.replace(/\s+/g, ' ').slice(0, 160))
        for (const row of plan.rows) console.log(`  ${row['QUERY PLAN']}`)
      }
    }
  }
  const others: [string, () => Promise<unknown>][] = [
    [
      'users by balance',
      () => listUsers(pool, { sort: 'balance', order: 'desc', limit: 50, offset: 0 }),
    ],
    [
      'users by last activity',
      () => listUsers(pool, { sort: 'activity', order: 'desc', limit: 50, offset: 0 }),
    ],
    [
      'users search "user-4242"',
      () =>
        listUsers(pool, {
          search: 'user-4242',
          sort: 'balance',
          order: 'desc',
          limit: 50,
          offset: 0,
        }),
    ],
    ['log: payout mismatch, newest 50', () => listLog(pool, { payoutMismatch: true }, 50)],
  ]
  for (const [label, run] of others) {
    const ms = await timeIt(run)
    summary.push(`-    ${label.padEnd(48)} ${ms.toFixed(0).padStart(6)} ms`)
  }
  // Without the BRIN index of migration 0017: the same conversions queries.
  await pool.query('DROP INDEX conversions_created_at_brin')
  for (const range of ['7d', '30d'] as const) {
    const resolved = await resolveRange(pool, { range, timeZone: 'Europe/Berlin' }, now)
    for (const by of ['network', 'user'] as const) {
      const ms = await timeIt(() =>
        loadBreakdown(pool, resolved, {
          by,
          sort: 'revenue',
          order: 'desc',
          currency: 'USD',
          limit: 20,
          offset: 0,
        }),
      )
      summary.push(
        `${range.padEnd(4)} ${`by ${by}, WITHOUT the BRIN index`.padEnd(48)} ${ms.toFixed(0).padStart(6)} ms`,
      )
    }
  }
  await pool.query(
    'CREATE INDEX conversions_created_at_brin ON conversions USING brin (created_at)',
  )
  const brin = await pool.query<{ size: string }>(
    "SELECT pg_size_pretty(pg_relation_size('conversions_created_at_brin')) AS size",
  )
  summary.push(`conversions_created_at_brin: ${brin.rows[0]?.size}`)
  summary.push(...(await buildCost(pool)))
  summary.push(...(await writeCost(pool)))
  console.log(`\n=== summary (median of 3, warm) ===\n${summary.join('\n')}`)
}

/**
 * What migrating a database of this size costs: 0016 and 0017 build their indexes inside the
 * migration's transaction, holding off writes to the table while they do (timed here, rolled back).
 */
async function buildCost(pool: pg.Pool): Promise<string[]> {
  const lines: string[] = []
  const builds = [
    [
      'postback_log_mismatched_payout_idx',
      'CREATE INDEX postback_log_mismatched_payout_idx ON postback_log (id) WHERE mismatched_payout IS NOT NULL',
    ],
    [
      'conversions_created_at_brin',
      'CREATE INDEX conversions_created_at_brin ON conversions USING brin (created_at)',
    ],
  ] as const
  for (const [index, create] of builds) {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      await client.query(`DROP INDEX ${index}`)
      const started = performance.now()
      await client.query(create)
      lines.push(
        `building ${index} on the seeded table: ${(performance.now() - started).toFixed(0)} ms`,
      )
    } finally {
      await client.query('ROLLBACK')
      client.release()
    }
  }
  return lines
}

/**
 * What the two indexes cost a write: 200,000 conversions (and log rows) inserted with and
 * without them, each in a transaction rolled back, alternating, the best of 3 each.
 */
async function writeCost(pool: pg.Pool): Promise<string[]> {
  const cases = [
    {
      label: 'insert 200k conversions',
      index: 'conversions_created_at_brin',
      insert: `INSERT INTO conversions (network, tx_id, offer_id, user_id, payout, currency, points, status)
               SELECT 'default', 'w-' || i, 'offer-1', 'user-' || (i % 1000), 1, 'USD', 100, 'approved'
               FROM generate_series(1, 200000) i`,
    },
    {
      label: 'insert 200k log rows',
      index: 'postback_log_mismatched_payout_idx',
      insert: `INSERT INTO postback_log (network, method, path, status_code, outcome, tx_id)
               SELECT 'default', 'GET', '/api/postback', 200, 'credited', 'w-' || i
               FROM generate_series(1, 200000) i`,
    },
  ]
  const lines: string[] = []
  for (const c of cases) {
    const best = { with: Number.POSITIVE_INFINITY, without: Number.POSITIVE_INFINITY }
    for (let round = 0; round < 3; round++) {
      for (const variant of ['with', 'without'] as const) {
        const client = await pool.connect()
        try {
          await client.query('BEGIN')
          if (variant === 'without') await client.query(`DROP INDEX ${c.index}`)
          const started = performance.now()
          await client.query(c.insert)
          best[variant] = Math.min(best[variant], performance.now() - started)
        } finally {
          await client.query('ROLLBACK')
          client.release()
        }
      }
    }
    lines.push(
      `${c.label}: ${best.with.toFixed(0)} ms with ${c.index}, ${best.without.toFixed(0)} ms without (best of 3)`,
    )
  }
  return lines
}

async function main() {
  if (!args.reuse) {
    await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`)
    await admin(`CREATE DATABASE ${DB}`)
  }
  const pool = new pg.Pool({ connectionString: seedUrl(), max: 2 })
  try {
    if (!args.reuse) await seed(pool)
    await measure(pool)
  } finally {
    await pool.end()
    if (!args.keep) await admin(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`)
  }
}

await main()
