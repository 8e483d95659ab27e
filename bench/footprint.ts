// What a run cost the database: CPU of this database's backends and of the service processes,
// WAL written, and disk used per table. Feeds docs/SCALING.md.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { adminQuery } from './service.js'

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
export async function walBytesSince(lsn: string): Promise<number> {
  const rows = await adminQuery<{ bytes: string }>(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${lsn.replace(/[^0-9A-F/]/gi, '')}')::text AS bytes`,
  )
  return Number(rows[0]?.bytes ?? 0)
}

const TABLES = ['conversions', 'ledger_entries', 'balances', 'postback_log'] as const

/** Rows and bytes (table + indexes + TOAST) of the tables a postback writes. */
export async function storageByTable(url: string) {
  const rows = await adminQuery<{ table: string; rows: string; bytes: string }>(
    TABLES.map(
      (table) =>
        `SELECT '${table}' AS table, (SELECT count(*) FROM ${table})::text AS rows,
                pg_total_relation_size('${table}')::text AS bytes`,
    ).join(' UNION ALL '),
    url,
  )
  return rows.map((row) => ({ table: row.table, rows: Number(row.rows), bytes: Number(row.bytes) }))
}
