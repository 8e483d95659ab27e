import type { Pool } from 'pg'
import type { Logger } from 'pino'
import type { Config } from '../config.js'
import type { DeliveryRules } from './rules.js'
import { type DeliveryWorker, type DeliveryWorkerOptions, startDeliveryWorker } from './worker.js'

/** The delivery worker with the settings from the environment (service and worker process). */
export function startConfiguredWorker(
  config: Config,
  pool: Pool,
  rules: DeliveryRules,
  log: Logger,
  onAttempt?: DeliveryWorkerOptions['onAttempt'],
): DeliveryWorker {
  if (config.DELIVERY_ALLOW_PRIVATE) {
    log.warn('DELIVERY_ALLOW_PRIVATE is on: deliveries may reach private and loopback addresses')
  }
  return startDeliveryWorker({
    pool,
    rules,
    log: log.child({ component: 'delivery' }),
    concurrency: config.DELIVERY_CONCURRENCY,
    pollMs: config.DELIVERY_POLL_INTERVAL,
    leaseMs: config.DELIVERY_LEASE,
    backoffBaseMs: config.DELIVERY_BACKOFF_BASE,
    backoffMaxMs: config.DELIVERY_BACKOFF_MAX,
    allowPrivate: config.DELIVERY_ALLOW_PRIVATE,
    onAttempt,
  })
}
