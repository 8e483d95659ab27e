import { Readable, Writable } from 'node:stream'
import { main } from '../../src/cli/main.js'
import { USING_REAL_POSTGRES } from './database.js'
import { exitOf, spawnTs } from './processes.js'

/**
 * CLI tests run the command against the test file's database. An embedded database belongs to
 * the one process that opened it: the test process holds it open, so a command cannot open it
 * again (in this process or another); those tests need DATABASE_URL.
 */
export const CLI_SKIP: string | false = USING_REAL_POSTGRES
  ? false
  : 'runs the CLI on the test database, which needs a real PostgreSQL (DATABASE_URL): an embedded database belongs to the test process'

export type CliRun = { code: number | null; stdout: string; stderr: string }

/**
 * `postback-receiver <args>` run in this process (src/cli/main.ts) with only the given
 * environment (and `terminalInput` typed at a terminal, if given; else stdin is no terminal):
 * the command's exit code, and what it wrote to stdout and stderr. The process
 * edge (index.ts: .env, the exit code) is covered by the tests that use `spawnCli`.
 */
export async function runCli(
  args: string[],
  env: Record<string, string>,
  options: { terminalInput?: string } = {},
): Promise<CliRun> {
  const stdout = capture()
  const stderr = capture()
  const code = await main(args, {
    env: { ...env },
    stdout: stdout.stream,
    stderr: stderr.stream,
    stdin: terminal(options.terminalInput),
  })
  return { code, stdout: stdout.text(), stderr: stderr.text() }
}

/** What an operator types at a terminal (stdin.isTTY); undefined: no terminal, as in cron. */
function terminal(typed: string | undefined) {
  if (typed === undefined) return Readable.from([])
  return Object.assign(Readable.from([typed]), { isTTY: true })
}

function capture() {
  let text = ''
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk
      done()
    },
  })
  return { stream, text: () => text }
}

/**
 * `postback-receiver <args>` as a process (src/cli/index.ts through tsx) with only the given
 * environment: for what only a process shows (its exit status, a lock held by another process).
 */
export async function spawnCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 120_000,
): Promise<CliRun> {
  const child = spawnTs('src/cli/index.ts', args, env)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr?.on('data', (chunk) => {
    stderr += chunk
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  try {
    return { code: await exitOf(child), stdout, stderr }
  } finally {
    clearTimeout(timer)
  }
}
