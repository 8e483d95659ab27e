import type { Pool, PoolClient } from 'pg'

/** Runs `work` on one client inside BEGIN/COMMIT; rolls back on throw and always releases. */
export async function withTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect()
  // While checked out, the pool no longer listens for this client's errors; a connection that
  // dies now would emit an unhandled 'error' and end the process. The failing query rejects
  // anyway, so the listener only has to note the client as broken.
  let broken: Error | undefined
  const onError = (error: Error) => {
    broken = error
  }
  client.on('error', onError)
  try {
    await client.query('BEGIN')
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    if (!broken) {
      try {
        await client.query('ROLLBACK')
      } catch (rollbackError) {
        // The connection is unusable; discard it instead of returning it to the pool.
        broken = rollbackError as Error
      }
    }
    throw error
  } finally {
    client.off('error', onError)
    client.release(broken)
  }
}
