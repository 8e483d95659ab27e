import { once } from 'node:events'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'

export type ReceivedRequest = {
  method: string
  url: string
  headers: IncomingMessage['headers']
  body: string
}

export type ReceiverOptions = {
  /** Answer 500 to this many requests first. */
  failFirst?: number
  /** Never answer the first N requests (a send that hangs until the sender gives up). */
  hangFirst?: number
  /** Milliseconds to wait before answering (to catch concurrent sends of one job). */
  delayMs?: number
}

export type Receiver = {
  url: string
  requests: ReceivedRequest[]
  /** Delivery ids seen while another request with the same id was still in flight. */
  overlapping: string[]
  /** Resolves once `count` requests have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

/** A local HTTP endpoint standing in for a tracker or the operator's app. */
export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const requests: ReceivedRequest[] = []
  const overlapping: string[] = []
  const inFlight = new Set<string>()
  const waiters: { count: number; resolve: () => void }[] = []
  let seen = 0

  const server = createServer(async (request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    seen += 1
    const number = seen
    const id = String(request.headers['x-delivery-id'] ?? '')
    if (inFlight.has(id)) overlapping.push(id)
    inFlight.add(id)
    requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      headers: request.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    })
    for (const waiter of waiters.filter((w) => requests.length >= w.count)) waiter.resolve()
    if (number <= (options.hangFirst ?? 0)) {
      request.socket.once('close', () => inFlight.delete(id))
      return // no answer: the sender times out or dies
    }
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs))
    inFlight.delete(id)
    const failing = number <= (options.failFirst ?? 0)
    response.writeHead(failing ? 500 : 200, { 'content-type': 'text/plain' })
    response.end(failing ? `failure ${number}` : 'ok')
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    overlapping,
    waitFor(count, timeoutMs = 15_000) {
      if (requests.length >= count) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`receiver got ${requests.length} of ${count} requests`)),
          timeoutMs,
        )
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer)
            resolve()
          },
        })
      })
    },
    async close() {
      server.closeAllConnections()
      server.close()
      await once(server, 'close').catch(() => {})
    },
  }
}
