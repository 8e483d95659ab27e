import assert from 'node:assert/strict'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { Browser, Page } from 'playwright-core'
import { buildProfile, defaultProfile } from '../../src/networks/profile.js'
import { NetworkRegistry } from '../../src/networks/registry.js'
import { ADMIN_TOKEN, buildAppOn, consistentBalance, SECRET, uniqueTx } from '../helpers/app.js'
import { createTestDatabase, type TestDatabase, testConfig } from '../helpers/database.js'
import { launchBrowser, NO_BROWSER, screenshots, signInTo, watchedPage } from './browser.js'

// The bulk buttons in Debian chromium: "Replay all matching" from the postback log (preview,
// run, progress, summary), "Retry all dead" per rule from the dead deliveries, the progress
// card following a run without a reload, and the deliveries list and timeline as operators
// read them (newest first, failed attempts labelled, the answer body shown).

const ACME_SECRET = 'acme-secret-0123456789'

describe('bulk actions in a real browser', { skip: NO_BROWSER }, () => {
  let testDb: TestDatabase
  let app: FastifyInstance
  let base: string
  let browser: Browser
  let page: Page
  const problems: string[] = []
  const config = testConfig({ POSTBACK_SECRET: SECRET, ADMIN_TOKEN })
  const acme = (txNames: string[]) =>
    buildProfile('acme', { secrets: [ACME_SECRET], params: { tx_id: txNames } }, config)
  const networks = new NetworkRegistry([defaultProfile(config, [SECRET]), acme(['trans_id'])])

  before(async () => {
    testDb = await createTestDatabase()
    app = await buildAppOn(testDb, {}, undefined, { networks })
    await app.listen({ host: '127.0.0.1', port: 0 })
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
    browser = await launchBrowser()
    page = await watchedPage(browser, problems)
    await signInTo(page, `${base}/dashboard/login`, ADMIN_TOKEN, `${base}/dashboard`)
  })

  after(async () => {
    await browser?.close()
    await app?.close()
    await testDb?.drop()
  })

  async function fire(fields: Record<string, string>) {
    const response = await fetch(`${base}/api/postback/acme?${new URLSearchParams(fields)}`)
    return response.status
  }

  test('replay all matching: the preview counts by code and excludes unverified callers; the run replays each once', async () => {
    for (let n = 0; n < 12; n++) {
      const fields = { tid: uniqueTx('bulk'), payout: '2', user_id: 'bulk-user' }
      assert.equal(await fire({ ...fields, offer_id: 'o', secret: ACME_SECRET }), 400)
    }
    for (let n = 0; n < 2; n++) {
      const fields = { tid: uniqueTx('forged'), payout: '2', user_id: 'bulk-user' }
      assert.equal(await fire({ ...fields, offer_id: 'o', secret: 'wrong-secret-000000' }), 403)
    }
    networks.replace([defaultProfile(config, [SECRET]), acme(['trans_id', 'tid'])]) // the fix

    await page.goto(`${base}/dashboard/postbacks?network=acme&outcome=refused&period=24h`)
    await page.getByRole('link', { name: 'Replay all refused matching…' }).click()
    await page.waitForURL(/\/dashboard\/postbacks\/bulk-replay\?/)
    assert.equal(await page.locator('#matching').textContent(), '14')
    assert.equal(await page.locator('#will-replay').textContent(), '12')
    assert.equal(await page.locator('#excluded').textContent(), '2')
    const byCode = (await page.locator('#by-outcome').textContent()) ?? ''
    assert.match(byCode, /MISSING_FIELD\s*12\s*12/)
    assert.match(byCode, /BAD_SECRET\s*2\s*0/)
    assert.match(
      (await page.locator('#exclusions').textContent()) ?? '',
      /2 postbacks: refused before its caller was verified/,
    )
    await screenshots(page, 'bulk-replay-preview')

    await page.getByRole('button', { name: 'Replay 12 postbacks' }).click()
    await page.waitForURL(/\/dashboard\/bulk\/\d+$/)
    await page.getByText('Done.').waitFor({ timeout: 60_000 })
    assert.match(
      (await page.locator('#bulk-summary').textContent()) ?? '',
      /12 postbacks replayed: 12 accepted, 0 still refused, 0 skipped/,
    )
    assert.equal(await page.locator('#bulk-progress').textContent(), '12 of 12')
    await screenshots(page, 'bulk-replay-done')
    assert.equal(await consistentBalance(testDb, 'bulk-user'), 12 * 200)

    // The same again: every refusal is accepted now, nothing is left to replay.
    await page.goBack()
    await page.goto(`${base}/dashboard/postbacks/bulk-replay?network=acme&period=24h`)
    assert.equal(await page.locator('#will-replay').textContent(), '0')
    assert.match(
      (await page.locator('#exclusions').textContent()) ?? '',
      /12 postbacks: replayed before and accepted/,
    )
    await page.getByText('Nothing to replay.').waitFor()
  })

  test('the progress card follows a run without a reload, and a second start shows the running run', async () => {
    // A retry run another instance is working on (fresh heartbeat): half way.
    const { rows } = await testDb.db.pool.query<{ id: string }>(
      `INSERT INTO bulk_runs (kind, filter, started_by, owner, up_to_id, cap, planned, counts)
       VALUES ('retry', '{"rule":"crm"}', 'dashboard from 10.0.0.9', 'elsewhere', 0, 100, 40,
               '{"processed":20,"retried":20}') RETURNING id::text`,
    )
    const id = rows[0]?.id ?? ''
    await page.goto(`${base}/dashboard/deliveries/bulk-retry`)
    await page.getByText('Nothing to retry.').waitFor()
    // Two operators: the second start lands on the running run's page, which says so.
    const forms = await page.evaluate(async () => {
      const csrf = document.querySelector<HTMLInputElement>('input[name=_csrf]')?.value ?? ''
      const response = await fetch('/dashboard/deliveries/bulk-retry', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf }).toString(),
      })
      return response.url
    })
    assert.match(forms, new RegExp(`/dashboard/bulk/${id}\\?notice=bulk-running$`))
    await page.goto(forms)
    await page.getByText('A bulk run of this kind is already running').waitFor()
    assert.equal(await page.locator('#bulk-progress').textContent(), '20 of 40')
    await testDb.db.pool.query(
      `UPDATE bulk_runs SET state = 'done', finished_at = now(), owner = NULL,
         counts = '{"processed":40,"retried":40}' WHERE id = $1`,
      [id],
    )
    await page.getByText('Done.').waitFor({ timeout: 60_000 }) // polled: no reload
    assert.equal(await page.locator('#bulk-progress').textContent(), '40 of 40')
    assert.match(
      (await page.locator('#bulk-summary').textContent()) ?? '',
      /40 dead deliveries queued again/,
    )
  })

  test('dead deliveries: the Overview link opens them newest first, failed attempts show their answer; retry all of one rule', async () => {
    const { rows: conversion } = await testDb.db.pool.query<{ id: string }>(
      'SELECT id::text FROM conversions ORDER BY id LIMIT 1',
    )
    const conversionId = conversion[0]?.id ?? ''
    const { rows } = await testDb.db.pool.query<{ id: string; rule: string }>(
      `WITH d AS (INSERT INTO deliveries (conversion_id, rule, event, data, state, attempts, max_attempts, last_status, last_error)
                  SELECT $1, rule, 'credited', '{}', 'dead', 2, 2, 502, 'answered 502'
                  FROM unnest(ARRAY['crm', 'crm', 'crm', 'slack']) AS rule RETURNING id, rule)
       , a AS (INSERT INTO delivery_attempts (delivery_id, attempt, started_at, url, status_code, latency_ms, response_excerpt, error)
               SELECT id, n, now(), 'https://crm.example/hook?key=[REDACTED]', 502, 30,
                      'upstream exploded: try later', 'answered 502'
               FROM d, generate_series(1, 2) n)
       SELECT id::text, rule FROM d ORDER BY id`,
      [conversionId],
    )
    await page.goto(`${base}/dashboard`)
    await page.locator('#dead-deliveries').click()
    await page.waitForURL(`${base}/dashboard/deliveries?state=dead`)
    const shown = await page
      .locator('.card[id^="delivery-"]')
      .evaluateAll((cards) => cards.map((card) => card.id.replace('delivery-', '')))
    assert.deepEqual(shown, rows.map((r) => r.id).reverse(), 'newest first')
    const first = page.locator(`#delivery-${rows[3]?.id}`)
    const attempts = (await first.locator('tr.attempt').allTextContents()).join('\n')
    assert.match(attempts, /failed/)
    assert.match(attempts, /HTTP 502/)
    assert.match(attempts, /upstream exploded: try later/)
    await screenshots(page, 'deliveries-dead')

    await page.goto(`${base}/dashboard/conversions/${conversionId}`)
    const timeline = (await page.locator('.timeline').textContent()) ?? ''
    assert.match(timeline, /delivery failed/)
    assert.match(timeline, /upstream exploded: try later/)

    await page.goto(`${base}/dashboard/deliveries?state=dead`)
    await page.getByRole('link', { name: 'Retry all dead…' }).click()
    assert.match((await page.locator('#by-rule').textContent()) ?? '', /crm\s*3.*slack\s*1/s)
    await page.locator('#by-rule tr', { hasText: 'crm' }).getByRole('link').click()
    await page.getByRole('button', { name: 'Retry 3 dead deliveries' }).click()
    await page.waitForURL(/\/dashboard\/bulk\/\d+$/)
    await page.getByText('Done.').waitFor({ timeout: 60_000 })
    assert.match(
      (await page.locator('#bulk-summary').textContent()) ?? '',
      /3 dead deliveries queued again/,
    )
    const { rows: states } = await testDb.db.pool.query<{ rule: string; state: string }>(
      'SELECT rule, state FROM deliveries WHERE id = ANY($1) ORDER BY id',
      [rows.map((r) => r.id)],
    )
    assert.deepEqual(
      states.map((s) => `${s.rule}:${s.state}`),
      ['crm:pending', 'crm:pending', 'crm:pending', 'slack:dead'],
    )
  })

  test('the pages kept to their Content-Security-Policy and the script ran without errors', () => {
    assert.deepEqual(problems, [])
  })
})
