// The database ceiling: pgbench running the minimal postback transaction (conversion row,
// ledger credit + balance upsert in one statement, as src/ledger/ledger.ts does) on a fresh
// database migrated by the service's own CLI.
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createDatabase, spawnTracked } from './service.js'

export const PGBENCH = process.env.PGBENCH ?? '/usr/bin/pgbench'

// Unique tx ids: a random 62-bit number per transaction, qualified by the pgbench client id.
const SCRIPT = `\\set n random(1, 4611686018427387903)
\\set u random(0, 999)
BEGIN;
INSERT INTO conversions (network, tx_id, offer_id, user_id, payout, currency, points, status, network_status)
  VALUES ('default', 'pgb-' || :client_id || '-' || :n, '7', 'user-' || :u, 3.50, NULL, 350, 'approved', NULL)
  RETURNING id AS conversion_id \\gset
WITH entry AS (
  INSERT INTO ledger_entries (user_id, conversion_id, kind, points)
  VALUES ('user-' || :u, :conversion_id, 'credit', 350)
  ON CONFLICT DO NOTHING
  RETURNING user_id, points
)
INSERT INTO balances AS b (user_id, points)
SELECT user_id, points FROM entry
ON CONFLICT (user_id) DO UPDATE SET points = b.points + EXCLUDED.points, updated_at = now();
COMMIT;
`

/** tps and the average transaction latency (ms) at one client count. */
export type PgbenchResult = { clients: number; tps: number; latencyMs: number }

/**
 * tps at each client count, or null (with the reason on stderr) when pgbench is missing. The
 * database is migrated by the checkout at `serviceDir` (default: this one).
 */
export async function measurePgbench(
  clientCounts: number[],
  seconds: number,
  serviceDir = '.',
): Promise<PgbenchResult[] | null> {
  if (!existsSync(PGBENCH)) {
    process.stderr.write(`pgbench: skipped, ${PGBENCH} not found (set PGBENCH=/path/to/pgbench)\n`)
    return null
  }
  const db = await createDatabase('pbr_pgbench')
  const dir = await mkdtemp(join(tmpdir(), 'pbr-pgbench-'))
  try {
    await migrate(db.url, serviceDir)
    const script = join(dir, 'postback.sql')
    await writeFile(script, SCRIPT)
    const results: PgbenchResult[] = []
    for (const clients of clientCounts) {
      process.stderr.write(`pgbench: ${clients} clients, ${seconds} s\n`)
      const url = new URL(db.url)
      const output = await run(
        PGBENCH,
        [
          '-h',
          url.hostname,
          '-p',
          url.port || '5432',
          '-U',
          decodeURIComponent(url.username || 'postgres'),
          '-n',
          '-c',
          String(clients),
          '-j',
          '2',
          '-T',
          String(seconds),
          '-f',
          script,
          url.pathname.slice(1),
        ],
        (seconds + 60) * 1000,
      )
      const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(output)?.[1]
      const latency = /latency average = ([\d.]+) ms/.exec(output)?.[1]
      if (!tps || !latency) throw new Error(`pgbench printed no tps or latency:\n${output}`)
      results.push({ clients, tps: Number(tps), latencyMs: Number(latency) })
    }
    return results
  } finally {
    await rm(dir, { recursive: true, force: true })
    await db.drop()
  }
}

/** Applies the project's migrations with the built CLI of the checkout at `serviceDir`. */
function migrate(databaseUrl: string, serviceDir: string) {
  const cli = join(resolve(serviceDir), 'dist/cli/index.js')
  return run(process.execPath, [cli, 'migrate'], 60_000, {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: databaseUrl,
    DOTENV_CONFIG_PATH: '/nonexistent/.env',
    POSTBACK_SECRET: 'bench-secret-0123456789',
  })
}

/** Runs a command to completion within timeoutMs; returns stdout + stderr, throws on failure. */
function run(command: string, args: string[], timeoutMs: number, env?: Record<string, string>) {
  return new Promise<string>((resolve, reject) => {
    const child = spawnTracked(command, args, {
      env: env ?? { PATH: process.env.PATH ?? '', PGPASSWORD: process.env.PGPASSWORD ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout?.on('data', (chunk) => {
      output += chunk
    })
    child.stderr?.on('data', (chunk) => {
      output += chunk
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve(output)
      else reject(new Error(`${command} ${args.join(' ')} failed (${signal ?? code}):\n${output}`))
    })
  })
}
