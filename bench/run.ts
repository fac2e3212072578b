// The benchmark of issue 7: the API against a bare baseline (bench/baseline.ts) on the same
// PostgreSQL database, route by route.
//
//   npm run bench:seed -- --scale 1      # once: the dataset (see bench/seed.ts)
//   npm run bench                        # build, cold start, every route, login storm
//   npm run bench -- --scale-check       # uncached ranking and the customers' last page only
//   npm run bench -- --smoke             # CI: scale 0.01 in a throwaway database, 1 s per route
//
// Both servers run pinned to core 0 (`taskset -c 0`); this runner and autocannon pin themselves to
// core 1, so the load generator never steals the servers' CPU. PostgreSQL is not pinned. See
// bench/README.md for the columns and the options.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import os from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import pg from 'pg'
import { BENCH_JWT_SECRET, freePort, startScriptNodeFlags } from './api-process.js'
import { BENCH_PASSWORD, benchDatabaseUrl, customerEmail, databaseName, mechanicEmail, withDatabase } from './common.js'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const RESULTS_DIR = join(ROOT, 'bench', 'results')
const SERVER_CORE = '0'
const LOADGEN_CORE = '1'
/** High enough that neither rate limit is ever reached; the schema has no maximum. */
const UNLIMITED = '1000000000'
const JWT_SECRET = BENCH_JWT_SECRET

// ---- options ---------------------------------------------------------------------------------

const { values: args } = parseArgs({
  strict: true,
  options: {
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    'storm-connections': { type: 'string', default: '20' },
    'cold-starts': { type: 'string', default: '3' },
    only: { type: 'string' },
    redis: { type: 'boolean', default: false },
    'scale-check': { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    'skip-build': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})

const HELP = `npm run bench -- [options]
  --duration S           seconds per measured run (default 5)
  --rounds N             measured runs per route and server, interleaved API/baseline (default 3)
  --connections N        concurrent connections (default 10)
  --warmup S             seconds of warm-up per route and server, not measured (default 2)
  --storm-connections N  concurrent logins during the login storm (default 20)
  --cold-starts N        API starts timed from spawn to the first /health 200 (default 3)
  --only a,b             only the routes whose label contains one of these strings
  --redis                give the API REDIS_URL (from the environment) for its cache and rate limits
  --scale-check          only the uncached ranking and the customers' last page, for comparing scales
  --smoke                CI: seed scale 0.01 into a throwaway database, 1 round x 1 s, then drop it
  --skip-build           use the existing dist/ instead of running npm run build
  --no-pin               do not pin processes to cores with taskset
  --json FILE            where to write the results (default bench/results/<time>-<mode>.json)
Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/mechanic_shop_bench), REDIS_URL.`

function positive (name: string, value: string | undefined, integer = false): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new Error(`--${name} must be a ${integer ? 'whole ' : ''}number >= 0, got ${value}`)
  return n
}

const smoke = args.smoke
const options = {
  duration: smoke ? 1 : positive('duration', args.duration),
  rounds: smoke ? 1 : Math.max(1, positive('rounds', args.rounds, true)),
  connections: Math.max(1, positive('connections', args.connections, true)),
  warmup: smoke ? 0 : positive('warmup', args.warmup),
  stormConnections: Math.max(1, positive('storm-connections', args['storm-connections'], true)),
  coldStarts: smoke ? 1 : Math.max(1, positive('cold-starts', args['cold-starts'], true)),
  only: args.only?.split(',').map((s) => s.trim()).filter((s) => s !== '') ?? [],
}

// ---- small helpers ---------------------------------------------------------------------------

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms))
const log = (line = '') => console.log(line)

function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Nearest-rank percentile of an ascending array. */
function percentile (sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

function fmtMs (ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a'
  if (ms < 10) return ms.toFixed(2)
  if (ms < 100) return ms.toFixed(1)
  return ms.toFixed(0)
}
const fmtRps = (rps: number) => Number.isFinite(rps) ? (rps < 100 ? rps.toFixed(1) : Math.round(rps).toString()) : 'n/a'
const fmtRatio = (r: number) => Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a'
const fmtMiB = (kb: number) => Number.isFinite(kb) && kb > 0 ? `${(kb / 1024).toFixed(0)} MiB` : 'n/a'

function markdownTable (header: string[], rows: string[][], rightAlignFrom = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => i >= rightAlignFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join(' | ')} |`
  const rule = `|${widths.map((w, i) => i >= rightAlignFrom ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2)).join('|')}|`
  return [line(header), rule, ...rows.map(line)].join('\n')
}

function tasksetAvailable (): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

// Read before pinning: once pinned, availableParallelism() counts the one allowed core.
const CPUS = os.availableParallelism()
const canPin = !args['no-pin'] && CPUS >= 2 && tasksetAvailable()

/** Pins this process, every thread of it, to the load generator's core. */
function pinSelf (): void {
  if (!canPin) {
    log(`Not pinning to cores (${args['no-pin'] ? '--no-pin' : CPUS < 2 ? 'fewer than 2 CPUs' : 'no taskset'}): numbers are less stable.`)
    return
  }
  execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', LOADGEN_CORE, String(process.pid)], { stdio: 'ignore' })
}

interface HttpAnswer { status: number, headers: Record<string, string | string[] | undefined>, body: string }

function http (url: string, init: { method?: string, headers?: Record<string, string>, body?: string, timeoutMs?: number } = {}): Promise<HttpAnswer> {
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

function readProcStatus (pid: number): { rssKb: number, hwmKb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN)
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') }
  } catch {
    return { rssKb: Number.NaN, hwmKb: Number.NaN }
  }
}

// ---- servers ---------------------------------------------------------------------------------

type ServerKind = 'api' | 'baseline'

interface Server {
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

const API_NODE_FLAGS = startScriptNodeFlags()

/**
 * The process settings README.md recommends to deployments (read by glibc and libuv before Node
 * runs any code, so `npm start` cannot set them): passed to both servers when the runner has them,
 * to measure what they change.
 */
const DEPLOYMENT_SETTINGS = ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_ARENA_MAX', 'UV_THREADPOOL_SIZE'] as const
const deploymentEnv: NodeJS.ProcessEnv = Object.fromEntries(
  DEPLOYMENT_SETTINGS.filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]]))

function serverCommand (kind: ServerKind, port: number, databaseUrl: string): { argv: string[], env: NodeJS.ProcessEnv, cwd: string } {
  const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: process.env.LANG, ...deploymentEnv }
  if (kind === 'api') {
    if (args.redis && !process.env.REDIS_URL) throw new Error('--redis needs REDIS_URL in the environment')
    return {
      argv: [process.execPath, ...API_NODE_FLAGS, join(ROOT, 'dist', 'src', 'server.js')],
      cwd: apiCwd,
      env: {
        ...base,
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        JWT_SECRET,
        JWT_EXPIRES_IN: '12h',
        RATE_LIMIT_MAX: UNLIMITED,
        LOGIN_RATE_LIMIT_MAX: UNLIMITED,
        LOG_LEVEL: 'warn',
        ...(args.redis ? { REDIS_URL: process.env.REDIS_URL } : {}),
      },
    }
  }
  return {
    argv: [process.execPath, '--import', 'tsx', join(ROOT, 'bench', 'baseline.ts')],
    cwd: ROOT,
    env: { ...base, BENCH_DATABASE_URL: databaseUrl, BASELINE_PORT: String(port), HOST: '127.0.0.1', JWT_SECRET },
  }
}

const prefixLines = (kind: ServerKind, chunk: Buffer) => chunk.toString().replace(/^(?=.)/gm, `    [${kind}] `)

async function startServer (kind: ServerKind, databaseUrl: string): Promise<Server> {
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

async function stopServer (server: Server): Promise<void> {
  running.delete(server)
  if (server.child.exitCode !== null || server.child.signalCode !== null) return
  server.child.kill('SIGTERM')
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 12_000)
  await server.exited
  clearTimeout(timer)
}

// ---- load ------------------------------------------------------------------------------------

interface Target {
  method: 'GET' | 'POST'
  path: string
  headers: Record<string, string>
  body?: string
  /** Varies each request (path and/or body); n counts requests across every run of the route. */
  vary?: (n: number) => { path?: string, body?: string }
}

interface RunResult {
  rps: number
  requests: number
  non2xx: number
  errors: number
  timeouts: number
  statusCodes: Record<string, number>
  /** Latency of every 2xx answer, ms. */
  latencies: number[]
}

async function load (server: Server, target: Target, durationS: number, connections: number, counter = { n: 0 }): Promise<RunResult> {
  const latencies: number[] = []
  const opts: autocannon.Options = {
    url: server.url + target.path,
    method: target.method,
    headers: target.headers,
    body: target.body,
    connections,
    duration: durationS,
    timeout: 30,
    pipelining: 1,
  }
  if (target.vary !== undefined) {
    const vary = target.vary
    opts.requests = [{
      method: target.method,
      setupRequest: (req) => {
        const changes = vary(counter.n++)
        return { ...req, ...(changes.path === undefined ? {} : { path: changes.path }), ...(changes.body === undefined ? {} : { body: changes.body }) }
      },
    }]
  }
  const result = await new Promise<autocannon.Result>((done, fail) => {
    const instance = autocannon(opts, (err, res) => err ? fail(err) : done(res))
    // autocannon's own histogram keeps whole milliseconds; these are the exact times.
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status >= 200 && status < 300) latencies.push(responseTime)
    })
  })
  const statusCodes: Record<string, number> = {}
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = count ?? 0
  return {
    rps: result.requests.total / result.duration,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    latencies,
  }
}

/** Samples the server's VmRSS every 100 ms while `run` runs; returns the peak seen. */
async function sampleRss<T> (server: Server, run: () => Promise<T>): Promise<{ value: T, peakRssKb: number }> {
  let peak = readProcStatus(server.pid).rssKb
  const timer = setInterval(() => {
    const { rssKb } = readProcStatus(server.pid)
    if (rssKb > peak || !Number.isFinite(peak)) peak = rssKb
  }, 100)
  try {
    const value = await run()
    const { rssKb } = readProcStatus(server.pid)
    return { value, peakRssKb: Math.max(peak, Number.isFinite(rssKb) ? rssKb : 0) }
  } finally {
    clearInterval(timer)
  }
}

interface SideSummary {
  rps: number
  rpsPerRound: number[]
  p50: number
  p99: number
  requests: number
  non2xx: number
  errors: number
  statusCodes: Record<string, number>
}

interface RouteResult {
  label: string
  api: SideSummary
  baseline: SideSummary
  apiPeakRssKb: number
}

function summarize (runs: RunResult[]): SideSummary {
  const all = Float64Array.from(runs.flatMap((r) => r.latencies)).sort()
  const statusCodes: Record<string, number> = {}
  for (const run of runs) for (const [code, n] of Object.entries(run.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n
  return {
    rps: median(runs.map((r) => r.rps)),
    rpsPerRound: runs.map((r) => Math.round(r.rps * 10) / 10),
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    requests: runs.reduce((s, r) => s + r.requests, 0),
    non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
    errors: runs.reduce((s, r) => s + r.errors + r.timeouts, 0),
    statusCodes,
  }
}

function assertAlive (...servers: Server[]): void {
  for (const s of servers) {
    if (s.child.exitCode !== null || s.child.signalCode !== null) throw new Error(`${s.kind} died (${s.child.exitCode ?? s.child.signalCode}):\n${s.stderr()}`)
  }
}

/**
 * Waits until no query of either server is still running. When autocannon stops, the requests in
 * flight are abandoned but their queries run on in PostgreSQL (a naive ranking at scale 20 takes
 * seconds), and would otherwise eat into the next server's run.
 */
async function settle (monitor: pg.Client): Promise<void> {
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    const { rows } = await monitor.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and state = 'active' and pid <> pg_backend_pid()")
    if ((rows[0]?.n ?? 0) === 0) return
    await sleep(20)
  }
}

interface Side { server: Server, target: Target }

/**
 * Warm-up, then `rounds` measured runs of each side, interleaved: each round starts one side later
 * (API, baseline; then baseline, API), so every side meets the VM's slow and fast minutes alike.
 * The API's VmRSS is sampled while it runs.
 */
async function measureSides (sides: Side[], monitor: pg.Client): Promise<{ runs: RunResult[][], apiPeakRssKb: number }> {
  const counter = { n: 0 } // shared by every side: writes never revisit another's rows in step
  if (options.warmup > 0) {
    for (const { server, target } of sides) {
      await load(server, target, options.warmup, options.connections, counter)
      await settle(monitor)
    }
  }
  const runs: RunResult[][] = sides.map(() => [])
  let apiPeakRssKb = 0
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < sides.length; k++) {
      const i = (round + k) % sides.length
      const { server, target } = sides[i]!
      assertAlive(server)
      if (server.kind === 'api') {
        const { value, peakRssKb } = await sampleRss(server, () => load(server, target, options.duration, options.connections, counter))
        runs[i]!.push(value)
        apiPeakRssKb = Math.max(apiPeakRssKb, peakRssKb)
      } else {
        runs[i]!.push(await load(server, target, options.duration, options.connections, counter))
      }
      await settle(monitor)
    }
  }
  return { runs, apiPeakRssKb }
}

/** One route on both servers. */
async function measureRoute (label: string, target: Target, api: Server, baseline: Server, monitor: pg.Client): Promise<RouteResult> {
  process.stdout.write(`  ${label} …`)
  const { runs: [apiRuns, baselineRuns], apiPeakRssKb } = await measureSides([{ server: api, target }, { server: baseline, target }], monitor)
  const result = { label, api: summarize(apiRuns!), baseline: summarize(baselineRuns!), apiPeakRssKb }
  process.stdout.write(` API ${fmtRps(result.api.rps)} req/s, baseline ${fmtRps(result.baseline.rps)} req/s\n`)
  return result
}

interface FloorResult extends RouteResult {
  /** Bare Fastify sending the baseline's answer from memory (`/floor/<path>`). */
  floor: SideSummary
}

/**
 * A cached route's hits, the floor and the baseline's own answer, interleaved in the same rounds:
 * floor/base and API/base then compare runs minutes apart at most, not phases of the run.
 */
async function measureAgainstFloor (label: string, target: Target, api: Server, baseline: Server, monitor: pg.Client): Promise<FloorResult> {
  process.stdout.write(`  ${label} …`)
  const floorTarget = { ...target, path: `/floor${target.path}` }
  const sides = [{ server: api, target }, { server: baseline, target: floorTarget }, { server: baseline, target }]
  const { runs: [apiRuns, floorRuns, baselineRuns], apiPeakRssKb } = await measureSides(sides, monitor)
  const result = { label, api: summarize(apiRuns!), floor: summarize(floorRuns!), baseline: summarize(baselineRuns!), apiPeakRssKb }
  process.stdout.write(` API ${fmtRps(result.api.rps)} req/s, floor ${fmtRps(result.floor.rps)} req/s, baseline ${fmtRps(result.baseline.rps)} req/s\n`)
  return result
}

// ---- the shop's facts ------------------------------------------------------------------------

interface Facts {
  counts: Record<string, number>
  databaseMiB: number
  customerPages: number
  middleTicketId: number
  /** Existing (ticket, part) lines, spread over the table: the write route bumps their quantities. */
  lines: Array<[number, number]>
}

async function readFacts (databaseUrl: string): Promise<Facts> {
  const client = new pg.Client({ connectionString: databaseUrl })
  try {
    await client.connect()
  } catch (err) {
    throw new Error(`Cannot connect to ${databaseUrl}: ${(err as Error).message}. Seed it first: npm run bench:seed`)
  }
  try {
    const counts: Record<string, number> = {}
    for (const table of ['customers', 'mechanics', 'inventory', 'service_tickets', 'service_mechanics', 'ticket_parts']) {
      try {
        const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from ${table}`)
        counts[table] = rows[0]?.n ?? 0
      } catch {
        counts[table] = 0
      }
    }
    if (!counts.customers || !counts.service_tickets) {
      throw new Error(`${databaseName(databaseUrl)} holds no seeded shop. Seed it first: npm run bench:seed -- --scale 1`)
    }
    const { rows: size } = await client.query<{ mib: number }>('select (pg_database_size(current_database()) / 1048576)::int as mib')
    const { rows: mid } = await client.query<{ id: number }>(
      'select id from service_tickets where id >= (select (min(id) + max(id)) / 2 from service_tickets) order by id limit 1')
    // Every k-th ticket's lines, about 5,000 of them whatever the scale.
    const { rows: lines } = await client.query<{ ticket_id: number, part_id: number }>(
      'select ticket_id, part_id from ticket_parts where ticket_id % $1 = 0 order by ticket_id, part_id limit 5000',
      [Math.max(1, Math.floor(counts.service_tickets / 2000))])
    return {
      counts,
      databaseMiB: size[0]?.mib ?? 0,
      customerPages: Math.ceil(counts.customers / 10),
      middleTicketId: mid[0]?.id ?? 1,
      lines: lines.map((l) => [l.ticket_id, l.part_id]),
    }
  } finally {
    await client.end()
  }
}

interface Tokens { mechanic: string, customer: string, customerId: number }

async function login (server: Server, role: 'mechanics' | 'customers', email: string): Promise<string> {
  const res = await http(`${server.url}/${role}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: BENCH_PASSWORD }),
  })
  if (res.status !== 200) throw new Error(`${role} login as ${email} answered ${res.status}: ${res.body}`)
  return (JSON.parse(res.body) as { token: string }).token
}

async function getTokens (api: Server): Promise<Tokens> {
  const mechanic = await login(api, 'mechanics', mechanicEmail(1))
  const customer = await login(api, 'customers', customerEmail(1))
  const claims = JSON.parse(Buffer.from(customer.split('.')[1] ?? '', 'base64url').toString()) as { sub: string }
  return { mechanic, customer, customerId: Number(claims.sub) }
}

interface RouteSpec { label: string, target: Target }

/** The routes the API answers from its response cache (`x-cache`), measured against the floor too. */
const CACHED_ROUTES = ['GET /mechanics/ranking', 'GET /mechanics', 'GET /inventory?page=1&per_page=50']

function routes (facts: Facts, tokens: Tokens): RouteSpec[] {
  const asMechanic = { authorization: `Bearer ${tokens.mechanic}` }
  const asCustomer = { authorization: `Bearer ${tokens.customer}`, 'x-customer-id': String(tokens.customerId) }
  const json = { 'content-type': 'application/json' }
  const lastPage = facts.customerPages
  const ticket = facts.middleTicketId
  const lines = facts.lines.length > 0 ? facts.lines : [[ticket, 1] as [number, number]]
  return [
    { label: 'GET /health', target: { method: 'GET', path: '/health', headers: {} } },
    { label: 'GET /customers?page=100&per_page=10', target: { method: 'GET', path: '/customers?page=100&per_page=10', headers: asMechanic } },
    { label: `GET /customers?page=${lastPage}&per_page=10 (last)`, target: { method: 'GET', path: `/customers?page=${lastPage}&per_page=10`, headers: asMechanic } },
    { label: 'GET /customers/my-tickets', target: { method: 'GET', path: '/customers/my-tickets', headers: asCustomer } },
    { label: 'GET /mechanics/ranking', target: { method: 'GET', path: '/mechanics/ranking', headers: asMechanic } },
    {
      // A query parameter the contract does not declare still goes into the API's cache key
      // (src/plugins/caching.ts keys on the validated query, unknown fields kept), so every request misses.
      label: 'GET /mechanics/ranking?_=<n> (uncached)',
      target: { method: 'GET', path: '/mechanics/ranking?_=0', headers: asMechanic, vary: (n) => ({ path: `/mechanics/ranking?_=${n}` }) },
    },
    { label: 'GET /mechanics', target: { method: 'GET', path: '/mechanics', headers: asMechanic } },
    { label: 'GET /inventory?page=1&per_page=50', target: { method: 'GET', path: '/inventory?page=1&per_page=50', headers: {} } },
    { label: `GET /service-tickets/${ticket}`, target: { method: 'GET', path: `/service-tickets/${ticket}`, headers: asMechanic } },
    {
      // Bumps the quantity of existing lines, spread over the table, so repeated runs do not grow it.
      label: 'POST /service-tickets/{id}/parts',
      target: {
        method: 'POST',
        path: `/service-tickets/${lines[0]![0]}/parts`,
        headers: { ...asMechanic, ...json },
        body: JSON.stringify({ part_id: lines[0]![1], quantity: 1 }),
        vary: (n) => {
          const [t, p] = lines[n % lines.length]!
          return { path: `/service-tickets/${t}/parts`, body: `{"part_id":${p},"quantity":1}` }
        },
      },
    },
    {
      label: 'POST /customers/login',
      target: { method: 'POST', path: '/customers/login', headers: json, body: JSON.stringify({ email: customerEmail(1), password: BENCH_PASSWORD }) },
    },
  ]
}

// ---- same answers? ---------------------------------------------------------------------------

function firstDifference (a: unknown, b: unknown, path = ''): string | undefined {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) return `${path || '/'}: ${JSON.stringify(a)?.slice(0, 60)} vs ${JSON.stringify(b)?.slice(0, 60)}`
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: ${a.length} items vs ${b.length}`
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}/${i}`)
      if (d !== undefined) return d
    }
    return undefined
  }
  if (typeof a === 'object' && a !== null && b !== null) {
    const ka = Object.keys(a).sort()
    const kb = Object.keys(b as object).sort()
    if (ka.join() !== kb.join()) return `${path || '/'}: keys ${ka.join(',')} vs ${kb.join(',')}`
    for (const k of ka) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k}`)
      if (d !== undefined) return d
    }
    return undefined
  }
  return a === b ? undefined : `${path || '/'}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`
}

/** Fetches every read route from both servers and compares the JSON. Differences are warnings. */
async function compareAnswers (specs: RouteSpec[], api: Server, baseline: Server): Promise<string[]> {
  const notes: string[] = []
  for (const { label, target } of specs) {
    if (target.method !== 'GET') continue
    const [a, b] = await Promise.all([api, baseline].map((s) => http(s.url + target.path, { headers: target.headers })))
    if (a!.status !== 200 || b!.status !== 200) {
      notes.push(`${label}: API ${a!.status}, baseline ${b!.status}`)
      continue
    }
    const difference = firstDifference(JSON.parse(a!.body), JSON.parse(b!.body))
    if (difference !== undefined) notes.push(`${label}: answers differ at ${difference}`)
  }
  return notes
}

// ---- the special measurements ----------------------------------------------------------------

async function coldStarts (kind: ServerKind, databaseUrl: string, n: number): Promise<number[]> {
  const times: number[] = []
  for (let i = 0; i < n; i++) {
    const server = await startServer(kind, databaseUrl)
    times.push(server.startMs)
    await stopServer(server)
  }
  return times
}

interface StormResult {
  server: ServerKind
  inventory: SideSummary & { max: number }
  loginsPerSecond: number
  loginNon2xx: number
  apiPeakRssKb?: number
}

/** `/inventory` under load while `stormConnections` logins hammer the same server. */
async function loginStorm (server: Server, inventory: Target, loginTarget: Target, durationS: number, monitor: pg.Client): Promise<StormResult> {
  const run = async () => {
    const storm = load(server, loginTarget, durationS + 1, options.stormConnections)
    await sleep(500) // let the storm fill the thread pool first
    const reads = await load(server, inventory, durationS, options.connections)
    return { reads, logins: await storm }
  }
  const { value, peakRssKb } = server.kind === 'api' ? await sampleRss(server, run) : { value: await run(), peakRssKb: undefined }
  await settle(monitor)
  const sorted = Float64Array.from(value.reads.latencies).sort()
  return {
    server: server.kind,
    inventory: { ...summarize([value.reads]), max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN },
    loginsPerSecond: value.logins.rps,
    loginNon2xx: value.logins.non2xx + value.logins.errors + value.logins.timeouts,
    ...(peakRssKb === undefined ? {} : { apiPeakRssKb: peakRssKb }),
  }
}

// ---- environment -----------------------------------------------------------------------------

function git (...argv: string[]): string {
  try {
    return execFileSync('git', argv, { cwd: ROOT, encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

async function machine (databaseUrl: string) {
  const cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown'
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  const { rows } = await client.query<{ v: string }>("select current_setting('server_version') as v")
  await client.end()
  const dirty = git('status', '--porcelain').split('\n').filter((l) => l.trim() !== '').length
  return {
    nproc: CPUS,
    cpu,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: rows[0]?.v ?? 'unknown',
    commit: git('log', '-1', '--oneline'),
    uncommittedFiles: dirty,
    pinned: canPin,
    rebuilt: !args['skip-build'],
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  }
}

function build (): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] })
    child.on('error', fail)
    child.on('exit', (code) => code === 0 ? done() : fail(new Error(`npm run build failed (exit ${code}): the API does not compile right now`)))
  })
}

// ---- main ------------------------------------------------------------------------------------

async function main (): Promise<number> {
  if (args.help) {
    log(HELP)
    return 0
  }
  const started = performance.now()
  pinSelf()
  const mode = smoke ? 'smoke' : args['scale-check'] ? 'scale-check' : 'full'

  let databaseUrl = benchDatabaseUrl()
  let dropAfter: string | undefined
  const building = args['skip-build'] ? Promise.resolve() : build()
  building.catch(() => {}) // awaited below; a rejection before then is not "unhandled"
  if (smoke) {
    // The seed loads the API's database module (and PGlite): only import it when seeding.
    const { seed, formatSummary } = await import('./seed.js')
    const name = `mechanic_shop_bench_smoke_${Math.random().toString(16).slice(2, 10)}`
    databaseUrl = withDatabase(databaseUrl, name)
    dropAfter = databaseUrl
    log(`Smoke run: seeding scale 0.01 into ${name} (dropped afterwards) while the API builds`)
    log(formatSummary(await seed({ url: databaseUrl, scale: 0.01, progress: false, log: () => {} })))
  }

  try {
    const facts = await readFacts(databaseUrl)
    const env = await machine(databaseUrl)
    await building
    log()
    log(`Mechanic Shop API benchmark (${mode}) on ${databaseName(databaseUrl)}`)
    log(`  ${Object.entries(facts.counts).map(([t, n]) => `${t} ${n}`).join(', ')} (${facts.databaseMiB} MiB)`)
    log(`  ${env.nproc} CPUs (${env.cpu}), ${env.memoryGiB} GiB, Node ${env.node}, PostgreSQL ${env.postgres}, load average ${env.loadAverageAtStart.join(' ')}`)
    log(`  commit ${env.commit}${env.uncommittedFiles > 0 ? ` + ${env.uncommittedFiles} uncommitted files` : ''}` +
      `${args['skip-build'] ? ' (--skip-build: dist/ may be from an older tree)' : ''}`)
    log(`  ${options.rounds} round(s) x ${options.duration} s per route and server after ${options.warmup} s warm-up, ${options.connections} connections` +
      `${canPin ? `, servers on core ${SERVER_CORE}, load generator on core ${LOADGEN_CORE}` : ', unpinned'}${args.redis ? ', API with Redis' : ''}`)

    const failures: string[] = []
    const warnings: string[] = []
    const busy = os.loadavg()[0]! > CPUS / 2
    if (busy) {
      warnings.push(`the machine was busy at the start (load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')} on ${CPUS} CPUs): numbers are noisy`)
    }
    const results: Record<string, unknown> = { mode, options, machine: env, deploymentSettings: deploymentEnv, counts: facts.counts, databaseMiB: facts.databaseMiB, at: new Date().toISOString() }

    let coldApi: number[] = []
    let coldBaseline: number[] = []
    if (mode !== 'scale-check' && options.coldStarts > 1) {
      log(`\nCold start (spawn to the first /health 200), ${options.coldStarts} time(s) each …`)
      coldApi = await coldStarts('api', databaseUrl, options.coldStarts - 1)
      coldBaseline = await coldStarts('baseline', databaseUrl, options.coldStarts - 1)
    }

    // One at a time, so each start (the last cold-start sample) has core 0 to itself.
    const api = await startServer('api', databaseUrl)
    const baseline = await startServer('baseline', databaseUrl)
    const monitor = new pg.Client({ connectionString: databaseUrl })
    await monitor.connect()
    if (mode !== 'scale-check') {
      coldApi.push(api.startMs)
      coldBaseline.push(baseline.startMs)
      results.coldStartMs = { api: coldApi, baseline: coldBaseline }
    }
    try {
      const tokens = await getTokens(api)
      let specs = routes(facts, tokens)
      if (mode === 'scale-check') {
        specs = specs.filter((s) => s.label.includes('(uncached)') || s.label.includes('(last)') || s.label === 'GET /mechanics/ranking')
      }
      if (options.only.length > 0) specs = specs.filter((s) => options.only.some((o) => s.label.includes(o)))

      const differences = await compareAnswers(specs, api, baseline)
      results.answerDifferences = differences
      if (differences.length > 0) {
        log('\nAnswers that differ between the API and the baseline (a warning, not a failure):')
        for (const d of differences) log(`  ${d}`)
      }

      log('\nRoutes:')
      const routeResults: RouteResult[] = []
      for (const spec of specs) {
        const r = await measureRoute(spec.label, spec.target, api, baseline, monitor)
        routeResults.push(r)
        for (const side of ['api', 'baseline'] as const) {
          const s = r[side]
          if (s.non2xx > 0 || s.errors > 0) {
            failures.push(`${r.label} on the ${side}: ${s.non2xx} non-2xx (${JSON.stringify(s.statusCodes)}), ${s.errors} errors/timeouts`)
          }
          // A 1 s smoke run can end before the first slow login answers; a real run must not.
          if (s.requests === 0) (smoke ? warnings : failures).push(`${r.label} on the ${side}: no request completed in ${options.duration} s`)
        }
      }
      results.routes = routeResults

      // The cached reads against the framework floor (bench/baseline.ts, `/floor/…`): the same
      // bytes from memory on bare Fastify, interleaved with the API's cache hits.
      const floorResults: FloorResult[] = []
      if (mode === 'full' && !smoke) {
        const cached = specs.filter((s) => CACHED_ROUTES.includes(s.label))
        if (cached.length > 0) log('\nCached reads against the framework floor (bare Fastify sending the same body from memory):')
        for (const spec of cached) {
          const f = await measureAgainstFloor(spec.label, spec.target, api, baseline, monitor)
          floorResults.push(f)
          for (const [side, summary] of [['API', f.api], ['floor', f.floor], ['baseline', f.baseline]] as const) {
            if (summary.non2xx > 0 || summary.errors > 0) failures.push(`${f.label} against the floor, on the ${side}: ${summary.non2xx} non-2xx, ${summary.errors} errors/timeouts`)
          }
        }
        results.floor = floorResults
      }

      let storms: StormResult[] = []
      const inventory = specs.find((s) => s.label.startsWith('GET /inventory')) ?? routes(facts, tokens).find((s) => s.label.startsWith('GET /inventory'))!
      const loginSpec = routes(facts, tokens).find((s) => s.label === 'POST /customers/login')!
      if (mode !== 'scale-check' && options.only.length === 0) {
        log(`\nLogin storm: /inventory with ${options.connections} connections while ${options.stormConnections} logins run …`)
        const stormSeconds = options.duration * options.rounds
        storms = [
          await loginStorm(api, inventory.target, loginSpec.target, stormSeconds, monitor),
          await loginStorm(baseline, inventory.target, loginSpec.target, stormSeconds, monitor),
        ]
        for (const s of storms) {
          if (s.inventory.non2xx > 0 || s.inventory.errors > 0 || s.loginNon2xx > 0) {
            failures.push(`login storm on the ${s.server}: ${s.inventory.non2xx + s.inventory.errors} failed reads, ${s.loginNon2xx} failed logins`)
          }
        }
        results.loginStorm = storms
      }

      const hwm = readProcStatus(api.pid).hwmKb
      results.apiVmHwmKb = hwm
      results.loadAverageAtEnd = os.loadavg().map((l) => Math.round(l * 100) / 100)
      results.warnings = warnings
      assertAlive(api, baseline)

      // ---- report ----
      log(`\n### Routes (${mode}, ${options.rounds} x ${options.duration} s, ${options.connections} connections)\n`)
      log(markdownTable(
        ['route', 'API req/s', 'base req/s', 'API/base req/s', 'API p50 ms', 'base p50 ms', 'API p99 ms', 'base p99 ms', 'API/base p99', 'API peak RSS'],
        routeResults.map((r) => [
          r.label,
          fmtRps(r.api.rps), fmtRps(r.baseline.rps), fmtRatio(r.api.rps / r.baseline.rps),
          fmtMs(r.api.p50), fmtMs(r.baseline.p50),
          fmtMs(r.api.p99), fmtMs(r.baseline.p99), fmtRatio(r.api.p99 / r.baseline.p99),
          fmtMiB(r.apiPeakRssKb),
        ]),
      ))
      const settings = Object.entries(deploymentEnv).map(([name, value]) => `${name}=${value}`).join(' ')
      log(`\nAPI peak RSS over the whole run (VmHWM): ${fmtMiB(hwm)}${settings === '' ? '' : ` (both servers ran with ${settings})`}`)

      if (floorResults.length > 0) {
        log('\n### Cached reads against the framework floor\n')
        log('floor: bare Fastify sending the same body from memory (no query, hook or plugin), interleaved with the API\'s')
        log('hits and the baseline\'s own answer in the same rounds; "floor/base" is the most any response cache could show')
        log('against the baseline on this machine with this load generator in those minutes.\n')
        log(markdownTable(['route', 'API req/s', 'floor req/s', 'API/floor', 'base req/s', 'floor/base', 'API/base'], floorResults.map((f) =>
          [f.label, fmtRps(f.api.rps), fmtRps(f.floor.rps), fmtRatio(f.api.rps / f.floor.rps), fmtRps(f.baseline.rps), fmtRatio(f.floor.rps / f.baseline.rps), fmtRatio(f.api.rps / f.baseline.rps)])))
      }

      if (coldApi.length > 0) {
        log('\n### Cold start, spawn to the first /health 200 (ms)\n')
        log(markdownTable(['server', 'median', 'min', 'max', 'runs'], [
          [`API (${['node', ...API_NODE_FLAGS, 'dist/src/server.js'].join(' ')})`, fmtMs(median(coldApi)), fmtMs(Math.min(...coldApi)), fmtMs(Math.max(...coldApi)), String(coldApi.length)],
          ['baseline (node --import tsx)', fmtMs(median(coldBaseline)), fmtMs(Math.min(...coldBaseline)), fmtMs(Math.max(...coldBaseline)), String(coldBaseline.length)],
        ]))
      }

      if (storms.length > 0) {
        const calm = routeResults.find((r) => r.label.startsWith('GET /inventory'))
        log(`\n### Login storm: /inventory?page=1&per_page=50 while ${options.stormConnections} concurrent logins run\n`)
        log(markdownTable(['server', 'reads/s', 'p50 ms', 'p99 ms', 'max ms', 'p99 without storm', 'logins/s'], storms.map((s) => [
          s.server,
          fmtRps(s.inventory.rps), fmtMs(s.inventory.p50), fmtMs(s.inventory.p99), fmtMs(s.inventory.max),
          calm === undefined ? 'n/a' : fmtMs(s.server === 'api' ? calm.api.p99 : calm.baseline.p99),
          fmtRps(s.loginsPerSecond),
        ])))
      }

      if (routeResults.length > 0) {
        const slowest = [...routeResults].sort((a, b) => a.api.rps / a.baseline.rps - b.api.rps / b.baseline.rps).slice(0, 3)
        log(`\nSlowest relative to the baseline: ${slowest.map((r) => `${r.label} (${fmtRatio(r.api.rps / r.baseline.rps)})`).join(', ')}`)
      }

      mkdirSync(RESULTS_DIR, { recursive: true })
      const out = args.json ?? join(RESULTS_DIR, `${new Date().toISOString().replace(/[:.]/g, '-')}-${mode}.json`)
      writeFileSync(out, JSON.stringify(results, null, 2))
      if (warnings.length > 0) {
        log('\nWarnings:')
        for (const w of warnings) log(`  ${w}`)
      }
      log(`\nLoad average at start ${env.loadAverageAtStart.join(', ')}, at end ${os.loadavg().map((l) => l.toFixed(2)).join(', ')} (${CPUS} CPUs)`)
      log(`\nResults: ${out} (${((performance.now() - started) / 1000).toFixed(0)} s in all)`)
    } finally {
      await monitor.end().catch(() => {})
      await stopServer(api)
      await stopServer(baseline)
    }

    if (failures.length > 0) {
      console.error('\nFAILED: requests errored or answered non-2xx:')
      for (const f of failures) console.error(`  ${f}`)
      return 1
    }
    return 0
  } finally {
    if (dropAfter !== undefined) {
      const { dropDatabase } = await import('./seed.js')
      await dropDatabase(dropAfter).catch((err: unknown) => console.error(`Could not drop ${databaseName(dropAfter!)}: ${(err as Error).message}`))
    }
    rmSync(apiCwd, { recursive: true, force: true })
  }
}

function killAll (): void {
  for (const server of running) server.child.kill('SIGKILL')
}
process.once('SIGINT', () => {
  killAll()
  process.exit(130)
})

process.exitCode = await main().catch((err: unknown) => {
  console.error(err instanceof Error ? `Benchmark failed: ${err.message}` : err)
  killAll()
  return 1
})
