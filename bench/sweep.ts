// Issue 16's measurement: at each concurrency, pgbench's ceiling for the minimal postback
// transaction, then the service under unique approvals at the same concurrency. Each level
// gets fresh databases and a freshly started service, so WAL and disk per postback are its own.
import { type ApprovalRun, driveApprovals } from './approvals.js'
import {
  backendCpu,
  backendCpuSince,
  checkpoint,
  cpuSeconds,
  storageByTable,
  walBytesOfDatabase,
  walBytesSince,
  walPosition,
} from './footprint.js'
import { withDatabase } from './inspect.js'
import { measurePgbench, type PgbenchResult } from './pgbench.js'
import { readMemory, startService } from './service.js'
import { type Verification, verifyApprovals } from './verify.js'

type Storage = Awaited<ReturnType<typeof storageByTable>>

/** A built checkout to measure (its dist/), named for the tables. */
export type ServiceUnderTest = { dir: string; label: string }

export type SweepOptions = {
  levels: number[]
  seconds: number
  /** Seconds of the same load before each measured run, not counted. */
  warmup: number
  embedded: boolean
  services: ServiceUnderTest[]
}

export type LevelResult = {
  connections: number
  service: ServiceUnderTest
  /** null: embedded run, or pgbench missing. */
  pgbench: PgbenchResult | null
  warmup: ApprovalRun | null
  run: ApprovalRun
  acceptedPerSecond: number
  /** CPU ms per accepted postback: the service process (with PGlite inside when embedded). */
  nodeCpuMs: number
  /** CPU ms per accepted postback of this database's backends; null when embedded. */
  databaseCpuMs: number | null
  /** WAL bytes per accepted postback; null when embedded. */
  walBytes: number | null
  /** 'database': this database's records (pg_waldump); 'cluster': the whole cluster's advance. */
  walScope: 'database' | 'cluster'
  /** The whole cluster's WAL advance per accepted postback (other databases included). */
  clusterWalBytes: number | null
  storage: Storage
  /** The same tables freshly migrated, before any postback; null when embedded. */
  emptyStorage: Storage | null
  /** Bytes: resident now and the peak since the service started. */
  memory: { rss: number; peak: number }
  verification: Verification
}

export async function runSweep(options: SweepOptions): Promise<LevelResult[]> {
  const results: LevelResult[] = []
  const first = options.services[0] as ServiceUnderTest
  for (const connections of options.levels) {
    const pgbench = options.embedded
      ? null
      : ((await measurePgbench([connections], options.seconds, first.dir))?.[0] ?? null)
    for (const service of options.services) {
      results.push(await measureLevel(service, connections, options, pgbench))
    }
  }
  return results
}

async function measureLevel(
  target: ServiceUnderTest,
  connections: number,
  options: SweepOptions,
  pgbench: PgbenchResult | null,
): Promise<LevelResult> {
  const service = await startService({ embedded: options.embedded, cwd: target.dir })
  try {
    const url = service.databaseUrl
    process.stderr.write(
      `service ${target.label}: ${connections} connections, ${options.warmup} s warm-up + ${options.seconds} s, ${url ? 'PostgreSQL' : 'embedded PGlite'}\n`,
    )
    const emptyStorage = url ? await withDatabase({ url }, storageByTable) : null
    // A checkpoint now restarts the checkpoint timer, so none falls in the measured run, and the
    // warm-up pays the full-page images of the pages every postback touches.
    if (url) await checkpoint()
    const warm =
      options.warmup > 0
        ? await driveApprovals(service.base, connections, options.warmup, 'warm')
        : null
    const nodeBefore = cpuSeconds(service.pids)
    const databaseBefore = url ? await backendCpu(url) : null
    const wal = url ? await walPosition() : null
    const run = await driveApprovals(service.base, connections, options.seconds, 'run')
    const nodeCpu = cpuSeconds(service.pids) - nodeBefore
    const databaseCpu = url && databaseBefore ? await backendCpuSince(url, databaseBefore) : null
    const walEnd = url ? await walPosition() : null
    const memory = readMemory(service.pid)
    const databaseWal = url && wal && walEnd ? await walBytesOfDatabase(url, wal, walEnd) : null
    const clusterWal = wal && walEnd ? await walBytesSince(wal, walEnd) : null
    const walBytes = databaseWal ?? clusterWal

    // Postbacks still in flight when the load stopped settle before the database is read (and
    // PGlite's data directory can be opened once its service has let go of it).
    await service.stopProcesses()
    const accepted = [...(warm?.accepted ?? []), ...run.accepted]
    const { verification, storage } = await withDatabase(
      url ? { url } : { dataDir: service.dataDir as string },
      async (query) => ({
        verification: await verifyApprovals(query, accepted),
        storage: await storageByTable(query),
      }),
    )
    const count = run.accepted.length
    const perPostback = (seconds: number | null) =>
      seconds === null || count === 0 ? null : (seconds * 1000) / count
    return {
      connections,
      service: target,
      pgbench,
      warmup: warm,
      run,
      acceptedPerSecond: count / run.result.duration,
      nodeCpuMs: perPostback(nodeCpu) ?? Number.NaN,
      databaseCpuMs: perPostback(databaseCpu),
      walBytes: walBytes === null || count === 0 ? null : walBytes / count,
      walScope: databaseWal === null ? 'cluster' : 'database',
      clusterWalBytes: clusterWal === null || count === 0 ? null : clusterWal / count,
      storage,
      emptyStorage,
      memory,
      verification,
    }
  } finally {
    await service.stop()
  }
}

/** Statuses that mean the service is wrong, not busy (503 is its documented "retry later"). */
export function unexpectedApprovalStatuses(results: LevelResult[]): string[] {
  return results.flatMap((r) =>
    [r.warmup, r.run].flatMap((run) =>
      Object.entries(run?.statuses ?? {})
        .filter(([status]) => Number(status) >= 300 && Number(status) !== 503)
        .map(([status, n]) => `${r.service.label} at ${r.connections}: ${n} answered ${status}`),
    ),
  )
}
