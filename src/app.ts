import { readFileSync } from 'node:fs'
import type { Duplex } from 'node:stream'
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify'
import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import { exportAdminRoutes } from './admin/export-routes.js'
import { adminRoutes } from './admin/routes.js'
import { bulkAdminRoutes } from './bulk/admin-routes.js'
import { BulkRunner } from './bulk/runner.js'
import type { Config } from './config.js'
import { dashboardRoutes } from './dashboard/routes.js'
import type { Database } from './db/database.js'
import { deliveryAdminRoutes } from './delivery/admin-routes.js'
import type { DeliveryHooks } from './delivery/hooks.js'
import { DeliveryRules, loadDeliveryRules } from './delivery/rules.js'
import { healthRoutes } from './health/routes.js'
import { createAuthThrottle } from './http/auth-throttle.js'
import { capConnectionsPerAddress } from './http/connection-cap.js'
import { errorBody, HttpError, handleError, handleNotFound } from './http/errors.js'
import { createMetrics, type Metrics } from './metrics/metrics.js'
import { metricsRoutes } from './metrics/routes.js'
import { openNetworkRegistry } from './networks/load.js'
import type { NetworkRegistry } from './networks/registry.js'
import { watchStoredNetworks } from './networks/watch.js'
import { registerOpenapiDocs } from './openapi/plugin.js'
import { baseUrl } from './postbacks/postback-url.js'
import { postbackRoutes } from './postbacks/routes.js'
import { resolvePostbackSecrets } from './postbacks/secrets.js'

export type AppDependencies = {
  db: Database
  logger: Logger
  /**
   * The networks postbacks may name; built from config, NETWORKS_FILE and the database when not
   * given. A refreshable registry is kept up to date with the database while the app runs.
   */
  networks?: NetworkRegistry
  /** Redis for rate limits shared between instances (REDIS_URL); the caller closes it. */
  redis?: Redis
  /** Delivery rules and the worker to wake; rules from DELIVERY_RULES_FILE and no worker when not given. */
  deliveries?: DeliveryHooks
  /** Shared with the delivery worker when server.ts runs one; created here otherwise. */
  metrics?: Metrics
}

/** Builds the HTTP application. Never listens: server.ts does that, tests use inject(). */
export async function buildApp(config: Config, deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Only configured proxies may set the client address and protocol (X-Forwarded-*).
    // Fastify accepts a hop count at runtime; its https overload's type omits numbers.
    trustProxy: config.TRUST_PROXY as boolean | string[],
    ...(config.TLS_CERT_FILE && config.TLS_KEY_FILE
      ? {
          https: {
            cert: readFileSync(config.TLS_CERT_FILE),
            key: readFileSync(config.TLS_KEY_FILE),
            ...slowClientLimits(config),
          },
        }
      : { http: slowClientLimits(config) }),
    // Slow clients: a request must arrive within REQUEST_TIMEOUT (its head within
    // HEADERS_TIMEOUT), else 408 and the connection closes; a silent socket is dropped.
    requestTimeout: config.REQUEST_TIMEOUT,
    connectionTimeout: config.CONNECTION_TIMEOUT,
    keepAliveTimeout: config.KEEP_ALIVE_TIMEOUT,
    // Fastify's own answer to a malformed URL quotes it, query string and secret included.
    frameworkErrors: (_error, _request, reply) => {
      const error = new HttpError('BAD_URL', 'the URL is malformed (check its percent-encoding)')
      void (reply as FastifyReply).code(error.statusCode).send(errorBody(error))
    },
    // A request Node cannot parse: answer once and close, so no client reuses the socket.
    clientErrorHandler: answerClientError,
    // Let in-flight requests finish on close, but drop idle keep-alive sockets at once.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  }) as unknown as FastifyInstance
  // Who sent a request: set by the admin API's and the dashboard's authentication hooks.
  app.decorateRequest('principal', null)
  app.setErrorHandler(handleError)
  app.setNotFoundHandler(handleNotFound)
  capConnectionsPerAddress(app.server, config.MAX_CONNECTIONS_PER_IP)

  const networks = deps.networks ?? (await createNetworkRegistry(config, deps.db, deps.logger))
  if (networks.refreshable) {
    const watch = watchStoredNetworks({
      registry: networks,
      pool: deps.db.pool,
      intervalMs: config.NETWORKS_RELOAD_INTERVAL,
      log: deps.logger,
    })
    app.addHook('onClose', () => watch.stop())
  }
  // First: it documents the routes registered after it (GET /openapi.json, /docs).
  await registerOpenapiDocs(app, config)
  await app.register(healthRoutes, { db: deps.db })
  const metrics = deps.metrics ?? createMetrics(deps.db)
  const deliveries = deps.deliveries ?? {
    rules: new DeliveryRules(await loadDeliveryRules(config)),
    wake() {},
  }
  await app.register(postbackRoutes, {
    config,
    db: deps.db,
    networks,
    metrics,
    redis: deps.redis,
    deliveries,
  })
  // One count of wrong tokens per address for the admin API, /metrics and dashboard sign-in.
  const throttle = createAuthThrottle({
    max: config.AUTH_FAILURE_MAX,
    windowMs: config.AUTH_FAILURE_WINDOW,
    redis: deps.redis,
  })
  if (config.METRICS_TOKEN)
    await app.register(metricsRoutes, { metrics, token: config.METRICS_TOKEN, throttle })
  if (config.ADMIN_TOKEN) {
    // Bulk replays and retries run in this process's background; closing the app stops them
    // after their current step (left interrupted, resumable).
    const bulk = new BulkRunner({
      pool: deps.db.pool,
      config,
      networks,
      deliveries,
      logger: deps.logger,
    })
    app.addHook('onClose', () => bulk.close())
    const options = {
      db: deps.db,
      bulk,
      config,
      token: config.ADMIN_TOKEN,
      networks,
      baseUrl: baseUrl(config),
      publicUrl: config.PUBLIC_URL,
      deliveries,
      throttle,
      reportTimeZone: config.REPORT_TIMEZONE,
    }
    await app.register(adminRoutes, options)
    await app.register(deliveryAdminRoutes, options)
    await app.register(bulkAdminRoutes, options)
    await app.register(exportAdminRoutes, options)
    // The operator dashboard (/dashboard): signs in with the same token. The bare address is
    // where a first visit lands: it leads there.
    await app.register(dashboardRoutes, options)
    app.get('/', { schema: { hide: true } }, (request, reply) => {
      // Only the bare address itself: the router also takes "*" and absolute-form targets here.
      const target = request.raw.url ?? ''
      if (target !== '/' && !target.startsWith('/?'))
        throw new HttpError('NOT_FOUND', `no route for ${request.method} at this target`)
      return reply.redirect('/dashboard', 302)
    })
  }
  return app
}

/** The default network's secret (configured or generated), NETWORKS_FILE's and the database's profiles. */
export async function createNetworkRegistry(
  config: Config,
  db: Database,
  log: Logger,
): Promise<NetworkRegistry> {
  const { secrets } = await resolvePostbackSecrets(db.pool, config.POSTBACK_SECRET)
  return openNetworkRegistry(config, secrets, db.pool, log)
}

/** Node's own limits on a request's arrival, checked often enough to hold their bound. */
function slowClientLimits(config: Config) {
  const shortest = Math.min(config.HEADERS_TIMEOUT, config.REQUEST_TIMEOUT)
  return {
    headersTimeout: config.HEADERS_TIMEOUT,
    requestTimeout: config.REQUEST_TIMEOUT,
    // Node checks the two timeouts above on this interval (default 30 s, which would let a
    // slow client hold its connection up to 30 s past its bound).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(shortest / 4))),
  }
}

function answerClientError(error: Error & { code?: string }, socket: Duplex) {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy()
    return
  }
  const answer = errorBody(
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new HttpError('HEADERS_TOO_LARGE', 'the request head is too large')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new HttpError('REQUEST_TIMEOUT', 'the request took too long to arrive')
        : new HttpError('BAD_REQUEST', 'the request is not valid HTTP'),
  )
  const body = JSON.stringify(answer)
  socket.end(
    `HTTP/1.1 ${answer.statusCode} ${answer.error}\r\nConnection: close\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}
