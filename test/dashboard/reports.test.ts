import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { Browser, Page } from 'playwright-core'
import { ADMIN_TOKEN, buildAppOn, SECRET, uniqueTx } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { launchBrowser, NO_BROWSER, screenshots, signInTo, watchedPage } from './browser.js'

// Reports, the user list and the postback log's conversion columns, in Debian's chromium: the
// range switch, the time zone named beside the dates, sorting by a column header, the payout
// mismatch flag and filter, and the overview's refusal split.

describe('reports and the log list in a real browser', { skip: NO_BROWSER }, () => {
  let testDb: TestDatabase
  let app: FastifyInstance
  let base: string
  let browser: Browser
  let page: Page
  const refused: string[] = []
  const today = new Date().toISOString().slice(0, 10)

  before(async () => {
    testDb = await createTestDatabase()
    app = await buildAppOn(testDb, { REPORT_TIMEZONE: 'Europe/Berlin' })
    await app.listen({ host: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    browser = await launchBrowser()
    page = await watchedPage(browser, refused)

    // Today, over HTTP as networks send them: two users, two currencies, a repeat whose payout
    // differs from the recorded one, and a refusal.
    const send = async (fields: Record<string, string>) => {
      const response = await fetch(
        `${base}/api/postback?${new URLSearchParams({ secret: SECRET, ...fields })}`,
      )
      return response.headers.get('x-postback-outcome')
    }
    const repeated = uniqueTx('rep')
    const first = { offer_id: 'offer-1', user_id: 'ana', currency: 'EUR' }
    assert.equal(await send({ ...first, tx_id: repeated, payout: '4.00' }), 'credited')
    assert.equal(await send({ ...first, tx_id: repeated, payout: '9.99' }), 'duplicate')
    assert.equal(
      await send({
        tx_id: uniqueTx(),
        offer_id: 'offer-2',
        user_id: 'ben',
        payout: '1.5',
        currency: 'USD',
      }),
      'credited',
    )
    assert.equal(
      await send({
        tx_id: uniqueTx(),
        offer_id: 'offer-2',
        user_id: 'ben',
        payout: '0.25',
        currency: 'USD',
      }),
      'credited',
    )
    assert.equal(await send({ tx_id: uniqueTx(), user_id: 'ben', payout: '1' }), 'MISSING_FIELD')
    // Stored rows on fixed dates for the time-zone check: 23:30 UTC is the next day in Tokyo.
    await testDb.db.pool.query(
      `INSERT INTO conversions (network, tx_id, offer_id, user_id, payout, currency, points, status,
                                credit_user, credit_points, created_at, updated_at)
       VALUES ('default', 'tz-1', 'offer-9', 'cy', 2, 'EUR', 200, 'approved', 'cy', 200,
               '2026-03-01T23:30:00Z', '2026-03-01T23:30:00Z'),
              ('default', 'tz-2', 'offer-9', 'cy', 3, 'EUR', 300, 'approved', 'cy', 300,
               '2026-03-01T12:00:00Z', '2026-03-01T12:00:00Z')`,
    )
    await testDb.db.pool.query(
      "INSERT INTO balances (user_id, points, updated_at) VALUES ('cy', 500, '2026-03-02T00:00:00Z')",
    )

    await signInTo(page, `${base}/dashboard/reports`, ADMIN_TOKEN)
  })

  after(async () => {
    await browser?.close()
    await app?.close()
    await testDb?.drop()
  })

  const text = async (selector: string) =>
    ((await page.locator(selector).textContent()) ?? '').trim()
  const column = (table: string, index: number) =>
    page.locator(`table[data-table="${table}"] tbody tr td:nth-child(${index})`).allTextContents()

  test('the report shows the last 7 days in REPORT_TIMEZONE, revenue per currency beside points', async () => {
    assert.match(await text('#range'), /whole days in Europe\/Berlin, GMT\+0[12]:00/)
    assert.equal(await text('#total-conversions'), '3')
    assert.equal(await text('#total-points'), '575')
    assert.deepEqual(
      (await page.locator('.tile.revenue').allTextContents()).map((t) => t.replace(/\s+/g, ' ')),
      ['4revenue, EUR', '1.75revenue, USD'],
    )
    assert.deepEqual(await column('user', 1), ['ana', 'ben'])
    await screenshots(page, 'reports')
  })

  test('switching the range to custom dates in Asia/Tokyo moves a 23:30 UTC conversion to the next day', async () => {
    await page.selectOption('select[name=range]', 'custom')
    await page.fill('input[name=from]', '2026-03-01')
    await page.fill('input[name=to]', '2026-03-03')
    await page.fill('input[name=tz]', 'Asia/Tokyo')
    await page.click('button:has-text("Show")')
    await page.waitForURL(/range=custom/)
    assert.equal(
      await text('#range'),
      '2026-03-01 to 2026-03-03 · whole days in Asia/Tokyo, GMT+09:00',
    )
    assert.match(await text('#day'), /Asia\/Tokyo, GMT\+09:00/)
    assert.match(
      (await page.locator('table[data-table="day"] thead th').first().textContent()) ?? '',
      /Day \(Asia\/Tokyo, GMT\+09:00\)/,
    )
    assert.deepEqual(await column('day', 1), ['2026-03-01', '2026-03-02'])
    assert.deepEqual(await column('day', 2), ['1', '1'])

    await page.selectOption('select[name=range]', 'today')
    await page.fill('input[name=tz]', 'UTC')
    await page.click('button:has-text("Show")')
    await page.waitForURL(/range=today/)
    assert.equal(await text('#range'), `${today} · whole days in UTC, GMT+00:00`)
    assert.equal(await text('#total-conversions'), '3')
  })

  test('a column header sorts its table, and a second click reverses it', async () => {
    // By revenue (the main currency, EUR) first: offer-1 earned 4 EUR, offer-2 only USD.
    assert.deepEqual(await column('offer', 1), ['default / offer-1', 'default / offer-2'])
    const header = page.locator('table[data-table="offer"] th a', { hasText: 'Conversions' })
    await header.click()
    await page.waitForURL(/offer_sort=conversions-desc/)
    assert.deepEqual(await column('offer', 1), ['default / offer-2', 'default / offer-1'])
    assert.equal(
      await page.locator('table[data-table="offer"] th[aria-sort]').textContent(),
      'Conversions ▼',
    )
    await header.click()
    await page.waitForURL(/offer_sort=conversions-asc/)
    assert.deepEqual(await column('offer', 1), ['default / offer-1', 'default / offer-2'])
    assert.deepEqual(await column('offer', 2), ['1', '2'])
    assert.deepEqual(await column('offer', 4), ['400', '175'])
    await screenshots(page, 'reports-sorted')
  })

  test('the users page lists users, searched and sorted by balance or last activity', async () => {
    await page.click('nav a:has-text("Users")')
    await page.waitForURL(`${base}/dashboard/users`)
    const users = () => page.locator('#users tbody tr td:first-child').allTextContents()
    assert.deepEqual(await users(), ['cy', 'ana', 'ben'])
    assert.match(await text('#users thead'), /Last activity \(Europe\/Berlin, GMT\+0[12]:00\)/)
    // On a phone the header is hidden: each cell's label names the zone instead.
    assert.match(
      (await page.locator('#users tbody td:nth-child(3)').first().getAttribute('data-label')) ?? '',
      /^Last activity \(Europe\/Berlin, GMT\+0[12]:00\)$/,
    )
    await page.selectOption('select[name=sort]', 'activity')
    await page.click('button:has-text("Show")')
    await page.waitForURL(/sort=activity/)
    assert.equal((await users())[2], 'cy', 'cy was last active in March')
    await page.fill('input[name=search]', 'N')
    await page.click('button:has-text("Show")')
    await page.waitForURL(/search=N/)
    assert.deepEqual(await users(), ['ben', 'ana'], 'still by last activity: ben was credited last')
    await screenshots(page, 'users-list')
    await page.click('#users a:has-text("ben")')
    assert.equal(await text('#balance'), '175')
  })

  test('the log shows user, offer and payout columns, and the payout mismatch filter keeps the flagged repeat', async () => {
    await page.goto(`${base}/dashboard/postbacks`)
    const rows = page.locator('details.entry')
    assert.equal(await rows.count(), 5)
    const cells = async (index: number) =>
      Promise.all(
        ['user', 'offer', 'payout'].map(
          async (col) => (await rows.nth(index).locator(`[data-col="${col}"]`).textContent()) ?? '',
        ),
      )
    assert.deepEqual(await cells(0), ['—', '—', '—'], 'the refusal has no conversion')
    assert.deepEqual(await cells(1), ['ben', 'offer-2', '0.25 USD'])
    const flagged = page.locator('.badge.mismatch')
    assert.equal(await flagged.count(), 1)
    assert.equal(await flagged.textContent(), 'payout mismatch: sent 9.99, recorded 4')
    await page.check('input[name=mismatch]')
    await page.click('button:has-text("Filter")')
    await page.waitForURL(/mismatch=1/)
    assert.equal(await rows.count(), 1)
    assert.deepEqual(await cells(0), ['ana', 'offer-1', '4 EUR'])
    assert.equal(await page.locator('input[name=mismatch]').isChecked(), true)
    await screenshots(page, 'postback-log-mismatch')
  })

  test('the overview counts the outstanding refusal', async () => {
    await page.goto(`${base}/dashboard?period=24h`)
    assert.equal(
      (await text('#refusals')).replace(/\s+/g, ' '),
      '1refusals outstanding (0 replayed and accepted since)',
    )
    await page.click('nav a:has-text("Reports")')
    await page.waitForURL(`${base}/dashboard/reports`)
    assert.equal(await text('#refusals + .scroll tbody td:nth-child(2)'), '20.0 % (1 of 5)')
  })

  test('every page kept to its Content-Security-Policy', () => {
    assert.deepEqual(refused, [])
  })
})
