import { AsyncLocalStorage } from 'node:async_hooks'
import type { Readable, Writable } from 'node:stream'

/** What a command run reads its settings from and writes its answer and diagnostics to. */
export type CliIO = {
  env: NodeJS.ProcessEnv
  /** The command's answer. */
  stdout: Writable
  /** Diagnostics, progress and logs. */
  stderr: Writable & { isTTY?: boolean }
  /** Answers to questions (a confirmation), asked only when it is a terminal. */
  stdin?: Readable & { isTTY?: boolean }
}

export const PROCESS_IO: CliIO = {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  // Looked up when a command asks: opening process.stdin earlier is work most commands skip.
  get stdin() {
    return process.stdin
  },
}

// The process's environment and streams, unless a run says otherwise (tests run commands
// in-process, several at once, each with its own environment and captured output).
const runs = new AsyncLocalStorage<CliIO>()

/** The I/O of the command run in progress. */
export function cliIO(): CliIO {
  return runs.getStore() ?? PROCESS_IO
}

export function withIO<T>(io: CliIO, work: () => Promise<T>): Promise<T> {
  return runs.run(io, work)
}
