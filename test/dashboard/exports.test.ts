import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { Browser, Download, Page } from 'playwright-core'
import { ADMIN_TOKEN, buildAppOn, postbackUrl, SECRET, uniqueTx } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { launchBrowser, NO_BROWSER, screenshots, signInTo, watchedPage } from './browser.js'

// The CSV buttons in Debian chromium, on the dashboard session: the conversions and the
// postback log of a range of days in a time zone, and reconcile's differences for a report
// file chosen in the page. What a spreadsheet would run as a formula arrives defused.

describe('CSV exports in a real browser', { skip: NO_BROWSER }, () => {
  let testDb: TestDatabase
  let app: FastifyInstance
  let base: string
  let browser: Browser
  let page: Page
  const problems: string[] = []
  const formulaTx = `=HYPERLINK("http://evil.example")-${uniqueTx()}`
  const plainTx = uniqueTx('plain')

  before(async () => {
    testDb = await createTestDatabase()
    app = await buildAppOn(testDb)
    await app.listen({ host: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    for (const tx of [formulaTx, plainTx]) {
      const answer = await fetch(
        `${base}${postbackUrl({ tx_id: tx, offer_id: 'o', payout: '2.00', user_id: 'csv-user' })}`,
      )
      assert.equal(answer.status, 200)
    }
    browser = await launchBrowser()
    page = await watchedPage(browser, problems, { acceptDownloads: true })
    await signInTo(page, `${base}/dashboard/login`, ADMIN_TOKEN, `${base}/dashboard`)
  })

  after(async () => {
    await browser?.close()
    await app?.close()
    await testDb?.drop()
  })

  async function text(download: Download): Promise<string> {
    const path = await download.path()
    return readFile(path, 'utf8')
  }

  const today = () => new Date().toISOString().slice(0, 10)

  test('the conversions page downloads the conversions of a range of days in a time zone', async () => {
    await page.goto(`${base}/dashboard/conversions`)
    await page.getByText('Export CSV…').click()
    const form = page.locator('form[action="/dashboard/conversions.csv"]')
    await form.locator('input[name=from]').fill(today())
    await form.locator('input[name=to]').fill(today())
    await form.locator('input[name=tz]').fill('Pacific/Kiritimati') // UTC+14: today there may differ
    await screenshots(page, 'export-conversions')
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      form.getByRole('button', { name: 'Download CSV' }).click(),
    ])
    assert.equal(download.suggestedFilename(), 'conversions.csv')
    const csv = await text(download)
    const lines = csv.trim().split('\r\n')
    assert.match(lines[0] ?? '', /^id,network,tx_id,.*,created_at_local$/)
    // Kiritimati's today covers only part of UTC's today: the rows in the file are exactly
    // those whose local day is the one asked for.
    const local = new Intl.DateTimeFormat('en-CA', { timeZone: 'Pacific/Kiritimati' })
    for (const line of lines.slice(1))
      assert.equal(line.split(',').at(-1)?.slice(0, 10), today(), line)
    const kiritimatiToday = local.format(new Date()) === today()
    assert.equal(lines.length - 1, kiritimatiToday ? 2 : 0)

    await form.locator('input[name=tz]').fill('UTC')
    const [utc] = await Promise.all([
      page.waitForEvent('download'),
      form.getByRole('button', { name: 'Download CSV' }).click(),
    ])
    const all = await text(utc)
    assert.match(all, /,"'=HYPERLINK\(""http:\/\/evil\.example""\)-tx-/, 'the formula is defused')
    assert.ok(all.includes(`,${plainTx},`))
    assert.ok(!/(^|,)"?=/m.test(all), 'no cell starts with =')
  })

  test('the postback log downloads with its filter, secrets redacted', async () => {
    await page.goto(`${base}/dashboard/postbacks?outcome=credited`)
    await page.getByText('Export CSV…').click()
    const form = page.locator('form[action="/dashboard/postbacks.csv"]')
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      form.getByRole('button', { name: 'Download CSV' }).click(),
    ])
    assert.equal(download.suggestedFilename(), 'postbacks.csv')
    const csv = await text(download)
    const lines = csv.trim().split('\r\n')
    assert.equal(lines.length, 3, 'the header and the two credited postbacks')
    assert.match(csv, /secret=\[REDACTED\]/)
    assert.ok(!csv.includes(SECRET))
  })

  test('the reconcile page uploads a report and downloads the differences', async () => {
    await page.goto(`${base}/dashboard/conversions`)
    await page.getByRole('link', { name: "Reconcile with a network's report…" }).click()
    await page.waitForURL(`${base}/dashboard/reconcile`)
    await page.locator('select[name=network]').selectOption('default')
    await page.locator('input[name=txCol]').fill('Transaction')
    await page.locator('input[name=payoutCol]').fill('Amount')
    await page.locator('input[name=report]').setInputFiles({
      name: 'november.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(`Transaction,Amount\n${plainTx},2.50\n@SUM(A1),1.00\n`),
    })
    await screenshots(page, 'reconcile')
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download differences (CSV)' }).click(),
    ])
    assert.equal(download.suggestedFilename(), 'default-differences.csv')
    const csv = await text(download)
    assert.match(csv, /^kind,line,tx_id,/)
    assert.match(csv, new RegExp(`payout_mismatch,2,${plainTx},2\\.5,2,`))
    assert.match(csv, /missing_here,3,'@SUM\(A1\),/)
    await page.getByText('Downloaded default-differences.csv.').waitFor()

    // A column the report lacks: the page says which, nothing is downloaded.
    await page.locator('input[name=txCol]').fill('Nope')
    await page.getByRole('button', { name: 'Download differences (CSV)' }).click()
    await page.getByText(/Nope/).waitFor()
  })

  test('the pages kept to their Content-Security-Policy and the script ran without errors', () => {
    assert.deepEqual(problems, [])
  })
})
