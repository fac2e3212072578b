import { promises as fs } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { DEFAULT_MIGRATION_TABLE, FileMigrationProvider, Migrator, sql, type Kysely, type MigrationResult, type MigrationResultSet } from 'kysely'
import { MIGRATIONS_DIR } from '../contract/paths.js'
import type { Database } from './schema.js'

// From source (tsx, tap) this module is .ts, and so are the migrations to load. Compiled, plain
// node cannot import the .ts files in MIGRATIONS_DIR, so it loads the .js twins that tsc wrote
// at the same place relative to this module (dist/migrations beside dist/src/db). Loading one
// extension only also keeps a stray compiled twin from shadowing its source.
const FROM_SOURCE = import.meta.url.endsWith('.ts')
const MIGRATION_EXTENSION = FROM_SOURCE ? '.ts' : '.js'
export const MIGRATION_FOLDER = FROM_SOURCE
  ? MIGRATIONS_DIR
  : fileURLToPath(new URL('../../migrations/', import.meta.url))

function isMigrationFile (name: string): boolean {
  return name.endsWith(MIGRATION_EXTENSION) && !name.endsWith('.d.ts')
}

function createMigrator (db: Kysely<Database>): Migrator {
  return new Migrator({
    db,
    provider: new FileMigrationProvider({
      fs: { readdir: async (dir) => (await fs.readdir(dir)).filter(isMigrationFile) },
      path,
      migrationFolder: MIGRATION_FOLDER,
    }),
  })
}

// Kysely reports failure in the result set instead of throwing; callers want an exception.
async function check (action: string, run: Promise<MigrationResultSet>): Promise<MigrationResult[]> {
  const { error, results } = await run
  if (error === undefined) return results ?? []
  const reason = error instanceof Error ? error.message : String(error)
  const failed = results?.find((result) => result.status === 'Error')
  const message = failed === undefined
    ? `Migrating ${action} failed before any migration ran: ${reason}`
    : `Migration ${failed.migrationName} failed (${failed.direction}): ${reason}`
  throw new Error(message, { cause: error })
}

/**
 * Whether the database has applied exactly the migrations on disk. The Migrator finds that out
 * in about ten round trips (it checks its tables through catalog introspection and takes its
 * lock in a transaction): 35-40 ms of every start-up, when the answer is nearly always "nothing
 * to do". Applied migrations are committed, so reading their names is enough to skip it; any
 * doubt (no table yet, a missing or an unknown migration, an error) leaves it to the Migrator.
 */
async function isAtLatest (db: Kysely<Database>): Promise<boolean> {
  try {
    const [onDisk, { rows }] = await Promise.all([
      fs.readdir(MIGRATION_FOLDER),
      sql<{ name: string }>`select name from ${sql.table(DEFAULT_MIGRATION_TABLE)}`.execute(db),
    ])
    const wanted = onDisk.filter(isMigrationFile).map((file) => file.slice(0, -MIGRATION_EXTENSION.length))
    const applied = new Set(rows.map((row) => row.name))
    return applied.size === wanted.length && wanted.every((name) => applied.has(name))
  } catch {
    return false
  }
}

/** Applies every pending migration, in one transaction. */
export async function migrateToLatest (db: Kysely<Database>): Promise<MigrationResult[]> {
  if (await isAtLatest(db)) return []
  return await check('to latest', createMigrator(db).migrateToLatest())
}

/** Applies the next pending migration, if any. */
export async function migrateUp (db: Kysely<Database>): Promise<MigrationResult[]> {
  return await check('up', createMigrator(db).migrateUp())
}

/** Reverts the most recently applied migration, if any. */
export async function migrateDown (db: Kysely<Database>): Promise<MigrationResult[]> {
  return await check('down', createMigrator(db).migrateDown())
}
