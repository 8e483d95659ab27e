// What a run cost the database: CPU of this database's backends and of the service processes,
// WAL written, and disk used per table. Feeds docs/SCALING.md.
import { execFileSync } from 'node:child_process'
import { accessSync, constants, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { adminQuery, spawnTracked } from './service.js'

const TICKS_PER_SECOND = Number(String(execFileSync('getconf', ['CLK_TCK'])).trim()) || 100

/** User + system CPU seconds used so far by these processes (those already gone count 0). */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0
  for (const pid of pids) {
    try {
      // Fields after the command name: state is 3rd, utime 14th and stime 15th overall.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {}
  }
  return ticks / TICKS_PER_SECOND
}

/** CPU seconds used so far by each backend serving this database now. */
export async function backendCpu(url: string): Promise<Map<number, number>> {
  const pids = await backendPids(url)
  return new Map(pids.map((pid) => [pid, cpuSeconds([pid])]))
}

/**
 * CPU seconds this database's backends used since `before` (from backendCpu): a backend started
 * since counts whole; one that ended since is lost (a pool keeps its busy connections).
 */
export async function backendCpuSince(url: string, before: Map<number, number>) {
  let seconds = 0
  for (const [pid, cpu] of await backendCpu(url)) seconds += cpu - (before.get(pid) ?? 0)
  return seconds
}

/** The backends serving this database now (the service's pools). */
export async function backendPids(url: string): Promise<number[]> {
  const rows = await adminQuery<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    url,
  )
  return rows.map((row) => row.pid)
}

export async function walPosition(): Promise<string> {
  const rows = await adminQuery<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')
  return rows[0]?.lsn ?? '0/0'
}

/** WAL bytes written by the whole cluster since `lsn` (other databases' writes included). */
export async function walBytesSince(lsn: string, until?: string): Promise<number> {
  const position = (value: string) => `'${value.replace(/[^0-9A-F/]/gi, '')}'`
  const end = until ? position(until) : 'pg_current_wal_lsn()'
  const rows = await adminQuery<{ bytes: string }>(
    `SELECT pg_wal_lsn_diff(${end}, ${position(lsn)})::text AS bytes`,
  )
  return Number(rows[0]?.bytes ?? 0)
}

/**
 * WAL bytes written for one database between two positions: its records, and every record of
 * the transactions that wrote them (commits included), read with pg_waldump from the local
 * server's pg_wal. Null when that is not possible (remote server, no pg_waldump, no read access,
 * segments already recycled); the caller then falls back to the whole cluster's advance.
 */
export async function walBytesOfDatabase(url: string, from: string, to: string) {
  const [settings] = await adminQuery<{ dir: string; version: string; oid: string }>(
    `SELECT current_setting('data_directory') AS dir, current_setting('server_version_num') AS version,
            (SELECT oid::text FROM pg_database WHERE datname = current_database()) AS oid`,
    url,
  )
  if (!settings) return null
  const major = Math.floor(Number(settings.version) / 10_000)
  const waldump = process.env.PG_WALDUMP ?? `/usr/lib/postgresql/${major}/bin/pg_waldump`
  const walDir = join(settings.dir, 'pg_wal')
  try {
    accessSync(walDir, constants.R_OK | constants.X_OK)
  } catch {
    return null
  }
  if (!existsSync(waldump)) return null
  const ours = new RegExp(`(?:rel \\d+|base)/${settings.oid}/`)
  const child = spawnTracked(waldump, ['-p', walDir, '-s', from, '-e', to], {
    stdio: ['ignore', 'pipe', 'ignore'],
  })
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  const xids = new Set<string>()
  let bytes = 0
  // rmgr: Heap len (rec/tot): 79/ 79, tx: 739, lsn: 0/01A2B3C8, prev ..., desc: ... rel 1663/16384/16390 ...
  for await (const line of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
    const record = /len \(rec\/tot\):\s*\d+\/\s*(\d+), tx:\s*(\d+)/.exec(line)
    if (!record) continue
    const [, total, xid] = record as unknown as [string, string, string]
    if (ours.test(line)) {
      bytes += Number(total)
      if (xid !== '0') xids.add(xid)
    } else if (xids.has(xid)) {
      bytes += Number(total)
    }
  }
  return (await exited) === 0 ? bytes : null
}

/** Writes every dirty page out now, so that no checkpoint falls in the next measured run. */
export async function checkpoint() {
  await adminQuery('CHECKPOINT')
}

const TABLES = ['conversions', 'ledger_entries', 'balances', 'postback_log'] as const

/** Runs one statement on some database (real PostgreSQL or an embedded data directory). */
export type Query = <T>(sql: string, params?: unknown[]) => Promise<T[]>

/** Rows and bytes (table + indexes + TOAST) of the tables a postback writes. */
export async function storageByTable(query: Query) {
  const rows = await query<{ table: string; rows: string; bytes: string }>(
    TABLES.map(
      (table) =>
        `SELECT '${table}' AS table, (SELECT count(*) FROM ${table})::text AS rows,
                pg_total_relation_size('${table}')::text AS bytes`,
    ).join(' UNION ALL '),
  )
  return rows.map((row) => ({ table: row.table, rows: Number(row.rows), bytes: Number(row.bytes) }))
}
