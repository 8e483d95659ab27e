import pg, { type Pool, type PoolClient } from 'pg'
import { isDatabaseUnavailable } from './errors.js'

/** Set when the connection is no longer fit to go back to the pool. */
type Lost = { error: Error | undefined }

/**
 * Checks a client out for `work` and always releases it: discarded when `work` marks it lost.
 * While checked out, the pool no longer listens for this client's errors; a connection that
 * dies now would emit an unhandled 'error' and end the process. The failing query rejects
 * anyway, so the listener only has to note the client as lost.
 */
async function borrow<T>(
  pool: Pool,
  work: (client: PoolClient, lost: Lost) => Promise<T>,
): Promise<T> {
  const client = await pool.connect()
  const lost: Lost = { error: undefined }
  const onError = (error: Error) => {
    lost.error = error
  }
  client.on('error', onError)
  try {
    return await work(client, lost)
  } finally {
    client.off('error', onError)
    client.release(lost.error)
  }
}

/** Runs `work` on one client inside BEGIN/COMMIT; rolls back on throw and always releases. */
export function withTransaction<T>(
  pool: Pool,
  work: (client: PoolClient) => Promise<T>,
): Promise<T> {
  return borrow(pool, async (client, lost) => {
    try {
      await client.query('BEGIN')
      const result = await work(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      if (!lost.error) {
        try {
          await client.query('ROLLBACK')
        } catch (rollbackError) {
          // The connection is unusable; discard it instead of returning it to the pool.
          lost.error = rollbackError as Error
        }
      }
      throw error
    }
  })
}

/**
 * Runs `work` on one checked-out client, outside a transaction. `pool.query` ends the connection
 * whenever a statement fails (pg-pool releases the client with the error), so a writer whose
 * statements fail on purpose (a wrong guess undoes itself) would connect anew each time: a new
 * backend, every statement prepared again. Here the client goes back to the pool unless the
 * connection itself failed.
 */
export function withClient<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  return borrow(pool, async (client, lost) => {
    try {
      return await work(client)
    } catch (error) {
      // The server refused a statement and is ready for the next: the connection is fine.
      const refused = error instanceof pg.DatabaseError && !isDatabaseUnavailable(error)
      if (!refused) lost.error ??= error as Error
      throw error
    }
  })
}
