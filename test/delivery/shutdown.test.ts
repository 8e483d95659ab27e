import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createMigratedDatabase } from '../helpers/database.js'
import { startReceiver } from '../helpers/receiver.js'
import { startServer } from '../helpers/server.js'
import { FAST_DELIVERY } from './harness.js'

const SECRET = 'shutdown-secret-0123456789'

test('SIGTERM waits a bounded time for a send in flight, then leaves it queued for the next start', async () => {
  const receiver = await startReceiver({ hangFirst: 1 })
  const dir = await mkdtemp(join(tmpdir(), 'pbr-shutdown-'))
  const rulesFile = join(dir, 'deliveries.json')
  await writeFile(
    rulesFile,
    JSON.stringify({ rules: [{ name: 'slow', on: ['credited'], url: `${receiver.url}/x` }] }),
  )
  const database = await createMigratedDatabase()
  const env = {
    ...database.env,
    ...FAST_DELIVERY,
    POSTBACK_SECRET: SECRET,
    DELIVERY_RULES_FILE: rulesFile,
    DELIVERY_SHUTDOWN_TIMEOUT: '500ms',
  }
  try {
    const first = await startServer(env)
    const answer = await fetch(
      `${first.url}/api/postback?secret=${SECRET}&tx_id=sd-1&offer_id=1&user_id=u&payout=1`,
    )
    assert.equal(answer.status, 200)
    await receiver.waitFor(1)
    const started = Date.now()
    assert.equal(await first.stop('SIGTERM'), 0)
    const took = Date.now() - started
    assert.ok(took < 5000, `stopped in ${took} ms despite a send that never ends`)
    assert.match(first.output(), /aborting 1 send\(s\) still in flight/)

    // The next start sends it again, with the same delivery id.
    const second = await startServer(env)
    try {
      await receiver.waitFor(2)
      const [a, b] = receiver.requests
      assert.equal(a?.headers['x-delivery-id'], b?.headers['x-delivery-id'])
    } finally {
      await second.stop('SIGTERM')
    }
  } finally {
    await receiver.close()
    await database.drop()
    await rm(dir, { recursive: true, force: true })
  }
})
