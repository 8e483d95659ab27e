import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, test } from 'node:test'
import pg from 'pg'
import { createEmptyDatabase, USING_REAL_POSTGRES } from './helpers/database.js'
import { startServer } from './helpers/server.js'

// The real process: startup, logs, shutdown and restart, as an operator runs it.
let database: Awaited<ReturnType<typeof createEmptyDatabase>>
before(async () => {
  database = await createEmptyDatabase({ firstStart: true })
})
after(() => database.drop())

test('the server starts, migrates, serves /readyz and logs which database it uses', async () => {
  const server = await startServer(database.env)
  try {
    const response = await fetch(`${server.url}/readyz`)
    assert.equal(response.status, 200)
    const expected = USING_REAL_POSTGRES
      ? /"msg":"database: postgres:\/\//
      : /"msg":"database: embedded PGlite at /
    assert.match(server.output(), expected)
    assert.match(server.output(), /"msg":"migrations: \d+ applied"/)
    // No ADMIN_TOKEN: the startup output says why there is no dashboard, and / leads nowhere.
    assert.match(server.output(), /"msg":"dashboard off: set ADMIN_TOKEN /)
    assert.equal((await fetch(`${server.url}/`, { redirect: 'manual' })).status, 404)
  } finally {
    await server.stop()
  }
  assert.equal(await server.exited, 0)
})

test('a request log line with ?secret=... never contains the secret', async () => {
  const server = await startServer(database.env)
  try {
    await fetch(`${server.url}/healthz?secret=hunter2-very-secret&offer_id=7`, {
      headers: {
        authorization: 'Bearer admin-token-value',
        'x-postback-secret': 'header-secret-value',
      },
    })
    await new Promise((resolve) => setTimeout(resolve, 100))
  } finally {
    await server.stop()
  }
  const output = server.output()
  assert.match(output, /"url":"\/healthz\?secret=\[REDACTED\]&offer_id=7"/)
  for (const secret of ['hunter2-very-secret', 'admin-token-value', 'header-secret-value']) {
    assert.ok(!output.includes(secret), `log contains ${secret}`)
  }
})

test('on SIGTERM an in-flight request finishes, idle keep-alive sockets do not hold the exit', async () => {
  const server = await startServer(database.env)
  const { port } = new URL(server.url)
  // An idle keep-alive connection.
  const agent = new (await import('node:http')).Agent({ keepAlive: true })
  await new Promise<void>((resolve, reject) => {
    request({ port, path: '/healthz', agent }, (res) => res.resume().on('end', resolve))
      .on('error', reject)
      .end()
  })
  // A request still sending its body when the signal arrives.
  const inFlight = new Promise<number>((resolve, reject) => {
    const req = request(
      { port, path: '/healthz', method: 'POST', headers: { 'content-length': '4' } },
      (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      },
    )
    req.on('error', reject)
    req.write('ab')
    setTimeout(() => req.end('cd'), 500)
  })
  await new Promise((resolve) => setTimeout(resolve, 100))
  const started = Date.now()
  const code = await server.stop('SIGTERM')
  agent.destroy()
  assert.equal(code, 0)
  assert.ok(Date.now() - started < 5000, 'exit took too long')
  assert.ok((await inFlight) > 0, 'the in-flight request got an answer')
  assert.match(server.output(), /"msg":"stopped"/)
})

test('a restart keeps the data and applies no migration twice', async () => {
  const first = await startServer(database.env)
  await first.stop()
  const second = await startServer(database.env)
  await second.stop()
  assert.match(second.output(), /"msg":"migrations: 0 applied"/)
})

test('two instances starting at once on one database both become ready', {
  skip: USING_REAL_POSTGRES ? false : 'an embedded data directory belongs to one process',
}, async () => {
  const fresh = await createEmptyDatabase()
  try {
    const servers = await Promise.all([startServer(fresh.env), startServer(fresh.env)])
    for (const server of servers) assert.equal((await fetch(`${server.url}/readyz`)).status, 200)
    await Promise.all(servers.map((server) => server.stop()))
    const client = new pg.Client({ connectionString: fresh.env.DATABASE_URL })
    await client.connect()
    const { rows } = await client.query(
      'SELECT name, count(*)::int AS n FROM schema_migrations GROUP BY name',
    )
    await client.end()
    assert.ok(rows.length > 0)
    for (const row of rows) assert.equal(row.n, 1)
  } finally {
    await fresh.drop()
  }
})

test('SIGHUP re-reads NETWORKS_FILE; a broken file keeps the running networks', async () => {
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const dir = await mkdtemp(join(tmpdir(), 'pbr-hup-'))
  const file = join(dir, 'networks.json')
  await writeFile(file, JSON.stringify({ first: { secrets: ['first-secret-123'] } }))
  const server = await startServer({
    ...database.env,
    NETWORKS_FILE: file,
    POSTBACK_SECRET: 'server-test-secret-123',
  })
  const status = async (network: string) =>
    (await fetch(`${server.url}/api/postback/${network}?tx_id=t&offer_id=1&payout=1&secret=nope`))
      .status
  const waitFor = async (text: string) => {
    for (let i = 0; i < 50 && !server.output().includes(text); i++)
      await new Promise((r) => setTimeout(r, 100))
  }
  try {
    assert.equal(await status('first'), 403)
    assert.equal(await status('second'), 404)
    await writeFile(
      file,
      JSON.stringify({
        first: { secrets: ['first-secret-123'] },
        second: { secrets: ['second-secret-123'] },
      }),
    )
    server.child.kill('SIGHUP')
    await waitFor('"msg":"networks reloaded"')
    assert.equal(await status('second'), 403)
    await writeFile(file, '{ broken')
    server.child.kill('SIGHUP')
    await waitFor('networks not reloaded')
    assert.match(server.output(), /networks not reloaded, keeping the previous ones: NETWORKS_FILE/)
    assert.equal(await status('second'), 403)
  } finally {
    await server.stop()
    await rm(dir, { recursive: true, force: true })
  }
})
