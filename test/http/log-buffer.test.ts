import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

// Lines to stdout are buffered (a postback's two request lines were two write system calls),
// but never held long: a line shows within the flush interval even when nothing follows it,
// and whatever is buffered goes out when the process exits.

const LOGGING = fileURLToPath(new URL('../../src/http/logging.ts', import.meta.url))
const SCRIPT = `
import { createLogger } from ${JSON.stringify(LOGGING)}
const log = createLogger({ LOG_LEVEL: 'info' })
process.stdin.on('data', (chunk) => {
  for (const word of chunk.toString().trim().split(/\\s+/)) {
    if (word === 'exit') process.exit(0)
    log.info({ word }, 'line')
  }
})
`

function startLogger() {
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  let out = ''
  child.stdout.on('data', (chunk) => {
    out += chunk
  })
  const words = () => [...out.matchAll(/"word":"(\w+)"/g)].map((m) => m[1])
  return { child, words }
}

async function until(check: () => boolean, ms: number) {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) return false
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return true
}

test('a lone line reaches stdout within the flush interval, without a line after it', async () => {
  const { child, words } = startLogger()
  try {
    child.stdin.write('first\n')
    // 100 ms of buffering; seconds of margin for tsx starting on a loaded machine.
    assert.ok(await until(() => words().includes('first'), 15_000), 'the line never showed')
    const sent = Date.now()
    child.stdin.write('second\n')
    assert.ok(await until(() => words().includes('second'), 2_000), 'held for more than 2 s')
    assert.ok(Date.now() - sent < 2_000)
  } finally {
    child.kill()
  }
})

test('lines still buffered when the process exits are written, in order', async () => {
  const { child, words } = startLogger()
  child.stdin.write('warm\n')
  assert.ok(await until(() => words().includes('warm'), 15_000))
  child.stdin.write('a b c d exit\n')
  await once(child, 'exit')
  assert.deepEqual(words(), ['warm', 'a', 'b', 'c', 'd'])
})
