import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { runInNewContext } from 'node:vm'
import { SCRIPT } from '../../src/dashboard/assets.js'
import { ADMIN_TOKEN, createTestApp, type TestApp } from '../helpers/app.js'

// The live log must show every postback, however many arrive between two polls: it pages
// forward by id until caught up instead of showing only the newest page.
let t: TestApp
let cookie: string

before(async () => {
  t = await createTestApp()
  const signIn = await t.app.inject({
    method: 'POST',
    url: '/dashboard/login',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ token: ADMIN_TOKEN, next: '/dashboard' }).toString(),
  })
  cookie = String(signIn.headers['set-cookie']).split(';')[0] ?? ''
})
after(() => t.close())

/** `count` refused postbacks of `network` logged now, as a burst between two polls; their ids. */
async function burst(network: string, count: number): Promise<string[]> {
  const { rows } = await t.testDb.db.pool.query<{ id: string }>(
    `INSERT INTO postback_log (network, method, path, status_code, outcome, tx_id)
     SELECT $1, 'GET', '/api/postback', 403, 'BAD_SECRET', 'burst-' || n
       FROM generate_series(1, $2::int) AS n
     RETURNING id::text`,
    [network, count],
  )
  return rows.map((row) => row.id).sort((a, b) => Number(a) - Number(b))
}

const idsIn = (html: string) => [...html.matchAll(/id="entry-(\d+)"/g)].map((m) => m[1] ?? '')

/** The log page as the browser first gets it: the list's live source and newest id. */
async function openLog(network: string) {
  const page = await t.app.inject({
    url: `/dashboard/postbacks?network=${network}`,
    headers: { cookie },
  })
  assert.equal(page.statusCode, 200)
  const src = /data-live-src="([^"]+)"/.exec(page.body)?.[1]?.replaceAll('&amp;', '&') ?? ''
  const after = /data-after="(\d+)"/.exec(page.body)?.[1] ?? ''
  assert.ok(src && after)
  return { src, after }
}

test('when 120 postbacks arrive between polls, paging the live rows by id returns every one, in order', async () => {
  await burst('live-a', 3)
  const { src, after: first } = await openLog('live-a')
  const arrived = await burst('live-a', 120)
  const seen: string[] = []
  let after = first
  for (let request = 0; request < 10; request++) {
    const rows = await t.app.inject({ url: `${src}&after=${after}`, headers: { cookie } })
    assert.equal(rows.statusCode, 200)
    const ids = idsIn(rows.body)
    // Each page is newest first, to be inserted above what is shown.
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => Number(b) - Number(a)),
    )
    seen.unshift(...ids)
    after = String(rows.headers['x-last-id'])
    if (rows.headers['x-more'] !== '1') break
  }
  assert.deepEqual([...seen].reverse(), arrived, 'no row skipped, none twice')
  assert.equal(after, arrived.at(-1))
})

/** Runs the dashboard script against a minimal page whose fetch goes to the app. */
function runScript(src: string, after: string) {
  const inserted: string[] = []
  const attributes: Record<string, string> = { 'data-live-src': src, 'data-after': after }
  const status = {
    textContent: '',
    links: [] as { href: string; text: string }[],
    appendChild(link: { attributes: Record<string, string>; textContent: string }) {
      this.links.push({ href: link.attributes.href ?? '', text: link.textContent })
    },
  }
  const list = {
    getAttribute: (name: string) => attributes[name] ?? null,
    setAttribute: (name: string, value: string) => {
      attributes[name] = value
    },
    insertAdjacentHTML: (_where: string, html: string) => inserted.unshift(...idsIn(html)),
  }
  let tick: () => void = () => {}
  const document = {
    hidden: false,
    querySelector: (selector: string) => (selector === '[data-live-src]' ? list : null),
    getElementById: (id: string) => (id === 'live-status' ? status : null),
    addEventListener() {},
    createElement: () => ({
      attributes: {} as Record<string, string>,
      textContent: '',
      setAttribute(name: string, value: string) {
        this.attributes[name] = value
      },
    }),
  }
  const fetch = async (url: string) => {
    const response = await t.app.inject({ url, headers: { cookie } })
    return {
      status: response.statusCode,
      ok: response.statusCode < 300,
      headers: { get: (name: string) => (response.headers[name] as string | undefined) ?? null },
      text: async () => response.body,
    }
  }
  runInNewContext(SCRIPT, {
    document,
    fetch,
    location: { pathname: '/dashboard/postbacks', search: '?network=live-b' },
    setInterval: (callback: () => void) => {
      tick = callback
    },
    setTimeout,
  })
  /** One poll, to its end. */
  const poll = async () => {
    tick()
    const before = Date.now()
    let last = -1
    // The script's promise chain is internal: wait until its inserts stop changing.
    while (Date.now() - before < 20_000) {
      await new Promise((resolve) => setTimeout(resolve, 150))
      if (status.textContent !== '' && inserted.length === last) break
      last = inserted.length
    }
  }
  return { inserted, attributes, status, poll }
}

test('the page script shows every row of a burst; past its page budget it says so, links to the newest, and catches up on the next poll', async () => {
  await burst('live-b', 2)
  const { src, after } = await openLog('live-b')
  const arrived = await burst('live-b', 560) // 12 pages of 50: more than one poll's 10
  const page = runScript(src, after)
  await page.poll()
  assert.equal(page.inserted.length, 500)
  assert.deepEqual([...page.inserted].reverse(), arrived.slice(0, 500))
  assert.match(page.status.textContent, /^catching up: more postbacks arrived than shown so far/)
  assert.deepEqual(page.status.links, [
    { href: '/dashboard/postbacks?network=live-b', text: 'show the newest' },
  ])
  page.status.textContent = ''
  await page.poll()
  assert.deepEqual([...page.inserted].reverse(), arrived, 'every row, in order, none twice')
  assert.equal(page.attributes['data-after'], arrived.at(-1))
  assert.match(page.status.textContent, /^live · updated/)
})
