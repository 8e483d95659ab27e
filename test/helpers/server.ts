import type { ChildProcess } from 'node:child_process'
import { exitOf, spawnTs, stopProcess } from './processes.js'

const BASE_ENV = { HOST: '127.0.0.1', PORT: '0' }

export type RunningServer = {
  child: ChildProcess
  url: string
  output: () => string
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>
  /** Sends `signal` (SIGKILL if it has not exited 30 s later); resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** Starts the real server process (src/server.ts through tsx) and waits until it listens. */
export async function startServer(
  env: Record<string, string>,
  timeoutMs = 90_000, // generous: an embedded start on a busy 2-core machine can take 30 s
): Promise<RunningServer> {
  const child = spawnTs('src/server.ts', [], { ...BASE_ENV, LOG_LEVEL: 'info', ...env })
  let output = ''
  child.stdout?.on('data', (chunk) => {
    output += chunk
  })
  child.stderr?.on('data', (chunk) => {
    output += chunk
  })
  const exited = exitOf(child)
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
    void exited.then((code) => {
      clearInterval(poll)
      clearTimeout(timer)
      reject(new Error(`server exited with ${code} before it was ready:\n${output}`))
    })
  })
  return {
    child,
    url,
    output: () => output,
    exited,
    stop: (signal = 'SIGTERM') => stopProcess(child, signal),
  }
}

/** Runs the server entry point to completion (for startup failures). */
export async function runServerToExit(env: Record<string, string>, timeoutMs = 30_000) {
  const child = spawnTs('src/server.ts', [], { ...BASE_ENV, ...env })
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
