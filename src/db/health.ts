import { CompiledQuery, type Kysely } from 'kysely'
import type { Database } from './schema.js'

/** One round trip that proves the database answers. */
export type DatabaseProbe = () => Promise<unknown>

/** Compiled once: on PGlite it answers every /health, the most frequent request a load balancer sends. */
const SELECT_ONE = CompiledQuery.raw('select 1')

/** The probe through Kysely, for a driver with no cheaper path (PGlite) and for tests. */
export const selectOneThrough = (db: Kysely<Database>): DatabaseProbe => () => db.executeQuery(SELECT_ONE)

/**
 * True when the probe answers within timeoutMs. The timeout exists because an unreachable pg
 * server can stall a pool checkout for minutes, and PGlite queues the ping behind any running
 * transaction; a health check must answer either way.
 */
export async function pingDatabase (probe: DatabaseProbe, timeoutMs = 2000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs)
    timer.unref()
  })
  const ping = probe().then(() => true, () => false)
  try {
    return await Promise.race([ping, timeout])
  } finally {
    clearTimeout(timer)
  }
}
