import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core'

// Debian's chromium, never a downloaded browser. Tests skip (saying why) when it is missing.
export const CHROMIUM = '/usr/bin/chromium'
export const NO_BROWSER = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`

export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/dashboard/', import.meta.url))

export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}

/** Full-page screenshots at both viewports (test artifacts), then back to the desktop size. */
export async function screenshots(page: Page, name: string) {
  await mkdir(ARTIFACTS, { recursive: true })
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(viewport)
    await page.screenshot({ path: `${ARTIFACTS}${name}-${size}.png`, fullPage: true })
  }
  await page.setViewportSize(VIEWPORTS.desktop)
}

/**
 * A desktop-sized page in a new context that notes, in `problems`, what the browser refused under
 * the pages' Content-Security-Policy and any error a page script threw.
 */
export async function watchedPage(
  browser: Browser,
  problems: string[],
  options: BrowserContextOptions = {},
): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop, ...options })
  context.setDefaultTimeout(15_000)
  const page = await context.newPage()
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) problems.push(message.text())
  })
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  return page
}

/** Opens `url` (behind the sign-in), signs in with `token` and waits to land on `url`. */
export async function signInTo(page: Page, url: string, token: string, landing = url) {
  await page.goto(url)
  await page.fill('input[name=token]', token)
  await page.click('button:has-text("Sign in")')
  await page.waitForURL(landing)
}
