import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
// Only what a test passes reaches the server: no inherited variables, no developer's .env.
const BASE_ENV = {
  PATH: process.env.PATH ?? '',
  HOST: '127.0.0.1',
  PORT: '0',
  DOTENV_CONFIG_PATH: '/nonexistent/.env',
}

export type RunningServer = {
  child: ChildProcess
  url: string
  output: () => string
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** Starts the real server process (src/server.ts through tsx) and waits until it listens. */
export async function startServer(
  env: Record<string, string>,
  timeoutMs = 90_000, // generous: an embedded start on a busy 2-core machine can take 30 s
): Promise<RunningServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { ...BASE_ENV, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = once(child, 'exit').then(([code]) => code as number | null)
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Never leave it running: it would hold its port and its embedded data directory.
      child.kill('SIGKILL')
      reject(new Error(`server did not start in time:\n${output}`))
    }, timeoutMs)
    const poll = setInterval(() => {
      const match = /"msg":"Server listening at (https?:\/\/127\.0\.0\.1:\d+)"/.exec(output)
      if (match?.[1] && output.includes('"msg":"ready"')) {
        clearInterval(poll)
        clearTimeout(timer)
        resolve(match[1])
      }
    }, 50)
    // exited rejects when the child cannot be spawned: that is this start's failure too.
    exited.then((code) => {
      clearInterval(poll)
      clearTimeout(timer)
      reject(new Error(`server exited with ${code} before it was ready:\n${output}`))
    }, reject)
  })
  return {
    child,
    url,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal)
      return exited
    },
  }
}

/** Runs the server entry point to completion (for startup failures). */
export async function runServerToExit(env: Record<string, string>, timeoutMs = 30_000) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { ...BASE_ENV, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (chunk) => {
    stdout += chunk
  })
  child.stderr?.on('data', (chunk) => {
    stderr += chunk
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  const [code] = await once(child, 'exit')
  clearTimeout(timer)
  return { code: code as number | null, stdout, stderr }
}
