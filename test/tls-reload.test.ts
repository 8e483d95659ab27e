import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { connect } from 'node:tls'
import { createMigratedDatabase } from './helpers/database.js'
import { startServer } from './helpers/server.js'

// Direct TLS: on SIGHUP the server re-reads TLS_CERT_FILE and TLS_KEY_FILE, so a renewed
// certificate is served without a restart; a broken file keeps the previous certificate.

let database: Awaited<ReturnType<typeof createMigratedDatabase>>
let dir: string
before(async () => {
  database = await createMigratedDatabase()
  dir = mkdtempSync(join(tmpdir(), 'pbr-tls-'))
})
after(async () => {
  rmSync(dir, { recursive: true, force: true })
  await database.drop()
})

/** A self-signed certificate and key made by openssl; returns their paths. */
function selfSigned(name: string) {
  const cert = join(dir, `${name}.crt`)
  const key = join(dir, `${name}.key`)
  const args = `req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=${name} -keyout ${key} -out ${cert}`
  execFileSync('openssl', args.split(' '), { stdio: 'ignore' })
  return { cert, key }
}

/** The SHA-256 fingerprint of the certificate a fresh TLS connection is served. */
function servedFingerprint(url: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: hostname, port: Number(port), rejectUnauthorized: false },
      () => {
        resolve(socket.getPeerCertificate().fingerprint256)
        socket.end()
      },
    )
    socket.on('error', reject)
  })
}

function fingerprintOf(certFile: string): string {
  const out = execFileSync('openssl', [
    'x509',
    '-in',
    certFile,
    '-noout',
    '-fingerprint',
    '-sha256',
  ])
  return String(out).trim().split('=')[1] as string
}

async function waitForLog(output: () => string, pattern: RegExp, from: number) {
  for (let i = 0; i < 100; i++) {
    if (pattern.test(output().slice(from))) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  assert.fail(`no log line matching ${pattern}:\n${output().slice(from)}`)
}

test('SIGHUP serves a replaced certificate; a broken file keeps the running one', async () => {
  const first = selfSigned('first')
  const second = selfSigned('second')
  const certFile = join(dir, 'server.crt')
  const keyFile = join(dir, 'server.key')
  copyFileSync(first.cert, certFile)
  copyFileSync(first.key, keyFile)
  const server = await startServer({
    ...database.env,
    TLS_CERT_FILE: certFile,
    TLS_KEY_FILE: keyFile,
  })
  try {
    assert.match(server.url, /^https:/)
    assert.equal(await servedFingerprint(server.url), fingerprintOf(first.cert))

    copyFileSync(second.cert, certFile)
    copyFileSync(second.key, keyFile)
    let mark = server.output().length
    server.child.kill('SIGHUP')
    await waitForLog(server.output, /"msg":"TLS certificate reloaded"/, mark)
    assert.equal(await servedFingerprint(server.url), fingerprintOf(second.cert))

    // A key that does not match the certificate, then a missing certificate: both refused.
    copyFileSync(first.key, keyFile)
    mark = server.output().length
    server.child.kill('SIGHUP')
    await waitForLog(server.output, /TLS certificate not reloaded, keeping the previous one/, mark)
    rmSync(certFile)
    writeFileSync(keyFile, 'not a key')
    mark = server.output().length
    server.child.kill('SIGHUP')
    await waitForLog(server.output, /TLS certificate not reloaded.*ENOENT/, mark)
    assert.equal(await servedFingerprint(server.url), fingerprintOf(second.cert))
    const ready = await new Promise<number>((resolve) => {
      const socket = connect(
        { host: '127.0.0.1', port: Number(new URL(server.url).port), rejectUnauthorized: false },
        () => {
          socket.write('GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
        },
      )
      let text = ''
      socket.on('data', (chunk) => {
        text += chunk
      })
      socket.on('end', () => resolve(Number(text.split(' ')[1])))
    })
    assert.equal(ready, 200, 'still serving after the failed reloads')
    assert.ok(!server.output().includes('PRIVATE KEY'), 'no key material in the log')
  } finally {
    assert.equal(await server.stop(), 0)
  }
})
