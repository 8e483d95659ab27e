// How the writer's batch read costs as conversions grow, with and without the writer's own
// statistics refresh (src/db/planner-stats.ts). The read is a named statement: its plan is made
// once, when the table is empty, and kept until the table's statistics change.
//   npx tsx bench/stale-plans.ts [--embedded] [--rows 20000,100000]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import pino from 'pino'
import { startEmbeddedPostgres } from '../src/db/embedded.js'
import { migrate } from '../src/db/migrate.js'
import { createPlannerStats } from '../src/db/planner-stats.js'
import { readBatchState } from '../src/postbacks/batch-sql.js'
import type { Postback } from '../src/postbacks/postback.js'
import { ADMIN_URL } from './service.js'

const { values: args } = parseArgs({
  options: {
    embedded: { type: 'boolean', default: false },
    rows: { type: 'string', default: '20000,100000' },
  },
})
const levels = args.rows.split(',').map(Number)
const READS = 50
// A batch of 20 new approvals naming one offer: what a peek sees under load.
const batch = Array.from({ length: 20 }, (_, i) => ({
  network: 'net',
  txId: `new-${i}`,
  offerId: 'o1',
  payout: '1.00',
})) as unknown as Postback[]

async function open(label: string) {
  if (args.embedded) {
    const dir = mkdtempSync(join(tmpdir(), 'stale-plans-'))
    const embedded = await startEmbeddedPostgres(dir)
    const pool = new pg.Pool({
      host: embedded.host,
      port: embedded.port,
      user: 'postgres',
      database: 'postgres',
      max: 1,
    })
    return {
      pool,
      async close() {
        await pool.end()
        await embedded.stop()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  const admin = new pg.Client({ connectionString: ADMIN_URL })
  await admin.connect()
  const name = `pbr_stale_plans_${label}_${process.pid}`
  await admin.query(`DROP DATABASE IF EXISTS ${name}`)
  await admin.query(`CREATE DATABASE ${name}`)
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 })
  return {
    pool,
    async close() {
      await pool.end()
      await admin.query(`DROP DATABASE ${name}`)
      await admin.end()
    },
  }
}

async function msPerRead(pool: pg.Pool) {
  const started = performance.now()
  for (let i = 0; i < READS; i++) await readBatchState(pool, batch, 'peek')
  return (performance.now() - started) / READS
}

async function measure(refresh: boolean) {
  const db = await open(refresh ? 'refresh' : 'stale')
  await migrate(db.pool)
  const stats = createPlannerStats(db.pool, pino({ level: 'warn' }))
  if (refresh) await stats.analyzeUnknown()
  const figures = [await msPerRead(db.pool)] // plans the read against the empty table
  let count = 0
  for (const rows of levels) {
    await db.pool.query(
      `INSERT INTO conversions (network, tx_id, user_id, status, points)
       SELECT 'net', 'tx-' || g, 'u' || (g % 1000), 'approved', 10 FROM generate_series($1::int, $2::int) g`,
      [count + 1, rows],
    )
    if (refresh) {
      stats.noteWrites(rows - count)
      await stats.idle()
    }
    count = rows
    figures.push(await msPerRead(db.pool))
  }
  await db.close()
  return figures
}

const stale = await measure(false)
const refreshed = await measure(true)
console.log(
  `\nThe writer's batch read (20 new keys), ${args.embedded ? 'embedded PGlite' : 'PostgreSQL'}, ms per read (mean of ${READS}):\n`,
)
console.log(
  '| conversions | plan kept from the empty table | statistics refreshed by the writer | ratio |',
)
console.log('| --- | --- | --- | --- |')
for (const [i, rows] of [0, ...levels].entries()) {
  const a = stale[i] as number
  const b = refreshed[i] as number
  console.log(
    `| ${rows.toLocaleString('en')} | ${a.toFixed(3)} | ${b.toFixed(3)} | ${(a / b).toFixed(1)}× |`,
  )
}
