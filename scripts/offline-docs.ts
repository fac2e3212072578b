// Runs after `redocly build-docs --inlineBundle` (see `npm run docs`) so that generated/docs.html
// needs nothing from the internet: the bundle is inline, but Redoc 3's "API docs by" badge loads its
// logo from cdn.redoc.ly and the browser asks for /favicon.ico. Both become inline data: URIs.
// test/docs.test.ts renders the page with every request off 127.0.0.1 blocked and pins this.
import { readFileSync, writeFileSync } from 'node:fs'
import { DOCS_HTML_PATH } from '../src/contract/paths.js'

const svg = (width: number, text: string): string =>
  'data:image/svg+xml,' + encodeURIComponent(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="16" viewBox="0 0 ${width} 16">` +
    `<text x="0" y="12.5" font-family="sans-serif" font-size="12" font-weight="600" fill="#5c6370">${text}</text></svg>`)

/** Remote asset → its offline stand-in. */
const REPLACEMENTS: ReadonlyArray<readonly [string, string]> = [
  ['https://cdn.redoc.ly/redoc/logo-mini-full.svg', svg(52, 'Redocly')],
  ['https://cdn.redoc.ly/redoc/logo-mini.svg', svg(12, 'R')],
]
// An empty icon, so the browser does not ask the API for /favicon.ico (a 404).
const FAVICON = '<link rel="icon" href="data:,">'

let html = readFileSync(DOCS_HTML_PATH, 'utf8')
const counts: string[] = []
for (const [remote, local] of REPLACEMENTS) {
  const parts = html.split(remote)
  counts.push(`${remote}: ${parts.length - 1}`)
  html = parts.join(local)
}
if (!html.includes(FAVICON)) html = html.replace(/<head>/i, `<head>\n  ${FAVICON}`)
writeFileSync(DOCS_HTML_PATH, html)
console.log(`offline-docs: ${DOCS_HTML_PATH} (replaced ${counts.join(', ')})`)
