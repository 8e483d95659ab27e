import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { Browser, Page } from 'playwright-core'
import { buildProfile } from '../../src/networks/profile.js'
import { buildTestPostback } from '../../src/operations/test-postback.js'
import { ADMIN_TOKEN, adminHeaders, buildAppOn, consistentBalance, SECRET } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase, testConfig } from '../helpers/database.js'
import { capturingLogger } from '../helpers/logging.js'
import { launchBrowser, NO_BROWSER, screenshots, signInTo, watchedPage } from './browser.js'

// The day-to-day edits in Debian's chromium: a network added from a preset plus a secret and
// edited (allowed IPs, statuses, a new secret), a NETWORKS_FILE network read-only, offers'
// expected payouts, and a balance adjustment that asks first for a user never seen and applies
// once when its form is sent twice.

const FIRST = 'browser-first-secret-0123456789'
const SECOND = 'browser-second-secret-0123456789'
const FILE_SECRET = 'browser-file-secret-0123456789'

describe('day-to-day edits in a real browser', { skip: NO_BROWSER }, () => {
  let testDb: TestDatabase
  let app: FastifyInstance
  let base: string
  let browser: Browser
  let page: Page
  let logLines: () => string
  const refused: string[] = []

  before(async () => {
    testDb = await createTestDatabase()
    const networksFile = join(tmpdir(), `edits-networks-${process.pid}-${Date.now()}.json`)
    await writeFile(networksFile, JSON.stringify({ acme: { secrets: [FILE_SECRET] } }))
    // A stored copy of the file's network: shown as shadowed, never used.
    await testDb.db.pool.query(
      `INSERT INTO network_profiles (name, profile, secrets, updated_by)
       VALUES ('acme', '{"preset": "cpx"}', ARRAY['stored-acme-secret-0123456789'], 'test')`,
    )
    const captured = capturingLogger()
    logLines = captured.lines
    app = await buildAppOn(
      testDb,
      { NETWORKS_FILE: networksFile, TRUST_PROXY: '127.0.0.1' },
      captured.logger,
    )
    await app.listen({ host: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    browser = await launchBrowser()
    page = await watchedPage(browser, refused)
    await signInTo(page, `${base}/dashboard/networks`, ADMIN_TOKEN)
  })

  after(async () => {
    await browser?.close()
    await app?.close()
    await testDb?.drop()
  })

  let sent = 0
  /** A CPX postback as the network sends it, signed with `secret`, from `from`. */
  async function cpx(secret: string, options: { from?: string; status?: string; user?: string }) {
    const profile = buildProfile('cpx', { preset: 'cpx', secrets: [secret] }, testConfig())
    sent += 1
    const built = buildTestPostback(
      profile,
      {
        txId: `browser-${Date.now()}-${sent}`,
        userId: options.user ?? 'cpx-user',
        status: 'approved',
        extra: options.status ? [['status', options.status]] : [],
      },
      base,
      base,
    )
    const response = await fetch(built.url, {
      headers: { 'x-forwarded-for': options.from ?? '198.51.100.7' },
    })
    return response.headers.get('x-postback-outcome')
  }

  const card = (name: string) => page.locator(`#network-${name}`)

  test('a network is added from a preset plus its secret, takes postbacks at once, and never shows the secret', async () => {
    assert.equal(await cpx(FIRST, {}), 'UNKNOWN_NETWORK')
    await page.click('#add-network summary')
    await page.selectOption('#add-network select[name=preset]', 'cpx')
    await page.fill('#add-network input[name=name]', 'cpx')
    await page.fill('#add-network input[name=secret]', FIRST)
    await page.click('button:has-text("Add network")')
    await page.getByText('Network added').waitFor()
    assert.match((await card('cpx').textContent()) ?? '', /Stored in the database · 1 secret set/)
    assert.equal(await cpx(FIRST, { user: 'cpx-added' }), 'credited')
    assert.equal(await consistentBalance(testDb, 'cpx-added'), 1)
    // The URL to paste carries CPX's own macro, never the secret (CPX signs with it).
    assert.ok(!(await page.content()).includes(FIRST))
    await screenshots(page, 'networks-added')
  })

  test('a stored network whose URL carries its secret shows YOUR_SECRET there instead', async () => {
    const secret = 'browser-monlix-secret-0123456789'
    await page.click('#add-network summary')
    await page.selectOption('#add-network select[name=preset]', 'monlix')
    await page.fill('#add-network input[name=name]', 'monlix')
    await page.fill('#add-network input[name=secret]', secret)
    await page.click('button:has-text("Add network")')
    await page.getByText('Network added').waitFor()
    const url = await card('monlix').locator('textarea[readonly]').inputValue()
    assert.match(url, /[?&]secretKey=YOUR_SECRET&/)
    assert.ok(!(await page.content()).includes(secret))
  })

  test('a NETWORKS_FILE network is read-only and its stored copy is marked as shadowed', async () => {
    const acme = card('acme')
    assert.match((await acme.textContent()) ?? '', /Defined in NETWORKS_FILE: read-only here/)
    await acme.locator('[data-shadowed]').waitFor()
    assert.equal(await acme.locator('summary:has-text("Edit")').count(), 0)
    assert.match((await card('default').textContent()) ?? '', /Configured by the environment/)
  })

  test('editing allowed IPs, statuses and the secret applies to the next postback', async () => {
    const cpxCard = card('cpx')
    await cpxCard.locator('summary:has-text("Edit cpx")').click()
    await cpxCard.locator('textarea[name=allowedIps]').fill('203.0.113.0/24\n2001:db8::/32')
    assert.equal(await cpxCard.locator('input[name=approved]').inputValue(), '1')
    await cpxCard.locator('input[name=approved]').fill('1, ok')
    await cpxCard.locator('input[name=secret]').fill(SECOND)
    await cpxCard.locator('button:has-text("Save cpx")').click()
    await page.getByText('Saved: applied now').waitFor()
    assert.match(
      (await card('cpx').textContent()) ?? '',
      /allowed IPs: 203\.0\.113\.0\/24, 2001:db8::\/32/,
    )
    assert.equal(await cpx(SECOND, { from: '198.51.100.7' }), 'IP_NOT_ALLOWED')
    assert.equal(await cpx(FIRST, { from: '203.0.113.5' }), 'BAD_SIGNATURE')
    assert.equal(await cpx(SECOND, { from: '203.0.113.5', status: 'ok' }), 'credited')
    const html = await page.content()
    assert.ok(!html.includes(FIRST) && !html.includes(SECOND), 'no secret on the page')
    for (const secret of [FIRST, SECOND]) assert.ok(!logLines().includes(secret), 'nor in the log')

    await card('cpx').locator('summary:has-text("Edit cpx")').click()
    await card('cpx').locator('textarea[name=allowedIps]').fill('300.1.1.1')
    await card('cpx').locator('button:has-text("Save cpx")').click()
    await page.getByText('allowedIps: "300.1.1.1" is not an IP address or CIDR').waitFor()
    await page.goBack()
  })

  test("an offer's expected payout is set and edited exactly, and the API twin lists the same", async () => {
    await page.click('nav a:has-text("Offers")')
    await page.waitForURL(`${base}/dashboard/offers`)
    await page.fill('#set-offer input[name=network]', 'cpx')
    await page.fill('#set-offer input[name=offerId]', 'survey-9')
    await page.fill('#set-offer input[name=expectedPayout]', '0.000001')
    await page.click('#set-offer button:has-text("Save")')
    await page.getByText('Saved: payout review uses').waitFor()
    const row = page.locator('tr[data-offer="cpx/survey-9"]')
    assert.equal(await row.locator('input[name=expectedPayout]').inputValue(), '0.000001')
    await row.locator('input[name=expectedPayout]').fill('12345678901234.123456')
    await row.locator('button:has-text("Save")').click()
    await page.getByText('Saved: payout review uses').waitFor()
    assert.equal(
      await page.locator('tr[data-offer="cpx/survey-9"] input[name=expectedPayout]').inputValue(),
      '12345678901234.123456',
    )
    const api = await app.inject({ url: '/admin/offers?network=cpx', headers: adminHeaders })
    assert.deepEqual(
      api
        .json()
        .items.map((o: { offerId: string; expectedPayout: string }) => [
          o.offerId,
          o.expectedPayout,
        ]),
      [['survey-9', '12345678901234.123456']],
    )
    await page.fill('#set-offer input[name=offerId]', 'survey-10')
    await page.fill('#set-offer input[name=expectedPayout]', '3.5.0')
    await page.click('#set-offer button:has-text("Save")')
    await page.getByText('expectedPayout: must be a plain decimal').waitFor()
    await page.goBack()
    await screenshots(page, 'offers')
  })

  test('adjusting a user never seen asks first; confirmed, it applies', async () => {
    await page.goto(`${base}/dashboard/users?user=ghost-7`)
    await page.fill('#adjust input[name=points]', '250')
    await page.fill('#adjust input[name=reason]', 'welcome bonus')
    await page.click('#adjust button:has-text("Adjust")')
    await page.locator('#new-user-warning').waitFor()
    assert.match(
      (await page.locator('#new-user-warning').textContent()) ?? '',
      /ghost-7 has never been seen: no balance and no conversions/,
    )
    assert.equal(await consistentBalance(testDb, 'ghost-7'), 0, 'nothing applied before confirming')
    await screenshots(page, 'adjust-new-user')
    await page.click('button:has-text("Yes, adjust new user ghost-7")')
    await page.getByText('Adjusted:').waitFor()
    assert.equal(await page.locator('#balance').textContent(), '250')
  })

  test('an adjustment form sent twice applies once', async () => {
    // cpx-added was seen (a conversion): no question asked.
    await page.goto(`${base}/dashboard/users?user=cpx-added`)
    await page.fill('#adjust input[name=points]', '-1')
    await page.fill('#adjust input[name=reason]', 'double click test')
    // The same form data posted twice at once, as a double click or a resent request would.
    // (A string: tsx would wrap a named function in a helper the page does not have.)
    const statuses: string[] = await page.evaluate(`(() => {
      const form = document.querySelector('#adjust form')
      const body = () => new URLSearchParams(new FormData(form))
      return Promise.all([1, 2].map(() =>
        fetch(form.action, { method: 'POST', body: body() }).then((r) => r.url)))
    })()`)
    assert.deepEqual(statuses.map((url) => new URL(url).searchParams.get('notice')).sort(), [
      'adjust-duplicate',
      'adjusted',
    ])
    assert.equal(await consistentBalance(testDb, 'cpx-added'), 0)
    const { rows } = await testDb.db.pool.query(
      `SELECT 1 FROM audit_log WHERE action = 'balance.adjust' AND user_id = 'cpx-added'`,
    )
    assert.equal(rows.length, 1, 'one audit row for the one adjustment')
  })

  test('every page kept to its Content-Security-Policy', () => {
    assert.deepEqual(refused, [])
    assert.ok(!logLines().includes(SECRET))
  })
})
