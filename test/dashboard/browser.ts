import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { type Browser, chromium, type Page } from 'playwright-core'

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
