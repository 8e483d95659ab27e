import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'
import { type AnnouncedService, lockDataDir } from './data-dir-lock.js'

export type EmbeddedPostgres = {
  host: string
  port: number
  dataDir: string
  /** Tells CLI commands run beside this process where it serves HTTP (data-dir-lock.ts). */
  announce(service: Omit<AnnouncedService, 'pid'>): void
  stop(): Promise<void>
}

// PGlite is a single Postgres backend: every socket connection shares it, so callers must use
// a pool of one. A few socket slots leave room for a pool to reconnect after a dropped socket.
const SOCKET_SLOTS = 4
const HOST = '127.0.0.1'

/** Starts PGlite on `dataDir` and serves it on a random loopback port for the `pg` driver. */
export async function startEmbeddedPostgres(dataDir: string): Promise<EmbeddedPostgres> {
  const absolute = resolve(dataDir)
  // The directory holds the lock file before PGlite opens it (PGlite accepts it there).
  await mkdir(absolute, { recursive: true })
  // Throws DataDirInUseError, naming the holder, before PGlite reads a byte.
  const lock = lockDataDir(absolute)
  try {
    const db = await PGlite.create({ dataDir: absolute })
    const server = new PGLiteSocketServer({
      db,
      host: HOST,
      port: 0,
      maxConnections: SOCKET_SLOTS,
    })
    await server.start()
    const port = Number(server.getServerConn().split(':').pop())
    return {
      host: HOST,
      port,
      dataDir: absolute,
      announce: lock.announce,
      async stop() {
        try {
          await server.stop()
          await db.close()
        } finally {
          lock.release()
        }
      },
    }
  } catch (error) {
    lock.release()
    throw error
  }
}
