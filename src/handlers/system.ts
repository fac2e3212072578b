// Health, the contract and its docs page.
import { readFile } from 'node:fs/promises'
import type { Handlers } from '../../generated/handlers.js'
import { sharedPing } from '../db/health.js'
import { DOCS_HTML_PATH } from '../contract/paths.js'
import { loadSpec } from '../contract/spec.js'
import type { Deps } from './deps.js'

type SystemHandlers = Pick<Handlers, 'getHealth' | 'getLiveness' | 'getOpenApi' | 'getDocs'>

export function systemHandlers ({ probeDatabase }: Deps): SystemHandlers {
  const spec = loadSpec()
  const databaseAnswers = sharedPing(probeDatabase)
  let docs: Promise<string> | undefined
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
    async getDocs () {
      // Built by `npm run docs` (run before start and test); read once and kept.
      docs ??= readFile(DOCS_HTML_PATH, 'utf8').catch((err: unknown) => {
        docs = undefined
        throw err
      })
      return { status: 200, body: await docs }
    },
  }
}
