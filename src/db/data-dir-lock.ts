import { randomBytes } from 'node:crypto'
import { readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'

// One process per embedded data directory: PGlite keeps the database in memory and writes it
// back on its own schedule, so a second process on the same files loses its writes (or the
// first one's) without a word. The holder keeps a lock file in the directory, created with
// O_EXCL, naming its pid, host, boot and process start time. A lock whose process is gone
// (kill -9 leaves it behind) is stale and taken over; a live pid that started at another time
// than the one recorded is a reused pid, also stale. The holder touches the file every
// HEARTBEAT_MS: a lock from another host (a directory shared between containers or machines),
// whose pid cannot be checked here, is stale once it has not been touched for REMOTE_STALE_MS.

export const LOCK_FILE = 'postback-receiver.lock'
// Beside the lock, once the holder serves HTTP: where it listens and whether its admin API is
// on, so a CLI command that finds the directory held goes through the service (cli/service.ts).
export const SERVICE_FILE = 'postback-receiver.service.json'
// A lock too new to hold its owner yet (created, not yet written) is left alone for this long.
const UNREADABLE_GRACE_MS = 10_000
const HEARTBEAT_MS = 10_000
const REMOTE_STALE_MS = 60_000

type Owner = {
  pid: number
  host: string
  boot?: string
  start?: string
  since: string
  nonce: string
}

export class DataDirInUseError extends Error {
  constructor(
    message: string,
    readonly dir: string,
    /** The holder as its lock names it (null: still starting); its nonce pairs its service file. */
    readonly holder: Pick<Owner, 'pid' | 'host' | 'nonce'> | null,
  ) {
    super(message)
    this.name = 'DataDirInUseError'
  }
}

/** What the holder of a data directory serves, from its service file. */
export type AnnouncedService = {
  /** Its HTTP address as reached from this machine (http://127.0.0.1:3000). */
  url: string
  /** Whether its admin API is on (ADMIN_TOKEN set). */
  adminApi: boolean
  pid: number
}

export type DataDirLock = {
  path: string
  /** Records where the holder serves HTTP (SERVICE_FILE); removed on release. */
  announce(service: Omit<AnnouncedService, 'pid'>): void
  release(): void
}

const heldHere = new Map<string, DataDirLock>()

/** Takes the directory's lock, or throws DataDirInUseError naming the process that holds it. */
export function lockDataDir(dir: string): DataDirLock {
  const path = join(dir, LOCK_FILE)
  if (heldHere.has(path)) throw inUse(dir, ownerNow(), path)
  const me = ownerNow()
  const text = JSON.stringify(me)
  for (let attempt = 0; attempt < 5; attempt += 1) {
    try {
      writeFileSync(path, text, { flag: 'wx', mode: 0o644 })
      const heartbeat = setInterval(() => touch(path), HEARTBEAT_MS)
      heartbeat.unref()
      const servicePath = join(dir, SERVICE_FILE)
      const lock = {
        path,
        announce: (service: Omit<AnnouncedService, 'pid'>) => {
          // Written whole, then renamed: a reader never sees half a file.
          const text = JSON.stringify({ ...service, pid: me.pid, nonce: me.nonce })
          writeFileSync(`${servicePath}.${me.nonce}`, text, { mode: 0o644 })
          renameSync(`${servicePath}.${me.nonce}`, servicePath)
        },
        release: () => {
          clearInterval(heartbeat)
          release(path, servicePath, me.nonce)
        },
      }
      heldHere.set(path, lock)
      return lock
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const found = readOrNull(path)
    if (found === null) continue // released meanwhile
    const owner = parseOwner(found)
    if (owner === null ? touchedWithin(path, UNREADABLE_GRACE_MS) : isAlive(owner, path))
      throw inUse(dir, owner, path)
    takeOverStale(path, found, me.nonce)
  }
  throw inUse(dir, parseOwner(readOrNull(path) ?? ''), path)
}

/**
 * The service that holds the directory, as its service file describes it: only a file written
 * by the holder of the lock that refused us (same nonce) on this host, never one a previous
 * holder left behind.
 */
export function announcedService(error: DataDirInUseError): AnnouncedService | null {
  const holder = error.holder
  if (!holder || holder.host !== hostname()) return null
  try {
    const value = JSON.parse(readOrNull(join(error.dir, SERVICE_FILE)) ?? 'null') as {
      url?: unknown
      adminApi?: unknown
      pid?: unknown
      nonce?: unknown
    } | null
    if (
      value?.nonce !== holder.nonce ||
      typeof value.url !== 'string' ||
      !/^https?:\/\//.test(value.url)
    )
      return null
    return { url: value.url, adminApi: value.adminApi === true, pid: holder.pid }
  } catch {
    return null
  }
}

function inUse(dir: string, owner: Owner | null, path: string): DataDirInUseError {
  const holder = owner && { pid: owner.pid, host: owner.host, nonce: owner.nonce }
  return new DataDirInUseError(inUseMessage(dir, owner, path), dir, holder)
}

/** Moves a stale lock aside atomically; if what moved is not what was judged stale, puts it back. */
function takeOverStale(path: string, judged: string, nonce: string) {
  const aside = `${path}.stale-${nonce}`
  try {
    renameSync(path, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  const moved = readOrNull(aside)
  if (moved !== judged && moved !== null) {
    // Another process took the lock between our read and the rename: give it back.
    try {
      writeFileSync(path, moved, { flag: 'wx', mode: 0o644 })
    } catch {}
  }
  try {
    unlinkSync(aside)
  } catch {}
}

function release(path: string, servicePath: string, nonce: string) {
  if (!heldHere.has(path)) return
  heldHere.delete(path)
  // Only our own files: never those of a process that took over after us.
  if (nonceOf(readOrNull(servicePath)) === nonce) {
    try {
      unlinkSync(servicePath)
    } catch {}
  }
  if (parseOwner(readOrNull(path) ?? '')?.nonce !== nonce) return
  try {
    unlinkSync(path)
  } catch {}
}

// A process that exits without closing (process.exit after a fatal error) still lets go.
process.on('exit', () => {
  for (const lock of [...heldHere.values()]) lock.release()
})

function ownerNow(): Owner {
  return {
    pid: process.pid,
    host: hostname(),
    boot: bootId(),
    start: processStart(process.pid),
    since: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  }
}

function isAlive(owner: Owner, path: string): boolean {
  // Another host (or container) sharing the directory: its processes cannot be checked here,
  // but a live holder keeps touching the file.
  if (owner.host !== hostname()) return touchedWithin(path, REMOTE_STALE_MS)
  const boot = bootId()
  if (owner.boot && boot && owner.boot !== boot) return false // the machine restarted since
  if (owner.pid === process.pid) return false // a previous life of this pid (not held here)
  try {
    process.kill(owner.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false
  }
  const start = processStart(owner.pid)
  if (owner.start && start && owner.start !== start) return false // the pid was reused
  return true
}

function inUseMessage(dir: string, owner: Owner | null, path: string): string {
  const who = !owner
    ? 'a process that is still starting'
    : owner.pid === process.pid && owner.host === hostname()
      ? `this process, pid ${owner.pid}`
      : `pid ${owner.pid}${owner.host === hostname() ? '' : ` on ${owner.host}`}, since ${owner.since}`
  const remote =
    owner && owner.host !== hostname()
      ? ` (if that process no longer runs, its lock ${path} is taken over ${REMOTE_STALE_MS / 1000} s after its last refresh)`
      : ''
  return `the embedded database ${dir} is in use (${who}), e.g. the running service: use that service's admin API or dashboard, stop it, or set DATABASE_URL to a PostgreSQL server${remote}`
}

function parseOwner(text: string): Owner | null {
  try {
    const value = JSON.parse(text) as Partial<Owner>
    if (Number.isSafeInteger(value.pid) && typeof value.host === 'string' && value.nonce)
      return value as Owner
  } catch {}
  return null
}

function nonceOf(text: string | null): unknown {
  try {
    return (JSON.parse(text ?? 'null') as { nonce?: unknown } | null)?.nonce
  } catch {
    return undefined
  }
}

function touchedWithin(path: string, ms: number): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < ms
  } catch {
    return false
  }
}

function touch(path: string) {
  try {
    const now = new Date()
    utimesSync(path, now, now)
  } catch {}
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw error
  }
}

/** Linux: this boot's id; elsewhere undefined (then only the pid is checked). */
function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
  } catch {
    return undefined
  }
}

/** Linux: when the process started (clock ticks since boot), which a reused pid does not share. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces) start at field 3; start is field 22.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}
