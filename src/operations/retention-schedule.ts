import type { Pool } from 'pg'
import type { Logger } from 'pino'
import { applyRetention, type RetentionResult } from './retention.js'

export type RetentionSchedule = { run(): Promise<RetentionResult | undefined>; stop(): void }

/**
 * RETENTION_* inside the service: the same batched retention as the CLI, every `intervalMs`
 * (first run one interval after start). Runs never overlap; a failure is logged and the next
 * run tries again. Several instances may run it at once: every batch is idempotent.
 */
export function startRetentionSchedule(options: {
  pool: Pool
  log: Logger
  intervalMs: number
  postbackLogDays?: number
  anonymizeIpDays?: number
}): RetentionSchedule {
  let running: Promise<RetentionResult | undefined> | undefined
  async function runOnce(): Promise<RetentionResult | undefined> {
    try {
      const result = await applyRetention(options.pool, options)
      if (result.deletedLogRows + result.anonymizedLogRows + result.anonymizedConversions > 0)
        options.log.info(
          { retention: result },
          'retention: old postback log rows deleted, IPs anonymized',
        )
      return result
    } catch (error) {
      options.log.warn(
        { err: { message: (error as Error).message } },
        'retention run failed; retrying next interval',
      )
      return undefined
    }
  }
  const run = () => {
    running ??= runOnce().finally(() => {
      running = undefined
    })
    return running
  }
  const timer = setInterval(() => void run(), options.intervalMs)
  timer.unref()
  return { run, stop: () => clearInterval(timer) }
}
