// One command, three ceilings and the real thing, then a correctness check:
//   1. pgbench: the minimal postback transaction on a fresh migrated database (8 and N clients)
//   2. a bare Fastify route (bench/bare-server.ts) under autocannon
//   3. the built service on a fresh database under a realistic postback mix
//   4. the database after the run: credited once, reversals = credits, balances = ledger
// Prints a markdown table and records it in bench/RESULTS.md. Exits 1 if verification fails.
//   npm run bench -- --seconds 15 --connections 32 [--embedded] [--instances 2]
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { backendPids, cpuSeconds, storageByTable, walBytesSince, walPosition } from './footprint.js'
import { describeStatuses, driveMix, unexpectedStatuses } from './mix.js'
import { measurePgbench, type PgbenchResult } from './pgbench.js'
import { machineDescription, markdownTable, RESULTS_FILE, writeResults } from './report.js'
import {
  adminQuery,
  cleanUpAll,
  freePort,
  readRss,
  spawnTracked,
  startService,
  stopChild,
  waitForReady,
} from './service.js'
import { verifyDatabase } from './verify.js'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '15' },
    connections: { type: 'string', default: '32' },
    embedded: { type: 'boolean', default: false },
    instances: { type: 'string', default: '1' },
  },
})
const seconds = Number(args.seconds)
const connections = Number(args.connections)
const instances = Number(args.instances)
if (
  !(seconds > 0 && connections > 0 && Number.isInteger(instances) && instances > 0) ||
  (args.embedded && instances > 1)
) {
  console.error(
    'usage: npm run bench -- [--seconds 15] [--connections 32] [--embedded | --instances 2]',
  )
  process.exit(2)
}

async function measureBare(): Promise<autocannon.Result> {
  const port = await freePort()
  const server = spawnTracked(process.execPath, ['--import', 'tsx', 'bench/bare-server.ts'], {
    env: { PATH: process.env.PATH ?? '', PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  try {
    const url = `http://127.0.0.1:${port}/`
    await waitForReady(url, server)
    process.stderr.write(`bare Fastify: ${connections} connections, ${seconds} s\n`)
    return await autocannon({ url, connections, duration: seconds })
  } finally {
    await stopChild(server)
  }
}

async function measureService() {
  const service = await startService({ embedded: args.embedded, instances })
  try {
    process.stderr.write(
      `service: ${instances} instance(s), ${connections} connections, ${seconds} s, ${args.embedded ? 'embedded PGlite' : 'PostgreSQL'}\n`,
    )
    const cpuBefore = cpuSeconds(service.pids)
    const wal = service.databaseUrl ? await walPosition() : null
    const mix = await driveMix(service.bases, connections, seconds)
    const cost = {
      serviceCpu: cpuSeconds(service.pids) - cpuBefore,
      // The pool's backends started with the run, so their whole CPU time is the run's.
      databaseCpu: service.databaseUrl ? cpuSeconds(await backendPids(service.databaseUrl)) : null,
      walBytes: wal ? await walBytesSince(wal) : null,
    }
    const rss = service.pids.reduce((sum, pid) => sum + readRss(pid), 0)
    const approvals200 = mix.statuses.approval[200] ?? 0
    const verification = service.databaseUrl
      ? await verifyDatabase(service.databaseUrl, approvals200)
      : null
    const storage = service.databaseUrl ? await storageByTable(service.databaseUrl) : null
    return { mix, rss, verification, cost, storage }
  } finally {
    await service.stop()
  }
}

async function postgresVersion() {
  try {
    const rows = await adminQuery<{ version: string }>('SELECT version()')
    return rows[0]?.version ?? 'unknown'
  } catch (error) {
    return `unreachable (${(error as Error).message})`
  }
}

function buildTable(
  pgbench: PgbenchResult[] | null | string,
  bare: autocannon.Result,
  service: Awaited<ReturnType<typeof measureService>>,
) {
  const { result, statuses } = service.mix
  const accepted = result['2xx'] / result.duration
  const bareRps = bare['2xx'] / bare.duration
  const tpsAt = (clients: number) =>
    Array.isArray(pgbench) ? pgbench.find((p) => p.clients === clients)?.tps : undefined
  const pgbenchCell = (clients: number) => {
    const tps = tpsAt(clients)
    if (tps !== undefined) return String(Math.round(tps))
    return typeof pgbench === 'string' ? `skipped: ${pgbench}` : 'skipped: pgbench not found'
  }
  const ceiling = tpsAt(connections)
  const nonOk = Object.entries(statuses)
    .map(([kind, counts]) => {
      const bad = Object.fromEntries(Object.entries(counts).filter(([s]) => Number(s) >= 300))
      return Object.keys(bad).length > 0 ? `${kind} ${describeStatuses(bad)}` : ''
    })
    .filter(Boolean)
    .join('; ')
  const database = args.embedded
    ? 'embedded PGlite'
    : `PostgreSQL (fresh database)${instances > 1 ? `, ${instances} service instances` : ''}`
  const perThousand = (cpu: number | null) =>
    cpu === null ? 'n/a' : `${((cpu / result['2xx']) * 1000).toFixed(2)} s`
  const storage = service.storage
  const conversions = storage?.find((t) => t.table === 'conversions')?.rows ?? 0
  return markdownTable([
    ['pgbench tps, 8 clients (postback transaction on PostgreSQL)', pgbenchCell(8)],
    [`pgbench tps, ${connections} clients`, pgbenchCell(connections)],
    [`bare Fastify req/s (${connections} connections)`, String(Math.round(bareRps))],
    [
      `service accepted postbacks/s (2xx, ${connections} connections, ${database})`,
      String(Math.round(accepted)),
    ],
    [
      'service latency p50 / p99 / max (ms)',
      `${result.latency.p50} / ${result.latency.p99} / ${result.latency.max}`,
    ],
    [
      'service requests by kind',
      Object.entries(statuses)
        .map(([k, c]) => `${k} ${Object.values(c).reduce((a, b) => a + b, 0)}`)
        .join(', '),
    ],
    ['service non-2xx by kind and status', nonOk || 'none'],
    ['service errors / timeouts', `${result.errors} / ${result.timeouts}`],
    [`service RSS at end (MiB${instances > 1 ? ', all instances' : ''})`, String(service.rss)],
    [
      'CPU per 1,000 accepted postbacks: service processes / PostgreSQL backends',
      `${perThousand(service.cost.serviceCpu)} / ${perThousand(service.cost.databaseCpu)}`,
    ],
    [
      'WAL per accepted postback (whole cluster, other databases included)',
      service.cost.walBytes === null
        ? 'n/a'
        : `${Math.round(service.cost.walBytes / result['2xx'])} bytes`,
    ],
    [
      'disk per conversion (table + indexes; rows)',
      storage && conversions > 0
        ? storage
            .map((t) => `${t.table} ${Math.round(t.bytes / conversions)} B (${t.rows})`)
            .join(', ')
        : 'n/a',
    ],
    [
      `service / pgbench(${connections})`,
      ceiling ? `${((accepted / ceiling) * 100).toFixed(1)}%` : 'n/a',
    ],
    ['service / bare HTTP', `${((accepted / bareRps) * 100).toFixed(1)}%`],
    [
      'verification',
      service.verification
        ? `${service.verification.ok ? 'OK' : `FAILED (${service.verification.failures.join('; ')})`}: ${service.verification.summary}`
        : 'skipped: embedded PGlite, its data directory belongs to the server process',
    ],
  ])
}

async function main() {
  const started = new Date()
  let pgbench: PgbenchResult[] | null | string
  try {
    pgbench = await measurePgbench([...new Set([8, connections])], seconds)
  } catch (error) {
    if (!args.embedded) throw error
    // Embedded runs need no PostgreSQL; say why the ceiling is missing rather than fail.
    pgbench = `PostgreSQL unavailable (${(error as Error).message.split('\n')[0]})`
    process.stderr.write(`pgbench: ${pgbench}\n`)
  }
  const bare = await measureBare()
  const service = await measureService()
  const table = buildTable(pgbench, bare, service)
  console.log(`\n${table}\n`)

  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`
  await writeResults({
    date: started.toISOString().replace(/\.\d+Z$/, 'Z'),
    command,
    machine: machineDescription(await postgresVersion()),
    table,
  })
  process.stderr.write(`written to ${RESULTS_FILE}\n`)

  const problems = [
    ...(service.verification?.failures ?? []),
    ...unexpectedStatuses(service.mix.statuses),
    ...(service.mix.result['2xx'] === 0 ? ['the service accepted no postbacks'] : []),
  ]
  if (problems.length > 0) {
    console.error(`bench FAILED: ${problems.join('; ')}`)
    process.exitCode = 1
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`${signal}: stopping children and dropping bench databases\n`)
    cleanUpAll().finally(() => process.exit(130))
  })
}
try {
  await main()
} finally {
  await cleanUpAll()
}
