// Runs the tap suite on embedded PGlite and, when TEST_DATABASE_URL is set, again on PostgreSQL,
// then ends with one plain line, `N passed, N failed`, summed over both runs.
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { Kysely } from 'kysely'
import { KyselyPGlite } from 'kysely-pglite'
import { migrateToLatest } from '../src/db/migrate.js'
import type { Database } from '../src/db/schema.js'
import { ROOT } from '../src/paths.js'

/**
 * A cold PGlite runs initdb, 10-30 s on our machines; loading a dump of an already migrated one
 * takes a fraction of that. Every test file on the PGlite pass starts from this dump.
 */
async function migratedPgliteSnapshot (): Promise<string> {
  const client = await PGlite.create()
  const db = new Kysely<Database>({ dialect: new KyselyPGlite(client).dialect })
  await migrateToLatest(db)
  const dump = await client.dumpDataDir('gzip')
  await db.destroy()
  const dir = join(ROOT, '.tap')
  mkdirSync(dir, { recursive: true })
  const path = join(dir, 'pglite-migrated.tar.gz')
  writeFileSync(path, Buffer.from(await dump.arrayBuffer()))
  return path
}

interface Totals { pass: number, fail: number, exitCode: number }

function runTap (driver: 'pglite' | 'pg', args: string[], env: Record<string, string> = {}): Promise<Totals> {
  return new Promise((resolve, reject) => {
    console.log(`\n=== tap on ${driver === 'pg' ? 'PostgreSQL (TEST_DATABASE_URL)' : 'PGlite (memory://)'} ===`)
    const child = spawn('npx', ['tap', '--reporter=tap', ...args], {
      env: { ...process.env, ...env, TEST_DRIVER: driver },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let tail = ''
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk)
      tail = (tail + chunk.toString()).slice(-4096)
    })
    child.on('error', reject)
    child.on('close', (code) => {
      // tap's closing summary: `# { total: 12, pass: 11, fail: 1, skip: 0 }`
      const summary = [...tail.matchAll(/^# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?.*\}$/gm)].at(-1)
      const pass = Number(summary?.[2] ?? 0)
      const fail = Number(summary?.[3] ?? 0)
      resolve({ pass, fail: summary === undefined ? Math.max(fail, 1) : fail, exitCode: code ?? 1 })
    })
  })
}

const args = process.argv.slice(2)
const runs = [await runTap('pglite', args, { TEST_PGLITE_SNAPSHOT: await migratedPgliteSnapshot() })]
if (process.env.TEST_DATABASE_URL) runs.push(await runTap('pg', args))

const passed = runs.reduce((sum, r) => sum + r.pass, 0)
const failed = runs.reduce((sum, r) => sum + r.fail, 0)
const crashed = runs.some((r) => r.exitCode !== 0)
console.log(`\n${passed} passed, ${crashed && failed === 0 ? 1 : failed} failed`)
process.exit(crashed || failed > 0 ? 1 : 0)
