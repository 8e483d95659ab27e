import { type CliIO, cliIO } from './io.js'

// A progress line on stderr, so stdout carries only the command's answer. On a terminal it is
// rewritten in place; in a log (CI, cron) it is a new line at most every few seconds.

export type Progress = { update(text: string): void; done(text?: string): void }

export function createProgress(stream: CliIO['stderr'] = cliIO().stderr): Progress {
  const tty = Boolean(stream.isTTY)
  const every = tty ? 200 : 5000
  // In a log, a short command stays quiet: the first line comes after `every`.
  let last = tty ? 0 : Date.now()
  let shown = false
  return {
    update(text) {
      const now = Date.now()
      if (now - last < every) return
      last = now
      shown = true
      stream.write(tty ? `\r\x1b[K${text}` : `${text}\n`)
    },
    done(text) {
      if (tty && shown) stream.write('\r\x1b[K')
      if (text) stream.write(`${text}\n`)
    },
  }
}

/** 1234567 -> "1,234,567" */
export function count(n: number | bigint): string {
  return n.toLocaleString('en-US')
}
