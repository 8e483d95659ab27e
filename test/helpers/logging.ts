import { Writable } from 'node:stream'
import type { Logger } from 'pino'
import { createLogger } from '../../src/http/logging.js'

export function silentLogger(): Logger {
  return createLogger({ LOG_LEVEL: 'silent' })
}

/** A logger that keeps every line it writes, to assert what operators would read. */
export function capturingLogger(): { logger: Logger; lines: () => string } {
  const chunks: string[] = []
  const sink = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk))
      done()
    },
  })
  return { logger: createLogger({ LOG_LEVEL: 'info' }, sink), lines: () => chunks.join('') }
}
