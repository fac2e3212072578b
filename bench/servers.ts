// The two servers under test: built, pinned to the servers' core, started on free ports, timed
// from spawn to the first /health 200, and stopped. Both run with the Node flags of `npm start`.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { BENCH_JWT_SECRET, freePort, startScriptNodeFlags } from './api-process.js'
import { options } from './options.js'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const SERVER_CORE = '0'
export const LOADGEN_CORE = '1'
/** High enough that neither rate limit is ever reached; the schema has no maximum. */
const UNLIMITED = '1000000000'

export const sleep = (ms: number): Promise<void> => new Promise<void>((done) => setTimeout(done, ms))

function tasksetAvailable (): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

// Read before pinning: once pinned, availableParallelism() counts the one allowed core.
export const CPUS = os.availableParallelism()
export const canPin = !options.noPin && CPUS >= 2 && tasksetAvailable()

/** Pins this process, every thread of it (autocannon included), to the load generator's core. */
export function pinSelf (): void {
  if (!canPin) {
    console.log(`Not pinning to cores (${options.noPin ? '--no-pin' : CPUS < 2 ? 'fewer than 2 CPUs' : 'no taskset'}): numbers are less stable.`)
    return
  }
  execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', LOADGEN_CORE, String(process.pid)], { stdio: 'ignore' })
}

interface HttpAnswer { status: number, headers: Record<string, string | string[] | undefined>, body: string }

export function http (url: string, init: { method?: string, headers?: Record<string, string>, body?: string, timeoutMs?: number } = {}): Promise<HttpAnswer> {
  return new Promise((done, fail) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers, timeout: init.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', fail)
    })
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)))
    req.on('error', fail)
    req.end(init.body)
  })
}

export type ServerKind = 'api' | 'baseline'

export interface Server {
  kind: ServerKind
  child: ChildProcess
  pid: number
  url: string
  /** Spawn to the first /health 200. */
  startMs: number
  exited: Promise<number | null>
  stderr: () => string
}

const running = new Set<Server>()
// The API runs in an empty directory so that a developer's .env in the repo cannot change its config.
const apiCwd = mkdtempSync(join(os.tmpdir(), 'mst-bench-'))

export const NODE_FLAGS = startScriptNodeFlags()

/**
 * Process settings a deployment may add (read by glibc and libuv before Node runs any code, so
 * `npm start` cannot set them): passed to both servers when the runner has them.
 */
const DEPLOYMENT_SETTINGS = ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_ARENA_MAX', 'UV_THREADPOOL_SIZE'] as const
export const deploymentEnv: NodeJS.ProcessEnv = Object.fromEntries(
  DEPLOYMENT_SETTINGS.filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]]))

function serverCommand (kind: ServerKind, port: number, databaseUrl: string): { argv: string[], env: NodeJS.ProcessEnv, cwd: string } {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG, ...deploymentEnv }
  if (kind === 'api') {
    if (options.redis && !process.env.REDIS_URL) throw new Error('--redis needs REDIS_URL in the environment')
    return {
      argv: [process.execPath, ...NODE_FLAGS, join(ROOT, 'dist', 'src', 'server.js')],
      cwd: apiCwd,
      env: {
        ...base,
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        JWT_SECRET: BENCH_JWT_SECRET,
        JWT_EXPIRES_IN: '12h',
        RATE_LIMIT_MAX: UNLIMITED,
        LOGIN_RATE_LIMIT_MAX: UNLIMITED,
        LOGIN_ACCOUNT_RATE_LIMIT_MAX: UNLIMITED,
        // The logins come from many client addresses, named in X-Forwarded-For (bench/routes.ts).
        TRUST_PROXY: '127.0.0.1',
        LOG_LEVEL: 'warn',
        ...(options.redis ? { REDIS_URL: process.env.REDIS_URL } : {}),
      },
    }
  }
  return {
    argv: [process.execPath, ...NODE_FLAGS, '--import', 'tsx', join(ROOT, 'bench', 'baseline.ts')],
    cwd: ROOT,
    env: { ...base, BENCH_DATABASE_URL: databaseUrl, BASELINE_PORT: String(port), HOST: '127.0.0.1', JWT_SECRET: BENCH_JWT_SECRET },
  }
}

const prefixLines = (kind: ServerKind, chunk: Buffer): string => chunk.toString().replace(/^(?=.)/gm, `    [${kind}] `)

export async function startServer (kind: ServerKind, databaseUrl: string): Promise<Server> {
  const port = await freePort()
  const { argv, env, cwd } = serverCommand(kind, port, databaseUrl)
  const command = canPin ? ['taskset', '--cpu-list', SERVER_CORE, ...argv] : argv
  const t0 = performance.now()
  // taskset execs the server, so the child's pid is the server's own (for /proc/<pid>/status).
  const child = spawn(command[0]!, command.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(prefixLines(kind, chunk)))
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8192)
    process.stderr.write(prefixLines(kind, chunk))
  })
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)))
  let dead = false
  void exited.then(() => { dead = true })
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 90_000
  for (;;) {
    if (dead) throw new Error(`${kind} exited during start-up:\n${stderr}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${kind} did not answer /health within 90 s:\n${stderr}`)
    }
    try {
      const res = await http(`${url}/health`, { timeoutMs: 1000 })
      if (res.status === 200) break
    } catch { /* not listening yet */ }
    await sleep(5)
  }
  const server: Server = { kind, child, pid: child.pid!, url, startMs: performance.now() - t0, exited, stderr: () => stderr }
  running.add(server)
  return server
}

export async function stopServer (server: Server): Promise<void> {
  running.delete(server)
  if (server.child.exitCode !== null || server.child.signalCode !== null) return
  server.child.kill('SIGTERM')
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 12_000)
  await server.exited
  clearTimeout(timer)
}

/** Kills every server still running: on an error or Ctrl-C, no process outlives the runner. */
export function killAll (): void {
  for (const server of running) server.child.kill('SIGKILL')
}

export function removeApiDirectory (): void {
  rmSync(apiCwd, { recursive: true, force: true })
}

export function assertAlive (...servers: Server[]): void {
  for (const s of servers) {
    if (s.child.exitCode !== null || s.child.signalCode !== null) throw new Error(`${s.kind} died (${s.child.exitCode ?? s.child.signalCode}):\n${s.stderr()}`)
  }
}

/** `n` starts of one server, each stopped at once: spawn to the first /health 200, in ms. */
export async function coldStarts (kind: ServerKind, databaseUrl: string, n: number): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const server = await startServer(kind, databaseUrl)
    times.push(server.startMs)
    await stopServer(server)
  }
  return times
}

export function build (): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
    child.on('error', fail)
    child.on('exit', (code) => code === 0 ? done() : fail(new Error(`npm run build failed (exit ${code}): the API does not compile right now`)))
  })
}
