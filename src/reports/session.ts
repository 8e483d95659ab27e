import type { Pool, PoolClient } from 'pg'
import { withTransaction } from '../db/transaction.js'

// A report statement aggregates hundreds of thousands of rows once. Measured at 10 million log
// rows (bench/RESULTS.md): PostgreSQL's JIT compiled such a statement for 3.3 of its 3.5 s, and
// with the default 4 MB of work_mem each group-by sorted on disk. Both settings are local to the
// statement's own read-only transaction; the postback path never sees them.
export async function reportQuery<T>(pool: Pool, run: (client: PoolClient) => Promise<T>) {
  return withTransaction(pool, async (client) => {
    await client.query("SET LOCAL jit = off; SET LOCAL work_mem = '64MB'")
    return run(client)
  })
}
