import client from 'prom-client'
import type { Database } from '../db/database.js'

// One registry per app (tests build several apps in one process). Labels are bounded: the
// network is a configured name (or "unknown") and the outcome a documented code, so nothing a
// caller sends, and no secret, ever becomes a label value.

export type Metrics = {
  registry: client.Registry
  postback(network: string, outcome: string, seconds: number): void
  points(kind: 'credited' | 'reversed', network: string, points: bigint): void
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
  return {
    registry,
    postback(network, outcome, seconds) {
      postbacks.inc({ network, outcome })
      duration.observe({ network }, seconds)
    },
    points(kind, network, amount) {
      if (amount !== 0n) points.inc({ kind, network }, Number(amount < 0n ? -amount : amount))
    },
  }
}
