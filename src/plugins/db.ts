// Owns the database: Kysely on PostgreSQL (pg) or embedded PGlite, migrated to the latest schema
// before any route can run, and destroyed when the app closes. @see https://kysely.dev/docs/migrations
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import type { DatabaseConfig } from '../config.js'
import { createDatabase } from '../db/connect.js'
import { migrateToLatest } from '../db/migrate.js'
import type { Database } from '../db/schema.js'

declare module 'fastify' {
  interface FastifyInstance {
    db: Kysely<Database>
  }
}

export interface DbOptions {
  database: DatabaseConfig
}

async function db (app: FastifyInstance, opts: DbOptions): Promise<void> {
  const kysely = await createDatabase(opts.database, {
    onIdleClientError: (err) => app.log.warn({ err }, 'an idle database connection failed'),
  })
  app.addHook('onClose', async () => { await kysely.destroy() })
  try {
    const results = await migrateToLatest(kysely)
    for (const r of results) app.log.info({ migration: r.migrationName }, 'migration applied')
  } catch (err) {
    await kysely.destroy()
    throw err
  }
  app.decorate('db', kysely)
}

export default fp(db, { name: 'db' })
