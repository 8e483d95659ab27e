import type { Pool, PoolClient } from 'pg'

/** Runs `work` on one client inside BEGIN/COMMIT; rolls back on throw and always releases. */
export async function withTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect()
  let broken: Error | undefined
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    try {
      await client.query('ROLLBACK')
    } catch (rollbackError) {
      // The connection is unusable; discard it instead of returning it to the pool.
      broken = rollbackError as Error
    }
    throw error
  } finally {
    client.release(broken)
  }
}
