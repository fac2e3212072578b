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

/**
 * A ping shared by every request that asks while it runs. A load balancer or a monitoring system
 * can send health checks by the thousand; each needs to know the database answered after it asked,
 * not that it had a round trip of its own. A request that arrives during a ping gets that ping's
 * answer (which comes back after the request arrived), and the next one to ask after it starts a
 * new ping: nothing is remembered between pings, an outage shows at once and a recovery as soon.
 * Each ping still ends within timeoutMs, so a request waits no longer than with a ping of its own.
 */
export function sharedPing (probe: DatabaseProbe, timeoutMs = 2000): () => Promise<boolean> {
  let running: Promise<boolean> | undefined
  return () => {
    running ??= pingDatabase(probe, timeoutMs).finally(() => { running = undefined })
    return running
  }
}
