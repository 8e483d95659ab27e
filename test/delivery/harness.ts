import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { Pool } from 'pg'
import { DeliveryRules, loadDeliveryRules } from '../../src/delivery/rules.js'
import { startConfiguredWorker } from '../../src/delivery/start.js'
import type { DeliveryWorker } from '../../src/delivery/worker.js'
import { createMetrics } from '../../src/metrics/metrics.js'
import { buildAppOn, postbackUrl, uniqueTx } from '../helpers/app.js'
import { type TestDatabase, testConfig } from '../helpers/database.js'
import { silentLogger } from '../helpers/logging.js'

// Fast retries so a test sees several attempts in well under a second.
export const FAST_DELIVERY = {
  DELIVERY_ALLOW_PRIVATE: 'true',
  DELIVERY_BACKOFF_BASE: '20ms',
  DELIVERY_BACKOFF_MAX: '100ms',
  DELIVERY_POLL_INTERVAL: '25ms',
  DELIVERY_LEASE: '15 s',
}

export type DeliverySetup = {
  app: FastifyInstance
  worker: DeliveryWorker | undefined
  rulesFile: string
  close(): Promise<void>
}

/** An app on `testDb` with these delivery rules, and (unless `worker: false`) a worker. */
export async function setUpDelivery(
  testDb: TestDatabase,
  rules: unknown[],
  env: Record<string, string> = {},
  { worker: withWorker = true, pool }: { worker?: boolean; pool?: Pool } = {},
): Promise<DeliverySetup> {
  const dir = await mkdtemp(join(tmpdir(), 'pbr-delivery-'))
  const rulesFile = join(dir, 'deliveries.json')
  await writeFile(rulesFile, JSON.stringify({ rules }))
  const settings = { ...FAST_DELIVERY, DELIVERY_RULES_FILE: rulesFile, ...env }
  const config = testConfig({ ...testDb.env, ...settings })
  const loaded = new DeliveryRules(await loadDeliveryRules(config))
  const metrics = createMetrics(testDb.db)
  const worker = withWorker
    ? startConfiguredWorker(
        config,
        pool ?? testDb.db.pool,
        loaded,
        silentLogger(),
        metrics.deliveryAttempt,
      )
    : undefined
  const app = await buildAppOn(testDb, settings, undefined, {
    deliveries: { rules: loaded, wake: () => worker?.wake() },
    metrics,
  })
  return {
    app,
    worker,
    rulesFile,
    async close() {
      await app.close()
      await worker?.stop(1000)
      await rm(dir, { recursive: true, force: true })
    },
  }
}

/** Fires an approval (or the given status) for a fresh transaction; returns its tx id. */
export async function firePostback(
  app: FastifyInstance,
  fields: Record<string, string> = {},
): Promise<{ txId: string; status: number; body: string }> {
  const txId = fields.tx_id ?? uniqueTx('dl')
  const response = await app.inject({
    method: 'GET',
    url: postbackUrl({ tx_id: txId, offer_id: '7', user_id: 'dl-user', payout: '3.50', ...fields }),
  })
  return { txId, status: response.statusCode, body: response.body }
}

export type DeliveryState = {
  id: string
  rule: string
  event: string
  state: string
  attempts: number
  last_error: string | null
}

export async function deliveriesOf(testDb: TestDatabase, txId: string): Promise<DeliveryState[]> {
  const { rows } = await testDb.db.pool.query<DeliveryState>(
    `SELECT d.id::text, d.rule, d.event, d.state, d.attempts, d.last_error
     FROM deliveries d JOIN conversions c ON c.id = d.conversion_id
     WHERE c.tx_id = $1 ORDER BY d.id`,
    [txId],
  )
  return rows
}

/** Polls until `check` holds (or fails with what it last saw). */
export async function eventually<T>(
  read: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (check(value)) return value
    if (Date.now() > deadline) {
      throw new Error(`condition not met in ${timeoutMs} ms; last: ${JSON.stringify(value)}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
