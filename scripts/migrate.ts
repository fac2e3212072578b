// Usage: tsx scripts/migrate.ts [up|down|latest]   (default: latest)
// Targets DATABASE_URL, or PGlite in PGLITE_DIR when that is unset, exactly as the server would.
import type { MigrationResult } from 'kysely'
import { loadConfig } from '../src/config.js'
import { createDatabase } from '../src/db/connect.js'
import { migrateDown, migrateToLatest, migrateUp } from '../src/db/migrate.js'

const COMMANDS = { latest: migrateToLatest, up: migrateUp, down: migrateDown } as const

function isCommand (value: string): value is keyof typeof COMMANDS {
  return Object.hasOwn(COMMANDS, value)
}

function report (results: MigrationResult[], command: string): void {
  if (results.length === 0) {
    console.log(command === 'down' ? 'No migration to revert.' : 'Already up to date.')
    return
  }
  for (const { migrationName, direction } of results) {
    console.log(`${direction === 'Up' ? 'applied ' : 'reverted'} ${migrationName}`)
  }
}

async function main (): Promise<number> {
  const command = process.argv[2] ?? 'latest'
  if (!isCommand(command)) {
    console.error(`Unknown command "${command}". Usage: tsx scripts/migrate.ts [up|down|latest]`)
    return 2
  }
  const config = loadConfig()
  const target = config.database.kind === 'pg' ? 'PostgreSQL (DATABASE_URL)' : `PGlite at ${config.database.dir}`
  console.log(`Migrating ${command} on ${target}`)
  const db = await createDatabase(config.database)
  try {
    report(await COMMANDS[command](db), command)
    return 0
  } finally {
    await db.destroy()
  }
}

// exitCode rather than process.exit() so that db.destroy() above gets to finish.
process.exitCode = await main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  const cause = err instanceof Error ? err.cause : undefined
  if (cause instanceof Error && cause.stack !== undefined) console.error(cause.stack)
  return 1
})
