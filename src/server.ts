import 'dotenv/config'
import { buildApp } from './app.js'
import { loadConfigOrExit, openMigratedDatabase } from './bootstrap.js'
import { DeliveryRules, loadDeliveryRules, reloadDeliveryRules } from './delivery/rules.js'
import { startConfiguredWorker } from './delivery/start.js'
import { localUrl } from './http/local-url.js'
import { createLogger } from './http/logging.js'
import { connectRedis } from './http/redis.js'
import { reloadTlsCertificate } from './http/tls.js'
import { createMetrics } from './metrics/metrics.js'
import { openNetworkRegistry } from './networks/load.js'
import type { NetworkRegistry } from './networks/registry.js'
import { startRetentionSchedule } from './operations/retention-schedule.js'
import { startupBanner } from './postbacks/postback-url.js'
import { resolvePostbackSecrets } from './postbacks/secrets.js'
import { startWatchdog } from './watchdog/watchdog.js'

// Process edge: configuration, database, listen; close in order on SIGTERM/SIGINT.
const startedAt = performance.now()
const config = loadConfigOrExit()
// Filled once the networks are known; the request log redacts their secrets by value.
let networks: NetworkRegistry | undefined
const log = createLogger(config, undefined, () => networks?.allSecrets() ?? [])

let db: Awaited<ReturnType<typeof openMigratedDatabase>>
try {
  db = await openMigratedDatabase(config, log)
} catch (error) {
  log.fatal({ err: error }, `startup failed: ${(error as Error).message}`)
  process.exit(1)
}

if (config.ALLOWED_IPS.entries.length === 0) {
  log.warn(
    'ALLOWED_IPS is empty: postbacks are accepted from any address (the secret still applies)',
  )
}
const { secrets, generated } = await resolvePostbackSecrets(db.pool, config.POSTBACK_SECRET)
if (generated) {
  log.info(
    'POSTBACK_SECRET is not set: using the secret generated and stored in the database (see: npm run cli -- url)',
  )
}
let deliveryRules: DeliveryRules
try {
  // Kept up to date with profiles edited in the dashboard or admin API (buildApp watches it).
  networks = await openNetworkRegistry(config, secrets, db.pool, log)
  deliveryRules = new DeliveryRules(await loadDeliveryRules(config))
} catch (error) {
  log.fatal(`startup failed: ${(error as Error).message}`)
  await db.close().catch(() => {})
  process.exit(1)
}
log.info({ networks: networks.names() }, `networks: ${networks.names().join(', ')}`)
const redis = config.REDIS_URL ? connectRedis(config.REDIS_URL) : undefined
redis?.on('error', (error) =>
  log.warn(
    { err: { message: error.message } },
    'redis unavailable: rate limits are not enforced until it is back',
  ),
)
if (redis) log.info('rate limits are shared through Redis')
const metrics = createMetrics(db)
const worker = config.DELIVERY_WORKER
  ? startConfiguredWorker(config, db.pool, deliveryRules, log, metrics.deliveryAttempt)
  : undefined
log.info(
  `delivery: ${deliveryRules.size} rule(s); ${worker ? 'worker in this process' : 'DELIVERY_WORKER=false: a separate worker process sends'}`,
)
const deliveries = { rules: deliveryRules, wake: () => worker?.wake() }
const app = await buildApp(config, { db, logger: log, networks, redis, deliveries, metrics })
try {
  await app.listen({ port: config.PORT, host: config.HOST })
} catch (error) {
  log.fatal(
    { err: error },
    `cannot listen on ${config.HOST}:${config.PORT}: ${(error as Error).message}`,
  )
  await db.close().catch(() => {})
  process.exit(1)
}
const local = localUrl(app.server.address(), Boolean(config.TLS_CERT_FILE && config.TLS_KEY_FILE))
const dashboard = config.ADMIN_TOKEN
  ? `dashboard: ${local}/dashboard (sign in with ADMIN_TOKEN)`
  : 'dashboard off: set ADMIN_TOKEN (16 characters or more) to turn on the dashboard and the admin API'
log.info(dashboard)
// An embedded data directory is this process's alone: CLI commands run beside it find here
// where to reach it, and go through its admin API.
try {
  db.announce?.({ url: local, adminApi: Boolean(config.ADMIN_TOKEN) })
} catch (error) {
  log.warn(`CLI commands cannot find this service: ${(error as Error).message}`)
}
log.info({ startupMs: Math.round(performance.now() - startedAt) }, 'ready')
const watchdog = config.WATCHDOG_ENABLED
  ? startWatchdog({
      pool: db.pool,
      log,
      intervalMs: config.WATCHDOG_INTERVAL,
      webhookUrl: config.WATCHDOG_WEBHOOK_URL,
    })
  : undefined
const retention =
  config.RETENTION_POSTBACK_LOG_DAYS !== undefined ||
  config.RETENTION_ANONYMIZE_IP_DAYS !== undefined
    ? startRetentionSchedule({
        pool: db.pool,
        log,
        intervalMs: config.RETENTION_INTERVAL,
        postbackLogDays: config.RETENTION_POSTBACK_LOG_DAYS,
        anonymizeIpDays: config.RETENTION_ANONYMIZE_IP_DAYS,
      })
    : undefined
if (process.stderr.isTTY) {
  // For the operator at a terminal only: structured logs never carry the secret.
  process.stderr.write(startupBanner(config, secrets[0] ?? '', generated, dashboard))
}

let stopping = false
async function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  log.info({ signal }, 'shutting down: finishing in-flight requests')
  const deadline = setTimeout(() => {
    log.error(`shutdown took longer than ${config.SHUTDOWN_TIMEOUT_MS} ms; exiting anyway`)
    process.exit(1)
  }, config.SHUTDOWN_TIMEOUT_MS)
  deadline.unref()
  // server.close() drops idle keep-alive sockets only once; a socket whose request finishes
  // later would otherwise hold the exit until its keep-alive timeout.
  const sweeper = setInterval(() => app.server.closeIdleConnections(), 100)
  watchdog?.stop()
  retention?.stop()
  try {
    await app.close()
    clearInterval(sweeper)
    // Sends still out after the bound are aborted and stay queued for the next start.
    await worker?.stop(config.DELIVERY_SHUTDOWN_TIMEOUT)
    redis?.disconnect()
    await db.close()
    log.info('stopped')
    process.exit(0)
  } catch (error) {
    log.error({ err: error }, 'shutdown failed')
    process.exit(1)
  }
}
// SIGHUP re-reads the TLS certificate and key and NETWORKS_FILE (and the database's network
// profiles); requests in flight keep the profiles they started with, and a bad file leaves the
// running certificate or profiles in place.
process.on('SIGHUP', async () => {
  reloadTlsCertificate(app.server, config, log)
  try {
    await networks.refresh()
    log.info({ networks: networks.names() }, 'networks reloaded')
  } catch (error) {
    log.error(`networks not reloaded, keeping the previous ones: ${(error as Error).message}`)
  }
  await reloadDeliveryRules(deliveryRules, config, log)
})
// shutdown() never rejects: it logs its own failure and exits 1.
process.on('SIGTERM', () => void shutdown('SIGTERM'))
process.on('SIGINT', () => void shutdown('SIGINT'))
