// Owns the database: Kysely on PostgreSQL (pg) or embedded PGlite, migrated to the latest schema
// before any route can run, and destroyed when the app closes. @see https://kysely.dev/docs/migrations
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import type { DatabaseConfig } from '../config.js'
import { openDatabase } from '../db/connect.js'
import type { DatabaseProbe } from '../db/health.js'
import { migrateToLatest } from '../db/migrate.js'
import { isConnectionError } from '../db/pg-errors.js'
import type { Database } from '../db/schema.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>
    /** The cheapest round trip that proves the database answers. */
    probeDatabase: DatabaseProbe
  }
}

interface DbOptions {
  database: DatabaseConfig
  /** How long start-up keeps retrying an unreachable database before it gives up. */
  startupTimeoutMs?: number
  /** PGlite only: a data-directory dump to start from (see CreateDatabaseOptions). */
  pgliteSnapshot?: Blob
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Migrates, retrying with exponential backoff while the database is unreachable (it may still be
 * starting, as in a compose file or after a host reboot). Any other failure is final at once.
 */
async function migrateWhenReachable (app: FastifyInstance, kysely: Kysely<Database>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (let attempt = 1; ; attempt++) {
    try {
      const results = await migrateToLatest(kysely)
      for (const r of results) app.log.info({ migration: r.migrationName }, 'migration applied')
      return
    } catch (err) {
      const left = deadline - Date.now()
      if (!isConnectionError(err)) throw err
      if (left <= 0) {
        throw new Error(`the database is unreachable (gave up after ${Math.round(timeoutMs / 1000)} s): ${(err as Error).message}`, { cause: err })
      }
      const delay = Math.min(200 * 2 ** attempt, 3_000, left)
      app.log.warn({ attempt, retryInMs: delay, reason: (err as Error).message }, 'the database is unreachable; retrying')
      await sleep(delay)
    }
  }
}

async function db (app: FastifyInstance, opts: DbOptions): Promise<void> {
  const { db: kysely, probe } = await openDatabase(opts.database, {
    onIdleClientError: (err) => app.log.warn({ err }, 'an idle database connection failed'),
    ...(opts.pgliteSnapshot === undefined ? {} : { pgliteSnapshot: opts.pgliteSnapshot }),
  })
  app.addHook('onClose', async () => {
    await kysely.destroy()
    // Shutdown's evidence that the pool (or PGlite) was closed, not abandoned to process exit.
    app.log.info('database connections closed')
  })
  try {
    await migrateWhenReachable(app, kysely, opts.startupTimeoutMs ?? 20_000)
  } catch (err) {
    await kysely.destroy()
    throw err
  }
  app.decorate('db', kysely)
  app.decorate('probeDatabase', probe)
}

export default fp(db, { name: 'db' })
