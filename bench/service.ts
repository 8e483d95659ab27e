// Shared by the bench scripts: fresh databases, the built service as a child process, ports,
// readiness and memory. Every child started here is tracked so a failing run can kill it.
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { type AddressInfo, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

export const SECRET = 'bench-secret-0123456789'
export const ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'

const children = new Set<ChildProcess>()
const databases = new Set<string>()
const tempDirs = new Set<string>()

/** Starts a child process that is killed by killChildren(), whatever happens to the run. */
export function spawnTracked(
  command: string,
  args: string[],
  options: Parameters<typeof spawn>[2],
) {
  const child = spawn(command, args, options)
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

export async function stopChild(child: ChildProcess, timeoutMs = 10_000) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  await exited
  clearTimeout(timer)
}

export function killChildren() {
  for (const child of children) child.kill('SIGKILL')
}

/** Kills every tracked child and drops every database this process created and still holds. */
export async function cleanUpAll() {
  killChildren()
  for (const name of databases) {
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((error: Error) => {
      process.stderr.write(`could not drop database ${name}: ${error.message}\n`)
    })
    databases.delete(name)
  }
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true })
  tempDirs.clear()
}

export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  url = ADMIN_URL,
) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  await client.connect()
  try {
    return (await client.query<T>(sql)).rows
  } finally {
    await client.end()
  }
}

/** A fresh, empty database; returns its URL and a drop() that removes it. */
export async function createDatabase(prefix: string) {
  const name = `${prefix}_${Date.now()}_${process.pid}`
  await adminQuery(`CREATE DATABASE ${name}`)
  databases.add(name)
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return {
    name,
    url: url.toString(),
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      databases.delete(name)
    },
  }
}

export type Service = {
  /** The first instance; `bases` lists every instance. */
  base: string
  bases: string[]
  pid: number | undefined
  pids: number[]
  /** null on embedded PGlite: its data directory belongs to the server process. */
  databaseUrl: string | null
  /** Embedded PGlite only: the data directory, readable once stopProcesses() has returned. */
  dataDir: string | null
  /** Stops the processes and keeps the database (to inspect it); stop() then removes it. */
  stopProcesses: () => Promise<void>
  stop: () => Promise<void>
}

/**
 * The built service (dist/server.js) on a fresh database, ready to take requests; with
 * `instances` > 1, that many processes on the same database (PostgreSQL only).
 */
/** The Node options the Docker image runs the service with (its NODE_OPTIONS). */
export const SERVICE_NODE_ARGS = ['--max-old-space-size=512']

export async function startService(options: {
  embedded: boolean
  instances?: number
  /** Extra settings for the service (e.g. DELIVERY_RULES_FILE). */
  env?: Record<string, string>
  /** Node options for the service process (e.g. --cpu-prof, not allowed in NODE_OPTIONS). */
  nodeArgs?: string[]
  /** Where dist/server.js is (another build, to compare); the current directory by default. */
  cwd?: string
}): Promise<Service> {
  const instances = options.instances ?? 1
  if (options.embedded && instances > 1)
    throw new Error('several instances need PostgreSQL: one embedded database has one owner')
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', // the default: request logging is part of the cost
    POSTBACK_SECRET: SECRET,
    DOTENV_CONFIG_PATH: '/nonexistent/.env',
    RATE_LIMIT_MAX: '1000000',
    // Compare settings, e.g. group commit off: GROUP_COMMIT_WINDOW_MS=0 npm run bench
    ...Object.fromEntries(
      Object.entries(process.env).filter(([name]) => name.startsWith('GROUP_COMMIT_')),
    ),
  }
  let cleanup: () => Promise<void>
  let databaseUrl: string | null = null
  let pgliteDir: string | null = null
  if (options.embedded) {
    const dataDir = await mkdtemp(join(tmpdir(), 'pbr-bench-'))
    pgliteDir = join(dataDir, 'pglite')
    env.PGLITE_DATA_DIR = pgliteDir
    tempDirs.add(dataDir)
    cleanup = async () => {
      await rm(dataDir, { recursive: true, force: true })
      tempDirs.delete(dataDir)
    }
  } else {
    const db = await createDatabase('pbr_bench')
    env.DATABASE_URL = db.url
    env.DATABASE_POOL_MAX = '20'
    databaseUrl = db.url
    cleanup = db.drop
  }

  const servers: ChildProcess[] = []
  const bases: string[] = []
  const stopProcesses = async () => {
    await Promise.all(servers.map((server) => stopChild(server)))
  }
  const stop = async () => {
    await stopProcesses()
    await cleanup()
  }
  try {
    // One at a time: the first applies the migrations.
    for (let i = 0; i < instances; i++) {
      const port = await freePort()
      // The request log goes to /dev/null: writing it is part of the cost, keeping it is not.
      const server = spawnTracked(
        process.execPath,
        [...SERVICE_NODE_ARGS, ...(options.nodeArgs ?? []), 'dist/server.js'],
        {
          env: { ...env, ...options.env, PORT: String(port) },
          cwd: options.cwd,
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      )
      servers.push(server)
      bases.push(`http://127.0.0.1:${port}`)
      // A first embedded start creates the database: seconds when quiet, far more on a busy machine.
      await waitForReady(
        `http://127.0.0.1:${port}/readyz`,
        server,
        options.embedded ? 120_000 : 30_000,
      )
    }
  } catch (error) {
    await stop()
    throw error
  }
  const pids = servers.map((server) => server.pid ?? 0)
  return {
    base: bases[0] as string,
    bases,
    pid: pids[0],
    pids,
    databaseUrl,
    dataDir: pgliteDir,
    stopProcesses,
    stop,
  }
}

export async function waitForReady(url: string, child?: ChildProcess, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${url}: the process exited early`)
    const ready = await fetch(url).then(
      (r) => r.ok,
      () => false,
    )
    if (ready) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url} did not become ready in ${timeoutMs / 1000} s`)
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo
      probe.close(() => resolve(port))
    })
    probe.on('error', reject)
  })
}

/** Resident memory of a process in MiB (VmRSS), 0 if it cannot be read. */
export function readRss(pid: number | undefined): number {
  return Math.round(readMemory(pid).rss / 1024 / 1024)
}

/** Resident memory now (VmRSS) and its peak since the process started (VmHWM), in bytes. */
export function readMemory(pid: number | undefined): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0)
    return { rss: kib('VmRSS') * 1024, peak: kib('VmHWM') * 1024 }
  } catch {
    return { rss: 0, peak: 0 }
  }
}
