import 'dotenv/config'
import { loadConfigOrExit, openMigratedDatabase } from './bootstrap.js'
import { DeliveryRules, loadDeliveryRules, reloadDeliveryRules } from './delivery/rules.js'
import { startConfiguredWorker } from './delivery/start.js'
import { createLogger } from './http/logging.js'
import { createMetrics } from './metrics/metrics.js'
import { listenMetrics, type MetricsServer } from './metrics/server.js'

// The delivery worker as its own process (`npm run worker`): the same code the service runs
// in-process, for operators who set DELIVERY_WORKER=false on their web instances. Any number
// of these may share one PostgreSQL. Embedded PGlite belongs to one process: use the service's.
const config = loadConfigOrExit()
let rules: DeliveryRules | undefined
const log = createLogger(config, undefined, () => rules?.secrets() ?? [])
if (!config.DATABASE_URL) {
  log.fatal('the worker process needs DATABASE_URL; on the embedded database the service sends')
  process.exit(2)
}

let db: Awaited<ReturnType<typeof openMigratedDatabase>>
try {
  db = await openMigratedDatabase(config, log)
  rules = new DeliveryRules(await loadDeliveryRules(config))
} catch (error) {
  log.fatal(`worker startup failed: ${(error as Error).message}`)
  process.exit(1)
}
const loaded = rules
const metrics = createMetrics(db)
const worker = startConfiguredWorker(config, db.pool, loaded, log, metrics.deliveryAttempt)
let metricsServer: MetricsServer | undefined
if (config.METRICS_TOKEN) {
  const { WORKER_METRICS_HOST: host, WORKER_METRICS_PORT: port } = config
  try {
    metricsServer = await listenMetrics(metrics, { host, port, token: config.METRICS_TOKEN })
    log.info(`worker metrics at ${metricsServer.url}`)
  } catch (error) {
    log.fatal(
      `worker metrics cannot listen on ${host}:${port}: ${(error as Error).message} (give each worker on a host its own WORKER_METRICS_PORT)`,
    )
    await worker.stop(config.DELIVERY_SHUTDOWN_TIMEOUT)
    await db.close()
    process.exit(1)
  }
} else {
  log.warn(
    'METRICS_TOKEN is not set: this worker serves no /metrics (delivery alerts cannot see it)',
  )
}
log.info(`delivery worker ready: ${loaded.size} rule(s)`)

let stopping = false
async function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  log.info({ signal }, 'delivery worker stopping: finishing sends in flight')
  try {
    await worker.stop(config.DELIVERY_SHUTDOWN_TIMEOUT)
    await metricsServer?.close()
    await db.close()
    log.info('stopped')
    process.exit(0)
  } catch (error) {
    log.error({ err: error }, 'shutdown failed')
    process.exit(1)
  }
}
process.on('SIGHUP', () => reloadDeliveryRules(loaded, config, log))
// shutdown() never rejects: it logs its own failure and exits 1.
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))
