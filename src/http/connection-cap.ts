import type { Server } from 'node:net'

/**
 * At most `max` open connections per peer address (the socket's, not X-Forwarded-For: behind
 * a proxy the proxy is one peer). One more is closed at once, before a byte is read, so one
 * address cannot take every socket the process can hold. 0: no cap.
 */
export function capConnectionsPerAddress(server: Server, max: number): void {
  if (max <= 0) return
  const open = new Map<string, number>()
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? ''
    const count = open.get(address) ?? 0
    if (count >= max) {
      socket.destroy()
      return
    }
    open.set(address, count + 1)
    socket.once('close', () => {
      const left = (open.get(address) ?? 1) - 1
      if (left > 0) open.set(address, left)
      else open.delete(address)
    })
  })
}
