// Unique approvals against the real service on a fresh database, then a check that every 200
// was credited exactly once. Prints throughput and latency.
//   npm run bench:load                      # real PostgreSQL at DATABASE_URL (or local default)
//   npm run bench:load -- --embedded        # embedded PGlite
//   options: --seconds 10 --connections 32 --users 1000
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import pg from 'pg'

const { values: args } = parseArgs({
  options: {
    embedded: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '10' },
    connections: { type: 'string', default: '32' },
    users: { type: 'string', default: '1000' },
  },
})
const SECRET = 'bench-secret-0123456789'
const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'

async function adminQuery(sql: string) {
  const client = new pg.Client({ connectionString: ADMIN_URL })
  await client.connect()
  await client.query(sql).finally(() => client.end())
}

async function main() {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    PORT: String(await freePort()),
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', // the default: request logging is part of the cost
    POSTBACK_SECRET: SECRET,
    DOTENV_CONFIG_PATH: '/nonexistent/.env',
    RATE_LIMIT_MAX: '1000000',
  }
  const dbName = `pbr_bench_${Date.now()}`
  let dataDir = ''
  if (args.embedded) {
    dataDir = await mkdtemp(join(tmpdir(), 'pbr-bench-'))
    env.PGLITE_DATA_DIR = join(dataDir, 'pglite')
  } else {
    await adminQuery(`CREATE DATABASE ${dbName}`)
    const url = new URL(ADMIN_URL)
    url.pathname = `/${dbName}`
    env.DATABASE_URL = url.toString()
    env.DATABASE_POOL_MAX = '20'
  }

  // The request log goes to /dev/null: writing it is part of the cost, keeping it is not.
  const server = spawn(process.execPath, ['dist/server.js'], {
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const base = `http://127.0.0.1:${env.PORT}`
  await waitForReady(base)
  const users = Number(args.users)
  let sequence = 0

  process.stderr.write(
    `load: ${args.seconds} s, ${args.connections} connections, ${args.embedded ? 'embedded PGlite' : 'PostgreSQL'}\n`,
  )
  const result = await autocannon({
    url: base,
    connections: Number(args.connections),
    duration: Number(args.seconds),
    requests: [
      {
        setupRequest(request) {
          sequence += 1
          const user = `user-${sequence % users}`
          request.path = `/api/postback?tx_id=bench-${sequence}&offer_id=7&payout=3.50&user_id=${user}&secret=${SECRET}`
          return request
        },
      },
    ],
  })

  // Verify before stopping: every 200 is a credited conversion; balances equal the ledger.
  let verified = 'skipped (embedded: its data directory belongs to the server process)'
  if (!args.embedded) {
    const client = new pg.Client({ connectionString: env.DATABASE_URL })
    await client.connect()
    const { rows } = await client.query(`SELECT
      (SELECT count(*) FROM conversions)::int AS conversions,
      (SELECT count(*) FROM ledger_entries WHERE kind = 'credit')::int AS credits,
      (SELECT COALESCE(sum(points), 0) FROM balances)::bigint::text AS balances,
      (SELECT COALESCE(sum(points), 0) FROM ledger_entries)::bigint::text AS ledger`)
    await client.end()
    const row = rows[0]
    const ok2xx = result['2xx']
    const consistent =
      row.balances === row.ledger && row.credits === row.conversions && row.credits >= ok2xx
    verified = `${consistent ? 'OK' : 'FAILED'}: ${ok2xx} answered 200, ${row.conversions} conversions, ${row.credits} credits, balances ${row.balances} = ledger ${row.ledger}`
    if (!consistent) process.exitCode = 1
  }

  const rss = readRss(server.pid)
  server.kill('SIGTERM')
  await once(server, 'exit')
  if (args.embedded) await rm(dataDir, { recursive: true, force: true })
  else await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)

  console.log(`
| metric | value |
| --- | --- |
| database | ${args.embedded ? 'embedded PGlite' : 'PostgreSQL'} |
| connections | ${args.connections} |
| postbacks answered 200 per second | ${Math.round(result['2xx'] / result.duration)} |
| latency p50 / p99 / max (ms) | ${result.latency.p50} / ${result.latency.p99} / ${result.latency.max} |
| non-2xx / errors / timeouts | ${result.non2xx} / ${result.errors} / ${result.timeouts} |
| service RSS at end (MiB) | ${rss} |
| verification | ${verified} |
`)
}

async function waitForReady(base: string) {
  for (let i = 0; i < 300; i++) {
    const ready = await fetch(`${base}/readyz`).then(
      (r) => r.ok,
      () => false,
    )
    if (ready) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('the server did not become ready in 30 s')
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
    probe.on('error', reject)
  })
}

function readRss(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024)
  } catch {
    return 0
  }
}

await main()
