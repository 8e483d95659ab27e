import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import {
  DataDirInUseError,
  LOCK_FILE,
  lockDataDir,
  SERVICE_FILE,
} from '../../src/db/data-dir-lock.js'
import { runCli, spawnCli } from '../helpers/cli.js'
import { startServer } from '../helpers/server.js'
import { copyMigratedDataDir } from '../helpers/template.js'

// Two processes on one embedded data directory lose each other's writes: the second opener
// must stop, saying who holds it, and change nothing. This runs the embedded database in
// spawned processes whatever DATABASE_URL says.
const SECRET = 'lock-test-secret-0123456789'
const ADMIN_TOKEN = 'lock-test-admin-token-0123'
let dir: string
let env: Record<string, string>

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pbr-lock-'))
  const dataDir = join(dir, 'pglite')
  await copyMigratedDataDir(dataDir)
  env = { PGLITE_DATA_DIR: dataDir, POSTBACK_SECRET: SECRET, ADMIN_TOKEN }
})
after(() => rm(dir, { recursive: true, force: true }))

async function balance(url: string, user: string): Promise<number> {
  const response = await fetch(`${url}/admin/users/${user}`, {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  })
  if (response.status === 404) return 0
  const body = (await response.json()) as { balance: string | number }
  return Number(body.balance)
}

test('a CLI write beside a holder that serves no admin API is refused, changes nothing, and works once the holder is gone (also after kill -9)', async () => {
  // The refusal is the CLI process's; once the service is gone, the command may run in this one.
  const args = ['adjust', 'u', '5', '--reason', 'x']
  let server = await startServer(env)
  try {
    // Without the file where the service says where it listens (a worker, another instance,
    // an older version), a command has no service to go through (test/cli/beside-service).
    rmSync(join(dir, 'pglite', SERVICE_FILE))
    const credit = await fetch(
      `${server.url}/api/postback?${new URLSearchParams({ tx_id: 't1', offer_id: 'o', payout: '1.00', user_id: 'u', secret: SECRET })}`,
    )
    assert.equal(credit.status, 200)
    assert.equal(await balance(server.url, 'u'), 100)

    const refused = await spawnCli(args, env)
    assert.equal(refused.code, 1, refused.stdout)
    assert.equal(refused.stdout, '')
    const lines = refused.stderr.trim().split('\n')
    assert.equal(lines.length, 1, refused.stderr)
    assert.match(
      lines[0] ?? '',
      new RegExp(
        `^adjust failed: the embedded database .*pglite is in use \\(pid ${server.child.pid}, since .*\\).*admin API or dashboard, stop it, or set DATABASE_URL`,
      ),
    )
    assert.ok(!refused.stderr.includes('Aborted'))
    assert.equal(await balance(server.url, 'u'), 100)
  } finally {
    await server.stop()
  }
  assert.equal(await server.exited, 0)
  assert.equal(existsSync(join(dir, 'pglite', LOCK_FILE)), false, 'a clean stop releases the lock')

  const afterStop = await runCli(args, env)
  assert.equal(afterStop.code, 0, afterStop.stderr)
  assert.match(afterStop.stdout, /balance 105$/m)

  // kill -9 leaves the lock file behind; its pid is dead, so the next opener takes it over.
  server = await startServer(env)
  assert.equal(await balance(server.url, 'u'), 105)
  server.child.kill('SIGKILL')
  await server.exited
  assert.equal(existsSync(join(dir, 'pglite', LOCK_FILE)), true)
  const afterKill = await runCli(args, env)
  assert.equal(afterKill.code, 0, afterKill.stderr)
  assert.match(afterKill.stdout, /balance 110$/m)

  server = await startServer(env)
  try {
    assert.equal(await balance(server.url, 'u'), 110, 'both adjustments survived the restarts')
  } finally {
    await server.stop()
  }
})

function lockOf(pid: number, start?: string) {
  return JSON.stringify({
    pid,
    host: hostname(),
    start,
    since: '2026-01-01T00:00:00.000Z',
    nonce: 'other',
  })
}

function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
  } catch {
    return undefined
  }
}

test('a lock held by a live process is respected; a dead or reused pid is taken over', async () => {
  const lockDir = join(dir, 'unit')
  await mkdir(lockDir, { recursive: true })
  const path = join(lockDir, LOCK_FILE)
  const sleeper: ChildProcess = spawn('sleep', ['30'], { stdio: 'ignore' })
  try {
    const pid = sleeper.pid ?? 0
    writeFileSync(path, lockOf(pid, processStart(pid)))
    assert.throws(
      () => lockDataDir(lockDir),
      (error: Error) => {
        assert.ok(error instanceof DataDirInUseError)
        assert.match(error.message, new RegExp(`in use \\(pid ${pid}, since `))
        return true
      },
    )
    assert.match(readFileSync(path, 'utf8'), /"nonce":"other"/, 'the holder keeps its lock')

    if (processStart(pid) !== undefined) {
      // The same pid now belongs to a process that started at another time: reused, stale.
      writeFileSync(path, lockOf(pid, '1'))
      lockDataDir(lockDir).release()
      assert.equal(existsSync(path), false)
    }
  } finally {
    sleeper.kill('SIGKILL')
    await once(sleeper, 'exit')
  }
  // The holder is gone (kill -9): its lock is stale.
  writeFileSync(path, lockOf(sleeper.pid ?? 0))
  let lock = lockDataDir(lockDir)
  assert.match(readFileSync(path, 'utf8'), new RegExp(`"pid":${process.pid}`))
  // Another host's lock: respected while its holder keeps touching it, taken over once not.
  lock.release()
  writeFileSync(path, JSON.stringify({ pid: 1, host: 'another-host', since: 'x', nonce: 'far' }))
  assert.throws(() => lockDataDir(lockDir), /in use \(pid 1 on another-host, since x\)/)
  const twoMinutesAgo = new Date(Date.now() - 120_000)
  utimesSync(path, twoMinutesAgo, twoMinutesAgo)
  lock = lockDataDir(lockDir)
  assert.match(readFileSync(path, 'utf8'), new RegExp(`"pid":${process.pid}`))
  // The same directory twice in one process is refused too.
  assert.throws(() => lockDataDir(lockDir), /in use \(this process/)
  lock.release()
  assert.equal(existsSync(path), false)
})
