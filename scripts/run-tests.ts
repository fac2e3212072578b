// Runs the tap suite on embedded PGlite and, when TEST_DATABASE_URL is set, again on PostgreSQL,
// then ends with one plain line, `N passed, N failed`, summed over both runs.
import { spawn } from 'node:child_process'

interface Totals { pass: number, fail: number, exitCode: number }

function runTap (driver: 'pglite' | 'pg', args: string[]): Promise<Totals> {
  return new Promise((resolve, reject) => {
    console.log(`\n=== tap on ${driver === 'pg' ? 'PostgreSQL (TEST_DATABASE_URL)' : 'PGlite (memory://)'} ===`)
    const child = spawn('npx', ['tap', '--reporter=tap', ...args], {
      env: { ...process.env, TEST_DRIVER: driver },
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
const runs = [await runTap('pglite', args)]
if (process.env.TEST_DATABASE_URL) runs.push(await runTap('pg', args))

const passed = runs.reduce((sum, r) => sum + r.pass, 0)
const failed = runs.reduce((sum, r) => sum + r.fail, 0)
const crashed = runs.some((r) => r.exitCode !== 0)
console.log(`\n${passed} passed, ${crashed && failed === 0 ? 1 : failed} failed`)
process.exit(crashed || failed > 0 ? 1 : 0)
