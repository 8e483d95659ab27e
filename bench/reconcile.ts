import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream, existsSync, readFileSync } from 'node:fs'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'

// npm run bench:reconcile [-- --rows 1000000]: reconcile on a generated report, measured.
// A fresh database gets `rows` conversions with known differences planted (0.1% missing here,
// 0.1% missing there, 0.1% payout and 0.05% status mismatches); the report is generated to
// match. The built CLI (dist/) runs as a child process under /usr/bin/time, for a tenth of the
// report and for all of it: if memory is bounded, peak RSS does not grow with the report.
// The counts it prints are checked against the planted ones. Figures go to bench/RESULTS.md.

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' } } })
const ROWS = Number(values.rows)
if (!Number.isInteger(ROWS) || ROWS < 20_000 || ROWS % 20_000 !== 0)
  throw new Error('--rows expects a multiple of 20000')
const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
const START = Date.UTC(2026, 9, 1) // conversions every 2 s from 2026-10-01 UTC
const at = (g: number) => new Date(START + g * 2000)
const TIME = '/usr/bin/time'
// The last run caps the V8 heap: finishing under the cap is the proof that memory is bounded.
const HEAP_CAP_MIB = 64

const name = `pbr_bench_reconcile_${process.pid}`
const dir = await mkdtemp(join(tmpdir(), 'pbr-bench-reconcile-'))
const admin = new pg.Client({ connectionString: ADMIN_URL })
await admin.connect()
await admin.query(`CREATE DATABASE ${name}`)
const url = new URL(ADMIN_URL)
url.pathname = `/${name}`
const env = {
  PATH: process.env.PATH ?? '',
  DATABASE_URL: url.toString(),
  DOTENV_CONFIG_PATH: '/nonexistent/.env',
  POSTBACK_SECRET: 'bench-secret-0123456789',
}
try {
  if (!existsSync(TIME))
    throw new Error(`${TIME} is needed to measure peak RSS (apt-get install time)`)
  await cli(['migrate'])
  const seedMs = await seed(url.toString())
  const rows: string[] = []
  const runs = [
    { size: ROWS / 10, nodeArgs: [] as string[] },
    { size: ROWS, nodeArgs: [] as string[] },
    { size: ROWS, nodeArgs: [`--max-old-space-size=${HEAP_CAP_MIB}`] },
  ]
  for (const { size, nodeArgs } of runs) {
    const file = join(dir, `report-${size}.csv`)
    if (!existsSync(file)) await writeReport(file, size)
    const run = await cli(
      [
        'reconcile',
        'default',
        file,
        '--tx-col',
        'Transaction ID',
        '--payout-col',
        'Payout',
        '--status-col',
        'Status',
        '--date-col',
        'Date',
        '--timezone',
        'UTC',
        '--out',
        join(dir, `differences-${size}.csv`),
      ],
      [0, 1],
      nodeArgs,
    )
    const expected = plantedDifferences(size)
    const found = countsOf(run.stdout)
    const ok = Object.entries(expected).every(([label, n]) => found[label] === n)
    if (!ok)
      throw new Error(
        `unexpected counts for ${size} rows: ${JSON.stringify(found)} (expected ${JSON.stringify(expected)})\n${run.stdout}`,
      )
    const mib = ((await stat(file)).size / 2 ** 20).toFixed(0)
    rows.push(
      `| ${size.toLocaleString('en-US')} rows (${mib} MiB)${nodeArgs.length > 0 ? `, V8 heap capped at ${HEAP_CAP_MIB} MiB` : ''} | ${run.seconds.toFixed(1)} s | ${Math.round(size / run.seconds).toLocaleString('en-US')} | ${(run.maxRssKb / 1024).toFixed(0)} MiB | ${Object.values(
        found,
      )
        .reduce((a, b) => a + b, 0)
        .toLocaleString('en-US')} (all as planted) |`,
    )
  }
  const table = [
    '| report | time | rows/s | peak RSS of the CLI process | differences found |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n')
  process.stdout.write(`${table}\n`)
  await record(table, seedMs)
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {})
  await admin.end()
  await rm(dir, { recursive: true, force: true })
}

/** Conversions for report rows 1..ROWS except the "missing here" ones, plus the "missing there". */
async function seed(databaseUrl: string): Promise<number> {
  const started = performance.now()
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query(
      `INSERT INTO conversions (network, tx_id, offer_id, user_id, payout, points, status, created_at)
       SELECT 'default', 'tx-' || g, 'offer-' || (g % 100), 'user-' || (g % 1000),
              1 + (g % 500) / 100.0, 100 + g % 500, 'approved',
              to_timestamp($2 / 1000.0) + g * interval '2 seconds'
       FROM generate_series(1, $1::int) g WHERE g % 1000 <> 7
       UNION ALL
       SELECT 'default', 'only-here-' || g, 'offer-1', 'user-1', 1, 100, 'approved',
              to_timestamp($2 / 1000.0) + g * interval '2 seconds' + interval '1 second'
       FROM generate_series(1, $1::int) g WHERE g % 1000 = 500`,
      [ROWS, START],
    )
    await client.query('ANALYZE conversions')
  } finally {
    await client.end()
  }
  return performance.now() - started
}

async function writeReport(file: string, size: number) {
  const out = createWriteStream(file)
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain')
  }
  await write('Transaction ID,Payout,Status,Date\n')
  let chunk = ''
  for (let g = 1; g <= size; g++) {
    const payout = (100 + (g % 500) + (g % 1000 === 13 ? 1 : 0)) / 100 // planted payout mismatch
    const status = g % 2000 === 21 ? 'reversed' : 'approved' // planted status mismatch
    chunk += `tx-${g},${payout.toFixed(2)},${status},${at(g).toISOString().slice(0, 19).replace('T', ' ')}\n`
    if (g % 10_000 === 0) {
      await write(chunk)
      chunk = ''
    }
  }
  await write(chunk)
  out.end()
  await once(out, 'finish')
}

function plantedDifferences(size: number): Record<string, number> {
  return {
    'missing here (not recorded)': size / 1000,
    'missing there (not in report)': size / 1000,
    'payout mismatch': size / 1000,
    'status mismatch': size / 2000,
    'payout and status mismatch': 0,
    'duplicate in report': 0,
    'invalid rows': 0,
  }
}

function countsOf(summary: string): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const label of Object.keys(plantedDifferences(ROWS))) {
    const escaped = label.replace(/[()]/g, '\\$&')
    const match = new RegExp(`^  ${escaped} +([\\d,]+)$`, 'm').exec(summary)
    counts[label] = Number((match?.[1] ?? 'NaN').replaceAll(',', ''))
  }
  return counts
}

/** The built CLI under /usr/bin/time: its output, wall time and peak RSS. */
async function cli(args: string[], okCodes = [0], nodeArgs: string[] = []) {
  const child = spawn(
    TIME,
    ['-f', '\n%e s %M KB', process.execPath, ...nodeArgs, 'dist/cli/index.js', ...args],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr.on('data', (chunk) => {
    stderr += chunk
    process.stderr.write(chunk) // the CLI's progress lines
  })
  const [code] = await once(child, 'exit')
  if (!okCodes.includes(code as number))
    throw new Error(`${args[0]} exited ${code}:\n${stdout}${stderr}`)
  const measured = /([\d.]+) s (\d+) KB\s*$/.exec(stderr)
  return { stdout, seconds: Number(measured?.[1]), maxRssKb: Number(measured?.[2]) }
}

/** Replaces the "Reconcile" section of bench/RESULTS.md (hand-written notes, kept by bench:run). */
async function record(table: string, seedMs: number) {
  const file = 'bench/RESULTS.md'
  const text = readFileSync(file, 'utf8')
  const heading = '## Reconcile: a 1,000,000-row network report'
  const server = (await admin.query<{ v: string }>('SELECT version() AS v')).rows[0]?.v.split(
    ' on ',
  )[0]
  const section = `${heading}

Written by \`npm run bench:reconcile\` (${new Date().toISOString().slice(0, 16)}Z; ${server}, same
machine; database seeded with ${ROWS.toLocaleString('en-US')} conversions in ${(seedMs / 1000).toFixed(0)} s).
\`reconcile default report.csv\` with mapped columns, run by the built CLI as its own process;
time is wall clock for the whole command (read, load, compare, write the differences), peak
RSS from \`/usr/bin/time\`. A tenth of the report first, then all of it, then all of it again
with the V8 heap capped at ${HEAP_CAP_MIB} MiB: it completes, so what the process keeps does not
grow with the report (it holds one 5,000-row batch; PostgreSQL does the join and spills to
disk); the uncapped peak is V8 taking room it is allowed, not rows kept.

${table}

`
  const start = text.indexOf(heading)
  const latest = text.indexOf('## Latest run')
  let next = start < 0 ? -1 : text.indexOf('\n## ', start + heading.length)
  if (next >= 0) next += 1
  const updated =
    start >= 0
      ? `${text.slice(0, start)}${section}${next < 0 ? '' : text.slice(next)}`
      : latest >= 0
        ? `${text.slice(0, latest)}${section}${text.slice(latest)}`
        : `${text}\n${section}`
  await writeFile(file, updated)
}
