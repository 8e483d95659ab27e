import client from 'prom-client'
import type { Database } from '../db/database.js'

// One registry per app (tests build several apps in one process). Labels are bounded: the
// network is a configured name (or "unknown") and the outcome a documented code, so nothing a
// caller sends, and no secret, ever becomes a label value.

export type Metrics = {
  registry: client.Registry
  postback(network: string, outcome: string, seconds: number): void
  points(kind: 'credited' | 'reversed', network: string, points: bigint): void
  deliveryAttempt(result: 'delivered' | 'retry' | 'dead'): void
  batch(size: number, fellBack: boolean): void
}

export function createMetrics(db: Database): Metrics {
  const registry = new client.Registry()
  client.collectDefaultMetrics({ register: registry, prefix: 'postback_receiver_' })
  const postbacks = new client.Counter({
    name: 'postback_receiver_postbacks_total',
    help: 'Postbacks answered, by network and outcome (or refusal code)',
    labelNames: ['network', 'outcome'] as const,
    registers: [registry],
  })
  const duration = new client.Histogram({
    name: 'postback_receiver_postback_duration_seconds',
    help: 'Time from request to answer for postbacks',
    labelNames: ['network'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  })
  const points = new client.Counter({
    name: 'postback_receiver_points_total',
    help: 'Points credited or reversed by postbacks',
    labelNames: ['kind', 'network'] as const,
    registers: [registry],
  })
  new client.Gauge({
    name: 'postback_receiver_db_pool_connections',
    help: 'Database pool connections by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, db.pool.totalCount)
      this.set({ state: 'idle' }, db.pool.idleCount)
      this.set({ state: 'waiting' }, db.pool.waitingCount)
    },
  })
  const deliveryAttempts = new client.Counter({
    name: 'postback_receiver_delivery_attempts_total',
    help: 'Delivery attempts by result: delivered, retry (failed, will try again) or dead',
    labelNames: ['result'] as const,
    registers: [registry],
  })
  new client.Gauge({
    name: 'postback_receiver_deliveries',
    help: 'Deliveries in the outbox by state (pending includes those waiting for a retry)',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      const counts = await queryOrNull(db, DELIVERY_COUNTS)
      if (!counts) return
      this.set({ state: 'pending' }, Number(counts.pending))
      this.set({ state: 'dead' }, Number(counts.dead))
    },
  })
  new client.Gauge({
    name: 'postback_receiver_delivery_overdue_seconds',
    help: 'How long the oldest due delivery has waited for a worker (0 when none): a growing backlog',
    registers: [registry],
    async collect() {
      const row = await queryOrNull(db, OLDEST_DUE)
      if (row) this.set(Number(row.seconds))
    },
  })
  const batches = new client.Histogram({
    name: 'postback_receiver_group_commit_batch_size',
    help: 'Postbacks per group-commit transaction',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  })
  const fallbacks = new client.Counter({
    name: 'postback_receiver_group_commit_fallbacks_total',
    help: 'Group-commit batches that failed and were applied one postback at a time',
    registers: [registry],
  })
  return {
    registry,
    batch(size, fellBack) {
      batches.observe(size)
      if (fellBack) fallbacks.inc()
    },
    deliveryAttempt(result) {
      deliveryAttempts.inc({ result })
    },
    postback(network, outcome, seconds) {
      postbacks.inc({ network, outcome })
      duration.observe({ network }, seconds)
    },
    points(kind, network, amount) {
      if (amount !== 0n) points.inc({ kind, network }, Number(amount < 0n ? -amount : amount))
    },
  }
}

const DELIVERY_COUNTS = `SELECT (SELECT count(*) FROM deliveries WHERE state = 'pending') AS pending,
  (SELECT count(*) FROM deliveries WHERE state = 'dead') AS dead`
const OLDEST_DUE = `SELECT COALESCE(extract(epoch FROM now() - min(next_attempt_at)), 0) AS seconds
  FROM deliveries WHERE state = 'pending' AND next_attempt_at <= now()`

/** A scrape must not fail because the database is away; the gauge keeps its last value. */
async function queryOrNull(db: Database, sql: string): Promise<Record<string, string> | null> {
  try {
    const { rows } = await db.pool.query<Record<string, string>>(sql)
    return rows[0] ?? null
  } catch {
    return null
  }
}
