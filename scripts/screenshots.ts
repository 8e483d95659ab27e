// Screenshots of the dashboard for README.md's operator section: starts the built service on a
// throwaway embedded database, sends it a small day of postbacks (credits, a reversal, a held
// payout, refusals, a duplicate with another payout), signs in with ADMIN_TOKEN in Debian's
// chromium and captures every page the navigation links to (the first 1280×800), into
// docs/screenshots/.
//   npm run -s build && npx tsx scripts/screenshots.ts
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'

const OUT = 'docs/screenshots'
const ADMIN_TOKEN = 'screenshots-admin-token-0123456789'
const SECRET = 'screenshots-postback-secret-0123'

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })

const dir = mkdtempSync(join(tmpdir(), 'pbr-screenshots-'))
const port = await freePort()
const base = `http://127.0.0.1:${port}`
writeFileSync(
  join(dir, 'networks.json'),
  JSON.stringify({ kiwiwall: { preset: 'kiwiwall', secrets: ['kiwi-secret-0123456789'] } }),
)
const service = spawn(process.execPath, ['dist/server.js'], {
  env: {
    PATH: process.env.PATH ?? '',
    PORT: String(port),
    HOST: '127.0.0.1',
    ADMIN_TOKEN,
    POSTBACK_SECRET: SECRET,
    MAX_PAYOUT: '100',
    PGLITE_DATA_DIR: join(dir, 'pglite'),
    NETWORKS_FILE: join(dir, 'networks.json'),
    LOG_LEVEL: 'warn',
    DOTENV_CONFIG_PATH: '/nonexistent/.env',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
})
try {
  for (let i = 0; ; i++) {
    if ((await fetch(`${base}/readyz`).catch(() => null))?.ok) break
    if (i > 120) throw new Error('the service did not become ready in 60 s')
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  const fire = (fields: Record<string, string>) =>
    fetch(`${base}/api/postback?${new URLSearchParams({ secret: SECRET, ...fields })}`)
  const users = ['alice', 'bob', 'carol', 'dave', 'erin']
  for (let i = 0; i < 40; i++) {
    await fire({
      tx_id: `tx-${i}`,
      user_id: users[i % 5] as string,
      offer_id: `offer-${i % 4}`,
      payout: `${(i % 7) + 0.25}`,
    })
  }
  await fire({ tx_id: 'tx-3', user_id: 'dave', offer_id: 'offer-3', payout: '9.99' }) // a repeat with another payout
  await fire({
    tx_id: 'tx-5',
    user_id: 'alice',
    offer_id: 'offer-1',
    payout: '5.25',
    status: 'reversed',
  })
  await fire({ tx_id: 'tx-big', user_id: 'erin', offer_id: 'offer-2', payout: '250' }) // over MAX_PAYOUT: held
  await fire({ tx_id: 'tx-nosecret', user_id: 'bob', payout: '1' }).then((r) => r.text())
  await fetch(`${base}/api/postback?secret=wrong&tx_id=tx-bad&user_id=carol&payout=2`)
  await fetch(`${base}/api/postback/kiwiwall?trans_id=k-1&amount=3`)

  await mkdir(OUT, { recursive: true })
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  })
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } })
  await page.goto(`${base}/dashboard`)
  await page.fill('input[name=token]', ADMIN_TOKEN)
  await page.click('button[type=submit]')
  await page.waitForURL(`${base}/dashboard`)
  const links = await page.locator('header nav a').evaluateAll((anchors) =>
    anchors.map((a) => ({
      href: (a as HTMLAnchorElement).getAttribute('href') ?? '',
      label: a.textContent ?? '',
    })),
  )
  for (const { href, label } of links) {
    await page.goto(`${base}${href}`)
    const name = href.replace(/^\/dashboard\/?/, '') || 'overview'
    await page.screenshot({ path: `${OUT}/${name.replace(/\W+/g, '-')}.png` })
    console.log(`${OUT}/${name}.png  ${label}`)
  }
  await browser.close()
} finally {
  service.kill('SIGTERM')
  await new Promise((resolve) => service.once('exit', resolve))
  rmSync(dir, { recursive: true, force: true })
}
