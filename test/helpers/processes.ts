import { type ChildProcess, type StdioOptions, spawn } from 'node:child_process'
import { once } from 'node:events'
import { after } from 'node:test'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

// Every process a test starts through these helpers. One left running (an assertion failed
// before its stop, or nobody stopped it) would keep its port and its embedded data directory,
// and its pipes would keep the test process, and so npm test, from ever finishing: once the
// file's tests are done it gets SIGTERM, then SIGKILL; and SIGKILL if the test process exits.
const running = new Set<ChildProcess>()
after(() => Promise.all([...running].map((child) => stopProcess(child))))
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/**
 * `node --import tsx <entry> [args]` in the package root, with only `env`: no inherited
 * variables and no developer's .env (the test says what the process sees).
 */
export function spawnTs(
  entry: string,
  args: string[],
  env: Record<string, string>,
  stdio: StdioOptions = ['ignore', 'pipe', 'pipe'],
): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', DOTENV_CONFIG_PATH: '/nonexistent/.env', ...env },
    stdio,
  })
  running.add(child)
  child.once('exit', () => running.delete(child))
  return child
}

/** The exit code once `child` has ended (null when a signal ended it). */
export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return once(child, 'exit').then(([code]) => code as number | null)
}

/**
 * Sends `signal` and waits for the exit; still running after `graceMs` (longer than the
 * service's own shutdown timeout), it is killed. Resolves with the exit code.
 */
export async function stopProcess(
  child: ChildProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 30_000,
): Promise<number | null> {
  const exited = exitOf(child)
  if (child.exitCode === null && child.signalCode === null) child.kill(signal)
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
  try {
    return await exited
  } finally {
    clearTimeout(timer)
  }
}
