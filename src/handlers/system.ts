// Health, the contract and its docs page.
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import type { Handlers } from '../../generated/handlers.js'
import { sharedPing } from '../db/health.js'
import { DOCS_HTML_PATH } from '../contract/paths.js'
import { loadSpec } from '../contract/spec.js'
import { matchesIfNoneMatch } from '../plugins/caching.js'
import type { Deps } from './deps.js'

type SystemHandlers = Pick<Handlers, 'getHealth' | 'getLiveness' | 'getOpenApi' | 'getDocs'>

/**
 * Weak, because the page goes out compressed in whichever encoding the client accepts: the tag
 * names the page, and each encoding of it is an equivalent representation (RFC 9110 §8.8.1).
 */
const docsTag = (html: string): string => `W/"docs-${createHash('sha256').update(html).digest('base64url').slice(0, 22)}"`

export function systemHandlers ({ probeDatabase }: Deps): SystemHandlers {
  const spec = loadSpec()
  const databaseAnswers = sharedPing(probeDatabase)
  let docs: Promise<{ html: string, tag: string }> | undefined
  return {
    async getHealth () {
      return await databaseAnswers()
        ? { status: 200, body: { status: 'ok', database: 'up' } }
        : { status: 503, body: { status: 'unavailable', database: 'down' } }
    },
    // Liveness asks nothing of the database: an outage there is /health's answer, and restarting
    // a process for it would only add a cold start to the outage.
    async getLiveness () {
      return { status: 200, body: { status: 'ok' } }
    },
    async getOpenApi () {
      return { status: 200, body: spec }
    },
    async getDocs (req) {
      // Built by `npm run docs` (run before start and test); read once and kept, with its tag.
      docs ??= readFile(DOCS_HTML_PATH, 'utf8').then((html) => ({ html, tag: docsTag(html) }), (err: unknown) => {
        docs = undefined
        throw err
      })
      const { html, tag } = await docs
      const headers = { etag: tag, 'cache-control': 'public, no-cache' }
      if (matchesIfNoneMatch(req.headers['if-none-match'], tag, true)) return { status: 304, headers }
      return { status: 200, body: html, headers }
    },
  }
}
