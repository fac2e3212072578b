// `npm run postman:test`: runs the generated Postman collection with newman against the real server,
// started here on an empty in-memory PGlite and a free port with the environment file's mechanic as
// the bootstrap mechanic. Fails when a request errors, an assertion fails, or the run stops before
// every request has been sent (a broken setNextRequest chain). Runs it twice on the same database, and
// stops the server either way.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DOCS_HTML_PATH, ROOT } from '../src/contract/paths.js'

// newman ships no types; this is the part of its Node API used here. @see https://github.com/postmanlabs/newman#api-reference
interface NewmanSummary {
  run: {
    stats: { requests: { total: number, failed: number }, assertions: { total: number, failed: number } }
    failures: Array<{ error: { name: string, message: string, test?: string }, source?: { name?: string } }>
    error?: Error | null
  }
}
interface Newman {
  run: (options: Record<string, unknown>, callback: (err: Error | null, summary: NewmanSummary) => void) => unknown
}
const newman = createRequire(import.meta.url)('newman') as Newman

const COLLECTION = join(ROOT, 'postman', 'mechanic-shop.postman_collection.json')
const ENVIRONMENT = join(ROOT, 'postman', 'mechanic-shop.postman_environment.json')
const START_TIMEOUT_MS = 90_000

interface Environment { values: Array<{ key: string, value: string }> }
interface CollectionNode { item?: CollectionNode[], event?: Array<{ script?: { exec?: string[] } }> }

const envValue = (env: Environment, key: string): string => {
  const value = env.values.find((v) => v.key === key)?.value
  if (value === undefined) throw new Error(`${ENVIRONMENT} has no ${key}`)
  return value
}
/** What a full run sends: each request once, plus each `pm.sendRequest` of its scripts (newman counts those too). */
const countRequests = (node: CollectionNode): number =>
  (node.item ?? []).reduce((sum, child) => sum + (child.item === undefined ? 1 + scriptRequests(child) : countRequests(child)), 0)
const scriptRequests = (item: CollectionNode): number =>
  (item.event ?? []).flatMap((e) => e.script?.exec ?? []).filter((line) => /\bpm\.sendRequest\(/.test(line)).length

interface Server { child: ChildProcess, url: string, log: () => string }

/** Starts src/server.ts under tsx; resolves with its URL, read from the "Server listening" log line. */
function startServer (env: Record<string, string>): Promise<Server> {
  // A scratch working directory, so a developer's .env cannot point the run at their database.
  const cwd = mkdtempSync(join(tmpdir(), 'postman-smoke-'))
  const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(ROOT, 'src', 'server.ts')], {
    cwd,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      PGLITE_DIR: 'memory://',
      JWT_SECRET: randomBytes(32).toString('base64url'),
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.on('exit', () => rmSync(cwd, { recursive: true, force: true }))
  // Never leave the server behind: not on an error, not when this script is interrupted or its output closes.
  const killChild = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    rmSync(cwd, { recursive: true, force: true })
  }
  process.once('exit', killChild)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGPIPE'] as const) {
    process.once(signal, () => {
      killChild()
      process.exit(1)
    })
  }
  let log = ''
  const keep = (chunk: Buffer): void => { log = (log + chunk.toString()).slice(-20_000) }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within ${START_TIMEOUT_MS / 1000}s:\n${log}`)), START_TIMEOUT_MS)
    const onData = (): void => {
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(log)
      if (match?.[1] === undefined) return
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      resolve({ child, url: match[1], log: () => log })
    }
    child.stdout?.on('data', onData)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`the server exited with ${String(code)} before listening:\n${log}`))
    })
  })
}

async function waitForHealth (url: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS
  for (;;) {
    try {
      const res = await fetch(`${url}/health`)
      if (res.ok) return
    } catch { /* not yet */ }
    if (Date.now() > deadline) throw new Error(`${url}/health did not answer 200`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

function stopServer (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve()
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 15_000)
    child.once('exit', () => {
      clearTimeout(force)
      resolve()
    })
    child.kill('SIGTERM')
  })
}

function runNewman (baseUrl: string): Promise<NewmanSummary> {
  return new Promise((resolve, reject) => {
    newman.run({
      collection: COLLECTION,
      environment: ENVIRONMENT,
      envVar: [{ key: 'baseUrl', value: baseUrl }],
      reporters: ['cli'],
      reporter: { cli: { noSuccessAssertions: true } },
      timeout: 90_000,
      timeoutRequest: 15_000,
    }, (err, summary) => err === null ? resolve(summary) : reject(err))
  })
}

async function main (): Promise<number> {
  if (!existsSync(DOCS_HTML_PATH)) {
    // "Read the reference documentation" needs the built page.
    const docs = spawnSync('npm', ['run', 'docs'], { cwd: ROOT, stdio: 'inherit' })
    if (docs.status !== 0) throw new Error('npm run docs failed')
  }
  const environment = JSON.parse(readFileSync(ENVIRONMENT, 'utf8')) as Environment
  const expected = countRequests(JSON.parse(readFileSync(COLLECTION, 'utf8')) as CollectionNode)

  const started = Date.now()
  const server = await startServer({
    BOOTSTRAP_MECHANIC_EMAIL: envValue(environment, 'mechanicEmail'),
    BOOTSTRAP_MECHANIC_PASSWORD: envValue(environment, 'mechanicPassword'),
  })
  try {
    await waitForHealth(server.url)
    console.log(`server up at ${server.url} after ${((Date.now() - started) / 1000).toFixed(1)}s`)
    // Twice against the same database: the second run proves the collection leaves nothing behind
    // that would make it fail again (its emails are unique per run, and it deletes what it created).
    const problems: string[] = []
    let requests = 0
    let assertions = 0
    for (const pass of [1, 2]) {
      console.log(`\n=== newman run ${pass} of 2 ===`)
      const { run } = await runNewman(server.url)
      if (run.error != null) problems.push(`run ${pass}: ${run.error.message}`)
      for (const f of run.failures) problems.push(`run ${pass}: ${f.source?.name ?? '?'}: ${f.error.test ?? f.error.name}: ${f.error.message}`)
      if (run.stats.requests.total !== expected) {
        problems.push(`run ${pass}: ${run.stats.requests.total} of the collection's ${expected} requests ran (is the setNextRequest chain broken?)`)
      }
      requests += run.stats.requests.total
      assertions += run.stats.assertions.total
    }
    if (problems.length > 0) {
      console.error(`\nserver log (tail):\n${server.log().slice(-5000)}`)
      console.error(`\npostman smoke FAILED:\n  ${problems.join('\n  ')}`)
      return 1
    }
    console.log(`\npostman smoke passed: ${requests} requests and ${assertions} assertions in two runs, ` +
      `${((Date.now() - started) / 1000).toFixed(1)}s in all`)
    return 0
  } finally {
    await stopServer(server.child)
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
