import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { after, before, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { buildAppOn } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'

// Slow-loris over real sockets: a client that trickles its head or body is answered 408 and
// cut within HEADERS_TIMEOUT / REQUEST_TIMEOUT, and everyone else is still served meanwhile.
const HEADERS_MS = 1000
const REQUEST_MS = 2000
// Node checks its timeouts on an interval (a quarter of the shortest here) and the machine is shared.
const SLACK_MS = 3000
let testDb: TestDatabase
let app: FastifyInstance
let port: number

before(async () => {
  testDb = await createTestDatabase()
  app = await buildAppOn(testDb, {
    HEADERS_TIMEOUT: `${HEADERS_MS} ms`,
    REQUEST_TIMEOUT: `${REQUEST_MS} ms`,
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  port = (app.server.address() as { port: number }).port
})
after(async () => {
  await app.close()
  await testDb.drop()
})

type Cut = { elapsedMs: number; answer: string }

/** Opens a socket, sends `head`, then one byte of `trickle` every 200 ms; resolves when cut. */
function slowClient(head: string, trickle = ''): Promise<Cut> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    let answer = ''
    let sent = 0
    const socket: Socket = connect(port, '127.0.0.1', () => {
      if (head) socket.write(head)
    })
    const drip = setInterval(() => {
      if (sent < trickle.length && !socket.destroyed) socket.write(trickle[sent++] ?? '')
    }, 200)
    const guard = setTimeout(() => {
      socket.destroy()
      reject(new Error(`still open after 15 s; got ${JSON.stringify(answer)}`))
    }, 15_000)
    socket.on('data', (chunk) => {
      answer += chunk
    })
    socket.on('error', () => {}) // a reset counts as cut, like a close
    socket.on('close', () => {
      clearInterval(drip)
      clearTimeout(guard)
      resolve({ elapsedMs: Date.now() - started, answer })
    })
  })
}

test('a client that trickles its request head is answered 408 and cut within HEADERS_TIMEOUT', async () => {
  const cut = await slowClient(
    'GET /healthz HTTP/1.1\r\nHost: x\r\n',
    'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
  )
  assert.match(cut.answer, /^HTTP\/1\.1 408 /)
  assert.match(cut.answer, /REQUEST_TIMEOUT/)
  assert.ok(cut.elapsedMs < HEADERS_MS + SLACK_MS, `cut after ${cut.elapsedMs} ms`)
})

test('a connection that sends nothing is cut within HEADERS_TIMEOUT', async () => {
  const cut = await slowClient('')
  assert.ok(cut.elapsedMs < HEADERS_MS + SLACK_MS, `cut after ${cut.elapsedMs} ms`)
})

test('a postback whose body trickles is answered 408 and cut within REQUEST_TIMEOUT; others are served meanwhile', async () => {
  const body = 'tx_id=slow&offer_id=o&payout=1.00&user_id=u'
  const head = `POST /api/postback HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n`
  const slow = Array.from({ length: 20 }, () => slowClient(head, body))
  // While twenty slow clients hold their connections, a normal request is answered at once.
  await new Promise((resolve) => setTimeout(resolve, 500))
  const started = Date.now()
  const healthy = await fetch(`http://127.0.0.1:${port}/healthz`)
  assert.equal(healthy.status, 200)
  assert.ok(Date.now() - started < 1000)
  for (const cut of await Promise.all(slow)) {
    assert.ok(cut.elapsedMs < REQUEST_MS + SLACK_MS, `cut after ${cut.elapsedMs} ms`)
    assert.match(cut.answer, /^HTTP\/1\.1 408 /)
  }
  const { rows } = await testDb.db.pool.query(`SELECT count(*)::int AS n FROM conversions`)
  assert.equal(rows[0]?.n, 0, 'nothing recorded from a body that never arrived')
})

test('with MAX_CONNECTIONS_PER_IP, one more connection from the same address is closed at once; a freed slot serves again', async () => {
  const capped = await buildAppOn(testDb, { MAX_CONNECTIONS_PER_IP: '5' })
  await capped.listen({ port: 0, host: '127.0.0.1' })
  const cappedPort = (capped.server.address() as { port: number }).port
  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = connect(cappedPort, '127.0.0.1', () => resolve(socket))
      socket.on('error', reject)
    })
  const held: Socket[] = []
  try {
    for (let i = 0; i < 5; i++) held.push(await open())
    // Give the server time to count them before the sixth arrives.
    await new Promise((resolve) => setTimeout(resolve, 100))
    const extra = await open()
    const started = Date.now()
    extra.on('error', () => {})
    extra.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
    let answered = ''
    extra.on('data', (chunk) => {
      answered += chunk
    })
    await new Promise((resolve) => extra.once('close', resolve))
    assert.equal(answered, '', 'closed before a byte was read')
    assert.ok(Date.now() - started < 1000)

    held.pop()?.destroy()
    await new Promise((resolve) => setTimeout(resolve, 100))
    const served = await fetch(`http://127.0.0.1:${cappedPort}/healthz`, {
      headers: { connection: 'close' },
    })
    assert.equal(served.status, 200)
  } finally {
    for (const socket of held) socket.destroy()
    await capped.close()
  }
})
