// The realistic mix (npm run bench -- --mix): three ceilings and the real thing, then a
// correctness check:
//   1. pgbench: the minimal postback transaction on a fresh migrated database (8 and N clients)
//   2. a bare Fastify route (bench/bare-server.ts) under autocannon
//   3. the built service on a fresh database under a realistic postback mix
//   4. the database after the run: credited once, reversals = credits, balances = ledger
import autocannon from 'autocannon'
import {
  backendPids,
  cpuSeconds,
  storageByTable,
  walBytesOfDatabase,
  walBytesSince,
  walPosition,
} from './footprint.js'
import { withDatabase } from './inspect.js'
import { describeStatuses, driveMix, unexpectedStatuses } from './mix.js'
import { measurePgbench, type PgbenchResult } from './pgbench.js'
import { markdownTable } from './report.js'
import {
  freePort,
  readRss,
  spawnTracked,
  startService,
  stopChild,
  waitForReady,
} from './service.js'
import { verifyDatabase } from './verify.js'

export type MixOptions = {
  seconds: number
  connections: number
  embedded: boolean
  instances: number
  serviceDir: string
}

/** The mix's table, and what makes the run fail (empty when it passed). */
export async function runMix(options: MixOptions): Promise<{ table: string; problems: string[] }> {
  const { seconds, connections, embedded, serviceDir } = options
  let pgbench: PgbenchResult[] | null | string
  try {
    pgbench = await measurePgbench([...new Set([8, connections])], seconds, serviceDir)
  } catch (error) {
    if (!embedded) throw error
    // Embedded runs need no PostgreSQL; say why the ceiling is missing rather than fail.
    pgbench = `PostgreSQL unavailable (${(error as Error).message.split('\n')[0]})`
    process.stderr.write(`pgbench: ${pgbench}\n`)
  }
  const bare = await measureBare(connections, seconds)
  const service = await measureService(options)
  const table = buildTable(pgbench, bare, service, options)
  const problems = [
    ...service.verification.failures,
    ...unexpectedStatuses(service.mix.statuses),
    ...(service.mix.result['2xx'] === 0 ? ['the service accepted no postbacks'] : []),
  ]
  return { table, problems }
}

async function measureBare(connections: number, seconds: number): Promise<autocannon.Result> {
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

async function measureService(options: MixOptions) {
  const { seconds, connections, embedded, instances, serviceDir } = options
  const service = await startService({ embedded, instances, cwd: serviceDir })
  try {
    process.stderr.write(
      `service: ${instances} instance(s), ${connections} connections, ${seconds} s, ${embedded ? 'embedded PGlite' : 'PostgreSQL'}\n`,
    )
    const cpuBefore = cpuSeconds(service.pids)
    const wal = service.databaseUrl ? await walPosition() : null
    const mix = await driveMix(service.bases, connections, seconds)
    const cost = {
      serviceCpu: cpuSeconds(service.pids) - cpuBefore,
      // The pool's backends started with the run, so their whole CPU time is the run's.
      databaseCpu: service.databaseUrl ? cpuSeconds(await backendPids(service.databaseUrl)) : null,
      ...(await walCost(service.databaseUrl, wal)),
    }
    const rss = service.pids.reduce((sum, pid) => sum + readRss(pid), 0)
    const approvals200 = mix.statuses.approval[200] ?? 0
    // Postbacks still in flight when the load stopped settle before the database is read (and
    // PGlite's data directory can be opened once its service has let go of it).
    await service.stopProcesses()
    const { verification, storage } = await withDatabase(
      service.databaseUrl ? { url: service.databaseUrl } : { dataDir: service.dataDir as string },
      async (query) => ({
        verification: await verifyDatabase(query, approvals200),
        storage: await storageByTable(query),
      }),
    )
    return { mix, rss, verification, cost, storage }
  } finally {
    await service.stop()
  }
}

/** This database's WAL since `from`, or the whole cluster's when pg_waldump cannot tell. */
async function walCost(url: string | null, from: string | null) {
  if (!url || !from) return { walBytes: null, walScope: 'cluster' as const }
  const to = await walPosition()
  const own = await walBytesOfDatabase(url, from, to)
  if (own !== null) return { walBytes: own, walScope: 'database' as const }
  return { walBytes: await walBytesSince(from, to), walScope: 'cluster' as const }
}

function buildTable(
  pgbench: PgbenchResult[] | null | string,
  bare: autocannon.Result,
  service: Awaited<ReturnType<typeof measureService>>,
  options: MixOptions,
) {
  const { connections, embedded, instances } = options
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
  const database = embedded
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
      `WAL per accepted postback (${service.cost.walScope === 'database' ? "this database's records, pg_waldump" : 'whole cluster, other databases included'})`,
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
      `${service.verification.ok ? 'OK' : `FAILED (${service.verification.failures.join('; ')})`}: ${service.verification.summary}`,
    ],
  ])
}
