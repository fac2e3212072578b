import { CompiledQuery, type Kysely } from 'kysely'
import type { Database } from './schema.js'

/** Compiled once: /health is the most frequent request a load balancer sends. */
const SELECT_ONE = CompiledQuery.raw('select 1')

/**
 * True when the database answers `select 1` within timeoutMs. The timeout exists because an
 * unreachable pg server can stall a pool checkout for minutes, and PGlite queues the ping
 * behind any running transaction; a health check must answer either way.
 */
export async function pingDatabase (db: Kysely<Database>, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs)
    timer.unref()
  })
  const ping = db.executeQuery(SELECT_ONE).then(() => true, () => false)
  try {
    return await Promise.race([ping, timeout])
  } finally {
    clearTimeout(timer)
  }
}
