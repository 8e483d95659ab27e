import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { Browser, Page } from 'playwright-core'
import { createAccount } from '../../src/accounts/accounts.js'
import { buildAppOn, postbackUrl, uniqueTx } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase } from '../helpers/database.js'
import { launchBrowser, NO_BROWSER, screenshots } from './browser.js'

// Named accounts in Debian's chromium: an operator signs in by name, approves a held
// conversion and sees it on its timeline under their name; a viewer sees no action button;
// an admin creates a token, sees it once, and an ended session leads back to the sign-in.

describe('accounts and roles in a real browser', { skip: NO_BROWSER }, () => {
  let testDb: TestDatabase
  let app: FastifyInstance
  let base: string
  let browser: Browser
  const refused: string[] = []
  const setup = { name: 'test-setup', via: 'test' }

  before(async () => {
    testDb = await createTestDatabase()
    app = await buildAppOn(testDb, { MAX_PAYOUT: '10' })
    await app.listen({ host: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    for (const [name, role] of [
      ['olga', 'operator'],
      ['vic', 'viewer'],
      ['ada', 'admin'],
    ] as const)
      await createAccount(
        testDb.db.pool,
        { name, role, password: `${name}-browser-passphrase` },
        setup,
      )
    browser = await launchBrowser()
  })
  after(async () => {
    await browser?.close()
    await app?.close()
    await testDb?.drop()
  })

  async function signedIn(name: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
    context.setDefaultTimeout(15_000)
    const page = await context.newPage()
    page.on('pageerror', (error) => refused.push(`page error: ${error.message}`))
    page.on('console', (message) => {
      if (/Content.Security.Policy/i.test(message.text())) refused.push(message.text())
    })
    await page.goto(`${base}/dashboard/review`)
    await page.fill('input[name=name]', name)
    await page.fill('input[name=token]', `${name}-browser-passphrase`)
    await page.click('button:has-text("Sign in")')
    await page.waitForURL(`${base}/dashboard/review`)
    return page
  }

  async function held(): Promise<string> {
    const response = await fetch(
      `${base}${postbackUrl({ tx_id: uniqueTx(), offer_id: 'o', payout: '10.01', user_id: 'browser-user' })}`,
      { headers: { accept: 'application/json' } },
    )
    const body = (await response.json()) as { outcome: string; conversionId: string }
    assert.equal(body.outcome, 'held')
    return body.conversionId
  }

  test('an operator approves a held conversion; the timeline names them', async () => {
    const id = await held()
    const page = await signedIn('olga')
    await page.getByText('olga · operator').waitFor()
    await page.reload()
    const card = page.locator(`#held-${id}`)
    await card.locator('summary', { hasText: 'Approve…' }).click()
    await card.getByRole('button', { name: 'Yes, approve and credit' }).click()
    await page.waitForURL(new RegExp(`/dashboard/conversions/${id}\\?notice=approved$`))
    const entry = page.locator('.timeline li', { hasText: 'conversion.approve' })
    await entry.waitFor()
    assert.equal(await entry.locator('.actor').textContent(), 'olga')
    assert.match((await entry.textContent()) ?? '', /dashboard from 127\.0\.0\.1/)
    await screenshots(page, 'timeline-operator-approval')
    // The audit page lists it, filtered by who.
    await page.goto(`${base}/dashboard/audit?actor=olga`)
    await page.locator('td', { hasText: 'conversion.approve' }).waitFor()
    assert.equal(
      await page.getByRole('link', { name: 'Accounts' }).count(),
      0,
      'no Accounts link for an operator',
    )
    await page.context().close()
  })

  test('a viewer sees the held conversion but no button to change anything', async () => {
    const id = await held()
    const page = await signedIn('vic')
    await page.locator(`#held-${id}`).waitFor()
    assert.equal(await page.locator('summary', { hasText: 'Approve…' }).count(), 0)
    await page.goto(`${base}/dashboard/conversions/${id}`)
    await page.getByText('vic · viewer').waitFor()
    assert.equal(await page.locator('form[method=post]').count(), 1, 'only Sign out')
    await page.goto(`${base}/dashboard/networks`)
    assert.equal(await page.getByRole('button', { name: 'Send test postback' }).count(), 0)
    await screenshots(page, 'viewer-networks')
    await page.context().close()
  })

  test('an admin creates a token (shown once) and ends an account’s sessions: its page goes back to sign-in', async () => {
    const olga = await signedIn('olga')
    const page = await signedIn('ada')
    await page.getByRole('link', { name: 'Accounts' }).click()
    await page.fill('form[action="/dashboard/tokens"] input[name=name]', 'crm-backend')
    await page.selectOption('form[action="/dashboard/tokens"] select[name=scope]', 'balances:read')
    await page.click('button:has-text("Create token")')
    const token = (await page.locator('#token-value').inputValue()).trim()
    assert.match(token, /^pbr_/)
    const balance = await fetch(`${base}/admin/users/browser-user`, {
      headers: { authorization: `Bearer ${token}` },
    })
    assert.equal(balance.status, 200)
    await page.goto(`${base}/dashboard/accounts`)
    assert.equal(await page.locator('#token-value').count(), 0, 'shown once')
    const row = page.locator('#account-olga')
    await row.locator('summary', { hasText: 'End sessions…' }).click()
    await row.getByRole('button', { name: 'Yes, end their sessions' }).click()
    await page.getByText('Sessions ended').waitFor()
    await screenshots(page, 'accounts-admin')
    await olga.reload()
    assert.match(olga.url(), /\/dashboard\/login\?next=/)
    assert.deepEqual(refused, [])
  })
})
