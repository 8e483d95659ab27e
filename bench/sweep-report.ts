// The sweep's markdown: figures per concurrency, issue 16's targets beside them, how each
// figure was taken, and the details behind each row.
import { availableParallelism } from 'node:os'
import { SERVICE_NODE_ARGS } from './service.js'
import type { LevelResult, SweepOptions } from './sweep.js'

const MB = 1_000_000

export function sweepReport(results: LevelResult[], options: SweepOptions): string {
  return [
    figuresTable(results, options),
    targetsTable(results, options),
    notes(results, options),
    details(results, options),
  ].join('\n\n')
}

function table(header: string[], rows: string[][]) {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

const whole = (n: number) => Math.round(n).toLocaleString('en-US')
const ms = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a')

const conversionsOf = (r: LevelResult) =>
  r.storage.find((t) => t.table === 'conversions')?.rows ?? 0

/** Bytes a table grew by during the level (all of it when its empty size is unknown). */
const grownBytes = (r: LevelResult, table: string) =>
  (r.storage.find((t) => t.table === table)?.bytes ?? 0) -
  (r.emptyStorage?.find((t) => t.table === table)?.bytes ?? 0)

function diskPerConversion(r: LevelResult) {
  const conversions = conversionsOf(r)
  const bytes = r.storage.reduce((sum, t) => sum + grownBytes(r, t.table), 0)
  return conversions > 0 ? whole(bytes / conversions) : 'n/a'
}

function figuresTable(results: LevelResult[], options: SweepOptions) {
  const several = options.services.length > 1
  const header = [
    'connections',
    ...(several ? ['service'] : []),
    'pgbench tps (avg latency)',
    'service accepted/s',
    'service / pgbench',
    'service p50 / p99 (ms)',
    'RSS peak (MB)',
    'CPU per postback: Node / PostgreSQL (ms)',
    'WAL per postback (B)',
    'disk per conversion (B)',
    'verification',
  ]
  const rows = results.map((r) => [
    String(r.connections),
    ...(several ? [r.service.label] : []),
    r.pgbench
      ? `${whole(r.pgbench.tps)} (${r.pgbench.latencyMs.toFixed(2)} ms)`
      : options.embedded
        ? 'n/a (embedded)'
        : 'skipped',
    whole(r.acceptedPerSecond),
    r.pgbench ? `${(r.acceptedPerSecond / r.pgbench.tps).toFixed(2)}×` : 'n/a',
    `${ms(r.run.latency.p50)} / ${ms(r.run.latency.p99)}`,
    whole(r.memory.peak / MB),
    `${r.nodeCpuMs.toFixed(2)} / ${r.databaseCpuMs === null ? 'in Node' : r.databaseCpuMs.toFixed(2)}`,
    r.walBytes === null
      ? 'n/a'
      : `${whole(r.walBytes)}${r.walScope === 'cluster' ? ' (cluster)' : ''}`,
    diskPerConversion(r),
    r.verification.ok ? 'OK' : 'FAILED',
  ])
  return table(header, rows)
}

type Outcome = { figure: string; pass: boolean } | null
type Target = { name: string; judge: (at: (c: number) => LevelResult | undefined) => Outcome }

const ratioTarget = (connections: number, min: number): Target => ({
  name: `${connections} connections: accepted/s ≥ ${min}× pgbench tps`,
  judge: (at) => {
    const r = at(connections)
    if (!r?.pgbench) return null
    const ratio = r.acceptedPerSecond / r.pgbench.tps
    return { figure: `${ratio.toFixed(2)}×`, pass: ratio >= min }
  },
})

const POSTGRES_TARGETS: Target[] = [
  {
    name: "1 connection: p50 ≤ 2× pgbench's transaction latency",
    judge: (at) => {
      const r = at(1)
      if (!r?.pgbench) return null
      const limit = 2 * r.pgbench.latencyMs
      return {
        figure: `${ms(r.run.latency.p50)} ms vs 2 × ${r.pgbench.latencyMs.toFixed(2)} ms`,
        pass: r.run.latency.p50 <= limit,
      }
    },
  },
  ratioTarget(8, 0.8),
  ratioTarget(32, 1.5),
  ratioTarget(64, 2),
  {
    name: 'p99 at 32 connections ≤ 30 ms',
    judge: (at) => {
      const r = at(32)
      return r ? { figure: `${ms(r.run.latency.p99)} ms`, pass: r.run.latency.p99 <= 30 } : null
    },
  },
  {
    name: 'CPU per postback, Node + PostgreSQL backends ≤ 0.4 ms (at 32 connections)',
    judge: (at) => {
      const r = at(32)
      if (!r || r.databaseCpuMs === null) return null
      const sum = r.nodeCpuMs + r.databaseCpuMs
      return {
        figure: `${r.nodeCpuMs.toFixed(2)} + ${r.databaseCpuMs.toFixed(2)} = ${sum.toFixed(2)} ms`,
        pass: sum <= 0.4,
      }
    },
  },
]

const EMBEDDED_TARGETS: Target[] = [
  {
    name: 'embedded: ≥ 1,500 accepted postbacks/s at 32 connections',
    judge: (at) => {
      const r = at(32)
      return r
        ? { figure: `${whole(r.acceptedPerSecond)}/s`, pass: r.acceptedPerSecond >= 1500 }
        : null
    },
  },
  {
    name: 'embedded: single-connection p50 ≤ 5 ms',
    judge: (at) => {
      const r = at(1)
      return r ? { figure: `${ms(r.run.latency.p50)} ms`, pass: r.run.latency.p50 <= 5 } : null
    },
  },
]

/** RSS is judged on the peak of every level, not one. */
function judgeRss(rows: LevelResult[]): Outcome {
  const top = rows.reduce<LevelResult | undefined>(
    (max, r) => (max && max.memory.peak >= r.memory.peak ? max : r),
    undefined,
  )
  if (!top) return null
  return {
    figure: `${whole(top.memory.peak / MB)} MB (peak, at ${top.connections} connections)`,
    pass: top.memory.peak <= 200 * MB,
  }
}

function targetsTable(results: LevelResult[], options: SweepOptions) {
  const targets = options.embedded ? EMBEDDED_TARGETS : POSTGRES_TARGETS
  const several = options.services.length > 1
  const header = [
    'target (issue 16)',
    ...options.services.flatMap((s) => (several ? [s.label, 'result'] : ['measured', 'result'])),
  ]
  const cells = (outcome: Outcome) =>
    outcome ? [outcome.figure, outcome.pass ? 'pass' : 'miss'] : ['not measured', '—']
  const rows = targets.map((target) => [
    target.name,
    ...options.services.flatMap((s) =>
      cells(target.judge((c) => results.find((r) => r.service === s && r.connections === c))),
    ),
  ])
  if (!options.embedded) {
    rows.push([
      'RSS ≤ 200 MB',
      ...options.services.flatMap((s) => cells(judgeRss(results.filter((r) => r.service === s)))),
    ])
  }
  return table(header, rows)
}

function notes(results: LevelResult[], options: SweepOptions) {
  const first = options.services[0]?.label ?? 'this checkout'
  const busiest = results.reduce<LevelResult | undefined>(
    (top, r) => (top && top.connections >= r.connections ? top : r),
    undefined,
  )
  const groupCommit = Object.entries(process.env)
    .filter(([name]) => name.startsWith('GROUP_COMMIT_'))
    .map(([name, value]) => `${name}=${value}`)
  const lines = [
    `Each level: ${options.embedded ? '' : `pgbench on a fresh database migrated by ${first}, then `}the service started anew on a fresh ${options.embedded ? 'embedded PGlite data directory' : 'database'} (one process, \`node ${SERVICE_NODE_ARGS.join(' ')}\` as the Docker image runs it; ${options.embedded ? '' : 'DATABASE_POOL_MAX=20, '}LOG_LEVEL=info with the request log sent to /dev/null, rate limit out of reach${groupCommit.length > 0 ? `, ${groupCommit.join(', ')}` : ', group commit at its defaults'}), ${options.warmup} s of the same load as warm-up (not counted), then ${options.seconds} s measured.`,
    ...(options.embedded
      ? [
          'Embedded PGlite runs inside the service process: its Node CPU and RSS include the database; WAL is not measured; the verification opens the data directory after the service stops.',
        ]
      : [
          `pgbench: the minimal postback transaction of bench/pgbench.ts (conversion insert; ledger credit + balance upsert in one statement), unique tx ids, \`-n -j 2 -T ${options.seconds}\` at the same concurrency; its latency is pgbench's average per transaction.`,
        ]),
    `Load: unique approvals (a new tx_id per request, 1,000 users) from autocannon inside the bench process. The load generator${options.embedded ? '' : ', pgbench'}, the service and ${options.embedded ? 'its database' : 'PostgreSQL'} share this machine's ${availableParallelism()} cores; at ${busiest?.connections} connections autocannon used ${busiest?.run.loadCpuMs.toFixed(3)} ms of CPU per request (each level's figure in the details).`,
    'Latency: time to each 2xx answer as autocannon saw it (fractional ms); accepted/s counts 2xx answers over the measured seconds.',
    ...(options.embedded
      ? []
      : [
          "CPU: user + system time during the measured seconds of the service process and of this database's PostgreSQL backends, over accepted postbacks; background processes (WAL writer, checkpointer) are not counted.",
          "WAL: the records pg_waldump finds for this database during the measured seconds, with every record of the transactions that wrote them (commits included), over accepted postbacks. A CHECKPOINT before the warm-up keeps checkpoints out of the measured run, and the warm-up pays the full-page images of the pages every postback touches. Marked (cluster) where pg_waldump could not read the server's pg_wal: then it is the whole cluster's advance, other databases' writes included.",
        ]),
    `Disk per conversion: what conversions, ledger_entries, balances and postback_log (tables, indexes, TOAST) ${options.embedded ? 'hold' : 'grew by'} after the run, over conversions${options.embedded ? ' (the empty schema included: small runs overstate it)' : ''}.`,
    'Verification: every tx id answered 2xx (warm-up included) has a conversion credited exactly once; no conversion is credited twice or left uncredited; every balance equals its ledger sum.',
    'Targets are printed, not enforced: a miss does not fail the command; a failed verification or an unexpected status does.',
  ]
  return ['Notes:', ...lines.map((line) => `- ${line}`)].join('\n')
}

function details(results: LevelResult[], options: SweepOptions) {
  const several = options.services.length > 1
  const lines = results.map((r) => {
    const { result, statuses } = r.run
    const others = Object.entries(statuses).filter(([status]) => Number(status) >= 300)
    const conversions = conversionsOf(r)
    const disk = r.storage
      .map((t) => {
        const bytes = grownBytes(r, t.table)
        return `${t.table} ${conversions > 0 ? whole(bytes / conversions) : 'n/a'} B`
      })
      .join(', ')
    const verification = r.verification.ok
      ? r.verification.summary
      : `FAILED (${r.verification.failures.join('; ')}): ${r.verification.summary}`
    return `${r.connections} connection${r.connections === 1 ? '' : 's'}${several ? `, ${r.service.label}` : ''}: ${whole(r.run.accepted.length)} answered 2xx in ${result.duration} s${others.length > 0 ? ` (others: ${others.map(([s, n]) => `${s}: ${n}`).join(', ')})` : ''}, errors ${result.errors}, timeouts ${result.timeouts}, max latency ${ms(r.run.latency.max)} ms; autocannon ${r.run.loadCpuMs.toFixed(3)} ms CPU per request; RSS at end ${whole(r.memory.rss / MB)} MB;${r.clusterWalBytes === null ? '' : ` WAL per postback, whole cluster: ${whole(r.clusterWalBytes)} B;`} disk per conversion by table: ${disk} (${whole(conversions)} conversions); verification: ${verification}.`
  })
  return ['Details:', ...lines.map((line) => `- ${line}`)].join('\n')
}
