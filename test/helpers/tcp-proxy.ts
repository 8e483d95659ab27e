import { once } from 'node:events'
import { connect, createServer, type Socket } from 'node:net'

export type TcpProxy = {
  host: string
  port: number
  /** Connections accepted so far (refused ones included): proves traffic went through the proxy. */
  readonly accepted: number
  /** The server goes away: destroys every open connection and resets each new one. */
  cut(): void
  /** The network stalls: connections stay open but no byte passes either way, new ones too. */
  hang(): void
  /** Forwards again; bytes held during hang() are delivered. */
  restore(): void
  close(): Promise<void>
}

/** A TCP proxy on 127.0.0.1:<free port> to `target`, to take a server away and bring it back. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let mode: 'forward' | 'cut' | 'hang' = 'forward'
  let accepted = 0

  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
    socket.on('error', () => {}) // a reset peer is the point, not a failure
    if (mode === 'hang') socket.pause()
  }

  const server = createServer((client) => {
    accepted += 1
    if (mode === 'cut') {
      client.on('error', () => {})
      client.resetAndDestroy()
      return
    }
    const upstream = connect(target.port, target.host)
    client.pipe(upstream)
    upstream.pipe(client)
    track(client)
    track(upstream)
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('proxy has no TCP port')

  const destroyAll = () => {
    for (const socket of sockets) socket.destroy()
  }
  return {
    host: '127.0.0.1',
    port: address.port,
    get accepted() {
      return accepted
    },
    cut() {
      mode = 'cut'
      destroyAll()
    },
    hang() {
      mode = 'hang'
      for (const socket of sockets) socket.pause()
    },
    restore() {
      mode = 'forward'
      for (const socket of sockets) socket.resume()
    },
    async close() {
      mode = 'cut'
      destroyAll()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
