// Runs the tap suite on embedded PGlite and, when TEST_DATABASE_URL is set, again on PostgreSQL,
// then lists why anything was skipped and ends with one plain line, `N passed, N failed, N skipped`,
// summed over both runs, so a run without PostgreSQL, Redis or Chromium cannot pass for a full one.
import { spawn } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { Kysely } from 'kysely'
import { KyselyPGlite } from 'kysely-pglite'
import { migrateToLatest } from '../src/db/migrate.js'
import type { Database } from '../src/db/schema.js'
import { ROOT } from '../src/contract/paths.js'

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

interface Totals { pass: number, fail: number, skip: number, exitCode: number, skipReasons: string[] }

/** TAP's `ok 3 - name # SKIP reason`, at any depth. */
const SKIP_LINE = /^\s*ok \d+ - (.*?) # SKIP ?(.*)$/
/** tap's line for each test file at the top level: `# Subtest: test/x.test.ts`. */
const FILE_LINE = /^# Subtest: (\S+\.test\.ts)$/

function runTap (driver: 'pglite' | 'pg', args: string[], env: Record<string, string> = {}): Promise<Totals> {
  return new Promise((resolve, reject) => {
    console.log(`\n=== tap on ${driver === 'pg' ? 'PostgreSQL (TEST_DATABASE_URL)' : 'PGlite (memory://)'} ===`)
    const child = spawn('npx', ['tap', '--reporter=tap', ...args], {
      env: { ...process.env, ...env, TEST_DRIVER: driver },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let tail = ''
    let partial = ''
    let file = ''
    const skipReasons: string[] = []
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk)
      tail = (tail + chunk.toString()).slice(-4096)
      const lines = (partial + chunk.toString()).split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        file = FILE_LINE.exec(line)?.[1] ?? file
        const skipped = SKIP_LINE.exec(line)
        if (skipped !== null) skipReasons.push(`[${driver}] ${file}: ${skipped[1]}${skipped[2] ? ` (${skipped[2]})` : ''}`)
      }
    })
    child.on('error', reject)
    child.on('close', (code) => {
      // tap's closing summary: `# { total: 12, pass: 10, fail: 1, skip: 1 }`
      const summary = [...tail.matchAll(/^# \{ total: \d+.*\}$/gm)].at(-1)?.[0]
      const count = (key: string) => Number(new RegExp(`${key}: (\\d+)`).exec(summary ?? '')?.[1] ?? 0)
      const fail = count('fail')
      resolve({ pass: count('pass'), fail: summary === undefined ? Math.max(fail, 1) : fail, skip: count('skip'), exitCode: code ?? 1, skipReasons })
    })
  })
}

const args = process.argv.slice(2)
const runs = [await runTap('pglite', args, { TEST_PGLITE_SNAPSHOT: await migratedPgliteSnapshot() })]
if (process.env.TEST_DATABASE_URL) runs.push(await runTap('pg', args))

const skipReasons = runs.flatMap((r) => r.skipReasons)
if (!process.env.TEST_DATABASE_URL) skipReasons.push('the whole PostgreSQL pass (TEST_DATABASE_URL is not set)')
const sum = (key: 'pass' | 'fail' | 'skip') => runs.reduce((total, r) => total + r[key], 0)
const passed = sum('pass')
const failed = sum('fail')
const skipped = sum('skip') + (process.env.TEST_DATABASE_URL ? 0 : 1)
const crashed = runs.some((r) => r.exitCode !== 0)
if (skipReasons.length > 0) {
  console.log('\nSkipped:')
  for (const reason of skipReasons) console.log(`  ${reason}`)
}
console.log(`\n${passed} passed, ${crashed && failed === 0 ? 1 : failed} failed, ${skipped} skipped`)
process.exit(crashed || failed > 0 ? 1 : 0)
