// GET /docs as a person sees it: the real server listening on a port, the page rendered in headless
// Chromium with every request that leaves 127.0.0.1 blocked, so a CDN script, font or image shows up
// here as a blocked request. Redoc hydrates a moment after the load event and only then asks for
// images, so the test clicks through the page (which needs the hydrated app) before it looks.
import { existsSync, mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import t from 'tap'
import { ROOT } from '../src/contract/paths.js'
import { buildTestApp } from './helpers.js'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SCREENSHOT_DIR = join(ROOT, '.tap') // git-ignored, like every *.png
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync']

const skip = existsSync(CHROMIUM)
  ? false
  : `no Chromium at ${CHROMIUM}: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH`

t.test('GET /docs renders offline in a browser', { skip }, async (t) => {
  const { chromium } = await import('playwright-core')
  const app = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS })
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } })
    const blocked: string[] = []
    const problems: string[] = []
    page.on('pageerror', (err) => problems.push(`script error: ${err.message}`))
    page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`) })
    await page.route('**/*', async (route) => {
      const url = new URL(route.request().url())
      if (url.origin === origin || url.protocol === 'data:' || url.protocol === 'blob:') return await route.continue()
      blocked.push(url.href)
      return await route.abort('blockedbyclient')
    })

    const res = await page.goto(`${origin}/docs`, { waitUntil: 'load' })
    t.equal(res?.status(), 200, 'GET /docs answers 200')
    t.match(res?.headers()['content-type'], /^text\/html/)
    t.equal(await page.title(), 'Mechanic Shop API', 'the document title is the API title')

    const title = page.getByRole('heading', { level: 1, name: /Mechanic Shop API/ })
    await title.waitFor({ state: 'visible' })
    t.ok(await title.isVisible(), 'the API title is visible')
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'docs.png') })

    // As a reader would: open the Customers tag in the side menu, then the sign-up operation.
    await page.getByText('Customers', { exact: true }).first().click()
    await page.getByText('Sign up a customer', { exact: true }).first().click()
    await page.waitForURL(/#.*createcustomer/i)
    const operation = page.getByRole('heading', { level: 2, name: 'Sign up a customer' })
    await operation.waitFor({ state: 'visible' })
    t.ok(await operation.isVisible(), 'the "Sign up a customer" operation is visible')
    t.ok(await page.getByText('POST', { exact: true }).first().isVisible(), 'its method is shown')
    t.ok(await page.getByText('/customers', { exact: true }).first().isVisible(), 'its path is shown')

    await page.waitForLoadState('networkidle')
    mkdirSync(SCREENSHOT_DIR, { recursive: true })
    const screenshot = join(SCREENSHOT_DIR, 'docs-operation.png')
    await page.screenshot({ path: screenshot })
    t.comment(`screenshots: ${join(SCREENSHOT_DIR, 'docs.png')}, ${screenshot}`)

    t.same(blocked, [], 'the page needed nothing outside 127.0.0.1 (no CDN script, font or image)')
    t.same(problems, [], 'no script errors and no failed loads')
  } finally {
    await browser.close()
  }
})
