import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import { buildProfile, defaultProfile } from '../../src/networks/profile.js'
import { NetworkRegistry } from '../../src/networks/registry.js'
import { ADMIN_TOKEN, buildAppOn, SECRET, uniqueTx } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase, testConfig } from '../helpers/database.js'
import { capturingLogger } from '../helpers/logging.js'
import { launchBrowser, NO_BROWSER, screenshots } from './browser.js'

const ACME_SECRET = 'acme-secret-0123456789'
const ENV = { MAX_PAYOUT: '100' }

describe('the dashboard in a real browser', { skip: NO_BROWSER }, () => {
  let testDb: TestDatabase
  let app: FastifyInstance
  let base: string
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let logLines: () => string
  const visited: string[] = []
  /** What the browser refused under the pages' CSP, and errors thrown by the page script. */
  const refused: string[] = []
  const config = testConfig({ POSTBACK_SECRET: SECRET, ADMIN_TOKEN, ...ENV })
  // acme reads its transaction id only from trans_id at first; the fix adds the alias tid.
  const acme = (txNames: string[]) =>
    buildProfile('acme', { secrets: [ACME_SECRET], params: { tx_id: txNames } }, config)
  const networks = new NetworkRegistry([defaultProfile(config, [SECRET]), acme(['trans_id'])])

  before(async () => {
    testDb = await createTestDatabase()
    const captured = capturingLogger()
    logLines = captured.lines
    app = await buildAppOn(testDb, ENV, captured.logger, { networks })
    await app.listen({ host: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    browser = await launchBrowser()
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    context.setDefaultTimeout(15_000)
    context.on('request', (request) => visited.push(request.url()))
    page = await context.newPage()
    page.on('framenavigated', (frame) => visited.push(frame.url()))
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) refused.push(message.text())
    })
    page.on('pageerror', (error) => refused.push(`page error: ${error.message}`))
  })

  after(async () => {
    await browser?.close()
    await app?.close()
    await testDb?.drop()
  })

  /** A postback sent over HTTP, as the network would. */
  async function fire(path: string, fields: Record<string, string>) {
    const response = await fetch(`${base}${path}?${new URLSearchParams(fields)}`)
    return { status: response.status, outcome: response.headers.get('x-postback-outcome') }
  }

  async function balanceShown(userId: string): Promise<string> {
    await page.goto(`${base}/dashboard/users?user=${encodeURIComponent(userId)}`)
    return (await page.locator('#balance').textContent()) ?? ''
  }

  test('a wrong token is refused and no session is given', async () => {
    await page.goto(`${base}/dashboard/postbacks`)
    assert.match(page.url(), /\/dashboard\/login\?next=%2Fdashboard%2Fpostbacks$/)
    await page.fill('input[name=token]', 'not-the-admin-token-at-all')
    await page.click('button:has-text("Sign in")')
    await page.getByText('That is not the ADMIN_TOKEN.').waitFor()
    assert.match(page.url(), /\/dashboard\/login$/)
    assert.deepEqual(await context.cookies(), [])
    await screenshots(page, 'login-refused')
    const api = await page.evaluate(async () => (await fetch('/dashboard/review')).url)
    assert.match(api, /\/dashboard\/login/, 'pages stay behind the sign-in')
  })

  test('signing in with ADMIN_TOKEN opens the page asked for, with an HttpOnly strict cookie', async () => {
    await page.fill('input[name=token]', ADMIN_TOKEN)
    await page.click('button:has-text("Sign in")')
    await page.waitForURL(`${base}/dashboard/postbacks`)
    await page.getByRole('heading', { name: 'Postback log' }).waitFor()
    const [cookie] = await context.cookies()
    assert.equal(cookie?.httpOnly, true)
    assert.equal(cookie?.sameSite, 'Strict')
    assert.ok(!cookie?.value.includes(ADMIN_TOKEN))
  })

  test('a postback fired over HTTP appears in the open log without a reload', async () => {
    const tx = uniqueTx('live')
    await page.getByText('live', { exact: false }).first().waitFor()
    const answer = await fire('/api/postback', {
      tx_id: tx,
      offer_id: 'offer-7',
      payout: '1.25',
      user_id: 'alice',
      secret: SECRET,
    })
    assert.deepEqual(answer, { status: 200, outcome: 'credited' })
    const entry = page.locator('details.entry', { hasText: tx })
    await entry.waitFor({ timeout: 10_000 })
    await entry.locator('summary').first().click()
    const text = (await entry.textContent()) ?? ''
    assert.match(text, /accepted and the user was credited/)
    assert.match(text, /secret=\[REDACTED\]/)
    assert.ok(!text.includes(SECRET), 'the stored request shows no secret')
    assert.equal(await balanceShown('alice'), '125')
  })

  test('a refused postback explains itself and replays once the network profile is fixed', async () => {
    const tx = uniqueTx('acme')
    const answer = await fire('/api/postback/acme', {
      tid: tx,
      offer_id: 'offer-9',
      payout: '2',
      user_id: 'bob',
      secret: ACME_SECRET,
    })
    assert.deepEqual(answer, { status: 400, outcome: 'MISSING_FIELD' })
    await fire('/api/postback', {
      tx_id: uniqueTx('macro'),
      offer_id: 'offer-9',
      payout: '1',
      user_id: '{sub1}',
      secret: SECRET,
    })
    await page.goto(`${base}/dashboard/postbacks?network=acme&outcome=refused`)
    const entry = page.locator('details.entry', { hasText: 'MISSING_FIELD' }).first()
    await entry.locator('summary').first().click()
    const text = (await entry.textContent()) ?? ''
    assert.match(text, /a required parameter was missing under every name network acme reads/)
    assert.match(text, /parameter tx_id is required \(parameter trans_id\)/)
    assert.match(text, /add that name to network acme's params in NETWORKS_FILE/)

    // Before the fix, a replay is refused the same way (and says so on the new entry).
    await entry.locator('summary:has-text("Replay")').click()
    await entry.getByRole('button', { name: 'Replay now' }).click()
    await page.waitForURL(/\/dashboard\/postbacks\/\d+\?notice=replayed$/)
    await page.locator('p', { hasText: /^Replay of #\d+ by dashboard from / }).waitFor()
    assert.match((await page.locator('details.entry').textContent()) ?? '', /MISSING_FIELD/)

    networks.replace([defaultProfile(config, [SECRET]), acme(['trans_id', 'tid'])]) // as SIGHUP does
    await page.goto(`${base}/dashboard/postbacks?network=acme&outcome=MISSING_FIELD`)
    const original = page.locator('details.entry', { hasNotText: 'Replay of' }).last()
    await original.locator('summary').first().click()
    await original.locator('summary:has-text("Replay")').click()
    await original.getByRole('button', { name: 'Replay now' }).click()
    await page.waitForURL(/\/dashboard\/postbacks\/\d+\?notice=replayed$/)
    const replayed = (await page.locator('details.entry').textContent()) ?? ''
    assert.match(replayed, /credited/)
    assert.match(replayed, new RegExp(tx))
    assert.equal(await balanceShown('bob'), '200')

    await page.goto(`${base}/dashboard/postbacks?period=24h`)
    await page
      .locator('details.entry', { hasText: 'UNREPLACED_MACRO' })
      .locator('summary')
      .first()
      .click()
    await page
      .getByText(
        'parameter user_id still contains the macro {sub1}: the network did not replace it',
      )
      .waitFor()
    await screenshots(page, 'postback-log')
  })

  test('a held conversion is approved from the review queue and the balance changes', async () => {
    const tx = uniqueTx('big')
    const answer = await fire('/api/postback', {
      tx_id: tx,
      offer_id: 'offer-1',
      payout: '250',
      user_id: 'carol',
      secret: SECRET,
    })
    assert.deepEqual(answer, { status: 200, outcome: 'held' })
    await page.goto(`${base}/dashboard/review`)
    const card = page.locator('.card', { hasText: tx })
    assert.match((await card.textContent()) ?? '', /exceeds/)
    await screenshots(page, 'review-queue')

    // A forged POST (no CSRF token) changes nothing.
    const id = ((await card.locator('a').first().textContent()) ?? '').replace('#', '')
    const forged = await page.evaluate(
      async (url) => (await fetch(url, { method: 'POST' })).status,
      `/dashboard/conversions/${id}/approve`,
    )
    assert.equal(forged, 403)
    assert.equal(await balanceShown('carol'), '0')

    await page.goto(`${base}/dashboard/review`)
    await card.locator('summary:has-text("Approve")').click()
    await screenshots(page, 'review-confirm')
    await card.getByRole('button', { name: 'Yes, approve and credit' }).click()
    await page.waitForURL(`${base}/dashboard/conversions/${id}?notice=approved`)
    await page.getByText('Approved: the conversion is credited').waitFor()
    assert.equal(await balanceShown('carol'), '25000')
    await screenshots(page, 'user')
  })

  test('the test-postback button sends a signed postback through the real path', async () => {
    await page.goto(`${base}/dashboard/networks`)
    const section = page.locator('#network-acme')
    assert.match(
      await section.locator('textarea[readonly]').inputValue(),
      // The static secret comes first, so an unreplaced #macro# cannot cut it off.
      /\/api\/postback\/acme\?secret=[^&]+&trans_id=\{trans_id\}&/,
    )
    await section.getByRole('button', { name: 'Copy' }).click()
    await section.getByRole('button', { name: 'Copied' }).waitFor()
    await section.locator('input[name=user]').fill('dash-tester')
    await section.getByRole('button', { name: 'Send test postback' }).click()
    const result = page.locator('#network-acme [data-test-result]')
    await result.waitFor()
    const text = (await result.textContent()) ?? ''
    assert.match(text, /Test postback accepted: HTTP 200 credited/)
    assert.match(text, /secret=\[REDACTED\]/)
    assert.ok(!text.includes(ACME_SECRET))
    await screenshots(page, 'networks')
    assert.equal(await balanceShown('dash-tester'), '1')
  })

  test('a conversion shows its timeline, and a dead delivery can be retried', async () => {
    await page.goto(`${base}/dashboard/conversions?user=carol`)
    await screenshots(page, 'conversions')
    await page.locator('table a', { hasText: '#' }).first().click()
    await page.waitForURL(/\/dashboard\/conversions\/\d+$/)
    const conversionId = page.url().split('/').at(-1) ?? ''
    await testDb.db.pool.query(
      `WITH d AS (INSERT INTO deliveries (conversion_id, rule, event, data, state, attempts, max_attempts, last_status, last_error)
                  VALUES ($1, 'crm', 'credited', '{}', 'dead', 3, 3, 502, 'HTTP 502 from the receiver') RETURNING id)
       INSERT INTO delivery_attempts (delivery_id, attempt, started_at, url, status_code, latency_ms, error)
       SELECT id, n, now(), 'https://crm.example/hook?key=[REDACTED]', 502, 40, 'HTTP 502 from the receiver'
       FROM d, generate_series(1, 3) n`,
      [conversionId],
    )
    await page.reload()
    const timeline = (await page.locator('.timeline').textContent()) ?? ''
    assert.match(timeline, /held for review/)
    assert.match(timeline, /\+25000 points, credit to carol/)
    assert.match(timeline, /crm \(credited\) attempt 3: 502/)
    await screenshots(page, 'conversion-timeline')

    await page.goto(`${base}/dashboard/deliveries?state=dead`)
    await screenshots(page, 'deliveries')
    const card = page.locator('.card', { hasText: `conversion #${conversionId}` })
    await card.locator('summary:has-text("Retry")').click()
    await card.getByRole('button', { name: 'Yes, retry' }).click()
    await page.getByText('Queued again').waitFor()
    const { rows } = await testDb.db.pool.query<{ state: string }>(
      'SELECT state FROM deliveries WHERE conversion_id = $1',
      [conversionId],
    )
    assert.deepEqual(rows, [{ state: 'pending' }])
  })

  test('the overview counts postbacks and warns about a network that went silent', async () => {
    await testDb.db.pool.query(
      `INSERT INTO postback_log (received_at, network, method, path, headers, source_ip, status_code, outcome, tx_id)
       SELECT now() - interval '3 hours' - n * interval '10 minutes', 'kiwiwall', 'GET', '/api/postback/kiwiwall', '{}',
              '203.0.113.9', 200, 'credited', 'kw-' || n FROM generate_series(1, 6) n`,
    )
    await page.goto(`${base}/dashboard`)
    await page.getByText('Network kiwiwall has gone silent').waitFor()
    const tiles = (await page.locator('.tiles').textContent()) ?? ''
    assert.match(tiles, /25326\s*points credited/)
    assert.match(tiles, /0\s*delivery failures/)
    const bars = await page.locator('svg.wide title').allTextContents()
    assert.ok(
      bars.some((bar) => /UTC: [1-9]\d* accepted, [1-9]\d* refused/.test(bar)),
      bars.join(),
    )
    await screenshots(page, 'overview')
  })

  test('every page kept to its Content-Security-Policy, with its stylesheet and script applied', async () => {
    // The CSP allows scripts and styles from this origin only: an inline <script>, <style> or
    // style attribute added to a page, or a script error, shows up here.
    assert.deepEqual(refused, [])
    await page.goto(`${base}/dashboard`)
    const header = await page
      .locator('header.top')
      .evaluate((element) => getComputedStyle(element).backgroundColor)
    assert.equal(header, 'rgb(23, 32, 51)', 'dashboard.css is applied')
    // The live log and the copy buttons above ran dashboard.js.
  })

  test('the admin token never appears in a URL or the service log', async () => {
    assert.ok(visited.length > 20)
    for (const url of visited) {
      assert.ok(!url.includes(ADMIN_TOKEN) && !url.includes(encodeURIComponent(ADMIN_TOKEN)), url)
    }
    const log = logLines()
    assert.ok(log.includes('/dashboard'), 'the log has the dashboard requests')
    for (const secret of [ADMIN_TOKEN, SECRET, ACME_SECRET]) assert.ok(!log.includes(secret))
  })
})
