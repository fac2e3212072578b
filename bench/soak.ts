// The soak: a bounded, mixed read/write load on the real server process over PostgreSQL,
// looking for what a short benchmark misses: any unexpected status, and memory that keeps growing.
//
//   npm run soak                     # 30 s warm-up, then 60 s measured
//   npm run soak -- --duration 600   # ten minutes
//
// It creates a fresh database (mst_soak_<random>) on the server of TEST_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/test) and drops it afterwards, starts the API there as its own
// process (so that its RSS is its own), seeds it through the API, and runs autocannon on loopback
// with a weighted mix of what customers and mechanics do. It fails (exit 1) on any status the mix
// should not produce (a 5xx, a 429, any other 4xx), on connection errors or time-outs, if the
// server's RSS grows by 10 % or more over the measured run, or if the server does not shut down
// cleanly (exit 0 on SIGTERM) afterwards. RSS is sampled twice a second. Under steady load it
// climbs for the first minute or so while V8 sizes its heap, then drops in steps (by up to a fifth)
// as V8 hands pages back, then stays flat: so one sample against another says little, and a
// window taken before a step hides growth after it. Logins add another swing: each password hash
// takes 19 MiB (argon2id m=19 MiB) while it runs and returns it, so any sample may or may not hold
// one. Growth is the lowest RSS of the run's last quarter against the
// lowest of its first three quarters: what is in flight comes and goes, a leak raises the floor.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes, randomInt } from 'node:crypto'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import pg from 'pg'
import { ROOT } from '../src/contract/paths.js'
import { freePort, processMemory, startScriptNodeFlags } from './api-process.js'

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '30' },
    connections: { type: 'string', default: '10' },
    'max-rss-growth': { type: 'string', default: '10' },
    dist: { type: 'boolean', default: false },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})

const HELP = `npm run soak -- [options]
  --duration S          measured seconds (default 60)
  --warmup S            seconds of the same load first, not measured (default 30)
  --connections N       concurrent connections (default 10)
  --max-rss-growth P    fail when the server's RSS grows by P % or more over the measured run
                        (the lowest RSS of its last quarter against the lowest of the quarters
                        before; default 10)
  --dist                run the compiled server (dist/src/server.js, after npm run build) instead of
                        src/server.ts through tsx
  --json FILE           also write the figures as JSON
Environment: TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test): the PostgreSQL
server where the soak creates and drops its own database.`

if (args.help) {
  console.log(HELP)
  process.exit(0)
}

function number (name: string, value: string | undefined, min: number): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number >= ${min}, got ${value}`)
  return n
}

const options = {
  duration: number('duration', args.duration, 1),
  warmup: number('warmup', args.warmup, 0),
  connections: Math.round(number('connections', args.connections, 1)),
  maxRssGrowth: number('max-rss-growth', args['max-rss-growth'], 0),
}

const ADMIN_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test'
const JWT_SECRET = `soak-${randomBytes(24).toString('hex')}`
const BOSS = { email: 'boss@soak.test', password: 'soak-boss-password' }
const PASSWORD = 'soak-customer-password'
const SEED = { customers: 20, mechanics: 4, parts: 40, tickets: 60 }
const VIN_CHARS = 'ABCDEFGHJKLMNPRSTUVWXYZ0123456789'

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))
const pick = <T>(items: readonly T[]): T => items[randomInt(items.length)] as T
const vin = () => Array.from({ length: 17 }, () => pick([...VIN_CHARS])).join('')

// ---- database -------------------------------------------------------------------------------

async function admin (sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_URL })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

const databaseName = `mst_soak_${randomBytes(6).toString('hex')}`
const databaseUrl = (() => {
  const url = new URL(ADMIN_URL)
  url.pathname = `/${databaseName}`
  return url.href
})()

// ---- the server -----------------------------------------------------------------------------

interface Server { child: ChildProcess, pid: number, url: string, exited: Promise<number | null>, stderr: () => string }

const cwd = mkdtempSync(join(tmpdir(), 'mst-soak-')) // no .env here: the environment below is all there is

async function startServer (): Promise<Server> {
  const port = await freePort()
  const entry = args.dist ? [join(ROOT, 'dist', 'src', 'server.js')] : ['--import', pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, join(ROOT, 'src', 'server.ts')]
  if (args.dist && !existsSync(entry[0] as string)) throw new Error('dist/src/server.js is missing: run npm run build first')
  // The Node flags of `npm start`: without them V8 sizes its heap for throughput, not for a server's RSS.
  const child = spawn(process.execPath, [...startScriptNodeFlags(), ...entry], {
    cwd,
    env: {
      PATH: process.env.PATH,
      TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json'),
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      JWT_SECRET,
      // The soak looks for errors and leaks, not for the limits: neither may be reached.
      RATE_LIMIT_MAX: '1000000000',
      LOGIN_RATE_LIMIT_MAX: '1000000000',
      BOOTSTRAP_MECHANIC_EMAIL: BOSS.email,
      BOOTSTRAP_MECHANIC_PASSWORD: BOSS.password,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'pipe'],
  })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8192)
    process.stderr.write(`[server] ${chunk.toString()}`)
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 180_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited during start-up (${child.exitCode}):\n${stderr}`)
    if (Date.now() > deadline) throw new Error(`the server did not answer /health within 180 s:\n${stderr}`)
    try {
      if ((await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) })).status === 200) break
    } catch { /* not listening yet */ }
    await sleep(200)
  }
  return { child, pid: child.pid as number, url, exited, stderr: () => stderr }
}

/** SIGTERM, and the exit code (null if it had to be killed after 15 s). */
async function stopServer (server: Server): Promise<number | null> {
  if (server.child.exitCode !== null) return server.child.exitCode
  server.child.kill('SIGTERM')
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000)
  const code = await server.exited
  clearTimeout(timer)
  return code
}

// ---- seed, through the API ------------------------------------------------------------------

interface Fixture {
  mechanicTokens: string[]
  customers: Array<{ id: number, email: string, token: string }>
  partIds: number[]
  /** ticket id → the owning customer's index */
  tickets: Array<{ id: number, owner: number }>
}

async function api<T> (base: string, method: string, path: string, body?: unknown, token?: string, expected = method === 'POST' && !path.endsWith('/login') && !path.endsWith('/parts') ? 201 : 200): Promise<T> {
  const res = await fetch(base + path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  })
  const text = await res.text()
  if (res.status !== expected) throw new Error(`seeding: ${method} ${path} answered ${res.status}, expected ${expected}: ${text}`)
  return JSON.parse(text) as T
}

async function seed (base: string): Promise<Fixture> {
  const login = async (who: 'customers' | 'mechanics', email: string, password: string) =>
    (await api<{ token: string }>(base, 'POST', `/${who}/login`, { email, password })).token
  const boss = await login('mechanics', BOSS.email, BOSS.password)
  const mechanics: Array<{ id: number, token: string }> = []
  for (let i = 0; i < SEED.mechanics; i++) {
    const email = `mechanic${i}@soak.test`
    const { id } = await api<{ id: number }>(base, 'POST', '/mechanics', { name: `Mechanic ${i}`, email, phone: '+1 555 0200', salary: 52000, password: PASSWORD }, boss)
    mechanics.push({ id, token: await login('mechanics', email, PASSWORD) })
  }
  const customers: Fixture['customers'] = []
  for (let i = 0; i < SEED.customers; i++) {
    const email = `customer${i}@soak.test`
    const { id } = await api<{ id: number }>(base, 'POST', '/customers', { name: `Customer ${i}`, email, phone: '+1 555 0100', password: PASSWORD })
    customers.push({ id, email, token: await login('customers', email, PASSWORD) })
  }
  const partIds: number[] = []
  for (let i = 0; i < SEED.parts; i++) {
    partIds.push((await api<{ id: number }>(base, 'POST', '/inventory', { name: `Part ${i}`, price: randomInt(100, 50_000) / 100 }, boss)).id)
  }
  const tickets: Fixture['tickets'] = []
  for (let i = 0; i < SEED.tickets; i++) {
    const owner = i % customers.length
    const { id } = await api<{ id: number }>(base, 'POST', '/service-tickets', {
      customer_id: customers[owner]?.id, vin: vin(), service_date: '2026-03-04', service_desc: `Seeded job ${i}`,
      mechanic_ids: [pick(mechanics).id],
    }, boss)
    await api(base, 'POST', `/service-tickets/${id}/parts`, { part_id: pick(partIds), quantity: 1 }, boss)
    tickets.push({ id, owner })
  }
  return { mechanicTokens: [boss, ...mechanics.map((m) => m.token)], customers, partIds, tickets }
}

// ---- the mix --------------------------------------------------------------------------------

interface Call { method: 'GET' | 'POST', path: string, token?: string, body?: unknown }
interface Kind { name: string, weight: number, expected: readonly number[], call: (f: Fixture, n: number) => Call }

/** Roughly a shop's day: mostly reads, customers checking their tickets, mechanics adding parts. */
const MIX: readonly Kind[] = [
  { name: 'GET /inventory (page)', weight: 18, expected: [200], call: () => ({ method: 'GET', path: `/inventory?page=${randomInt(1, 4)}&per_page=20` }) },
  { name: 'GET /inventory/{id}', weight: 10, expected: [200], call: (f) => ({ method: 'GET', path: `/inventory/${pick(f.partIds)}` }) },
  { name: 'GET /customers/my-tickets', weight: 15, expected: [200], call: (f) => ({ method: 'GET', path: '/customers/my-tickets', token: pick(f.customers).token }) },
  {
    name: 'GET /service-tickets/{id} (owner)', weight: 10, expected: [200],
    call: (f) => { const t = pick(f.tickets); return { method: 'GET', path: `/service-tickets/${t.id}`, token: f.customers[t.owner]?.token } },
  },
  { name: 'GET /service-tickets/{id} (mechanic)', weight: 5, expected: [200], call: (f) => ({ method: 'GET', path: `/service-tickets/${pick(f.tickets).id}`, token: pick(f.mechanicTokens) }) },
  { name: 'GET /service-tickets (page)', weight: 5, expected: [200], call: (f) => ({ method: 'GET', path: `/service-tickets?page=${randomInt(1, 4)}&per_page=20`, token: pick(f.mechanicTokens) }) },
  { name: 'GET /mechanics/my-tickets', weight: 5, expected: [200], call: (f) => ({ method: 'GET', path: '/mechanics/my-tickets', token: pick(f.mechanicTokens) }) },
  { name: 'GET /health', weight: 4, expected: [200], call: () => ({ method: 'GET', path: '/health' }) },
  {
    name: 'POST /service-tickets/{id}/parts', weight: 13, expected: [200],
    call: (f) => ({ method: 'POST', path: `/service-tickets/${pick(f.tickets).id}/parts`, token: pick(f.mechanicTokens), body: { part_id: pick(f.partIds), quantity: randomInt(1, 4) } }),
  },
  {
    name: 'POST /service-tickets', weight: 8, expected: [201],
    call: (f, n) => ({ method: 'POST', path: '/service-tickets', token: pick(f.mechanicTokens), body: { customer_id: pick(f.customers).id, vin: vin(), service_date: '2026-03-05', service_desc: `Soak job ${n}` } }),
  },
  { name: 'POST /inventory', weight: 3, expected: [201], call: (f, n) => ({ method: 'POST', path: '/inventory', token: pick(f.mechanicTokens), body: { name: `Soak part ${n}`, price: randomInt(100, 20_000) / 100 } }) },
  {
    name: 'POST /customers/login', weight: 2, expected: [200],
    call: (f) => ({ method: 'POST', path: '/customers/login', body: { email: pick(f.customers).email, password: PASSWORD } }),
  },
]
const TOTAL_WEIGHT = MIX.reduce((sum, k) => sum + k.weight, 0)

function chooseKind (): Kind {
  let r = randomInt(TOTAL_WEIGHT)
  for (const kind of MIX) {
    if (r < kind.weight) return kind
    r -= kind.weight
  }
  return MIX[0] as Kind
}

interface KindStats { statuses: Map<number, number>, latencies: number[] }
interface PhaseResult { requests: number, seconds: number, errors: number, timeouts: number, latency: autocannon.Histogram, kinds: Map<string, KindStats> }
interface SoakContext { kind?: Kind, sentAt?: number }

async function load (base: string, fixture: Fixture, seconds: number, counter: { n: number }): Promise<PhaseResult> {
  const kinds = new Map<string, KindStats>(MIX.map((k) => [k.name, { statuses: new Map(), latencies: [] }]))
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon({
      url: base,
      connections: options.connections,
      duration: seconds,
      timeout: 30,
      pipelining: 1,
      requests: [{
        setupRequest: (req, context) => {
          const kind = chooseKind()
          const call = kind.call(fixture, counter.n++)
          const ctx = context as SoakContext
          ctx.kind = kind
          ctx.sentAt = performance.now()
          return {
            ...req,
            method: call.method,
            path: call.path,
            headers: {
              ...(call.token === undefined ? {} : { authorization: `Bearer ${call.token}` }),
              ...(call.body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            body: call.body === undefined ? '' : JSON.stringify(call.body),
          }
        },
        onResponse: (status, _body, context) => {
          const ctx = context as SoakContext
          if (ctx.kind === undefined) return
          const stats = kinds.get(ctx.kind.name) as KindStats
          stats.statuses.set(status, (stats.statuses.get(status) ?? 0) + 1)
          if (ctx.sentAt !== undefined) stats.latencies.push(performance.now() - ctx.sentAt)
        },
      }],
    }, (err, res) => err ? reject(err) : resolve(res))
  })
  return { requests: result.requests.total, seconds: result.duration, errors: result.errors, timeouts: result.timeouts, latency: result.latency, kinds }
}

/** Nearest-rank percentile. */
function percentile (values: number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`
const ms = (value: number) => Number.isFinite(value) ? `${value < 10 ? value.toFixed(1) : Math.round(value)} ms` : 'n/a'

function unexpectedOf (phase: PhaseResult): Array<{ kind: string, status: number, count: number }> {
  const out: Array<{ kind: string, status: number, count: number }> = []
  for (const kind of MIX) {
    for (const [status, count] of phase.kinds.get(kind.name)?.statuses ?? []) {
      if (!kind.expected.includes(status)) out.push({ kind: kind.name, status, count })
    }
  }
  return out
}

// ---- main -----------------------------------------------------------------------------------

let server: Server | undefined
let databaseCreated = false

async function cleanUp (): Promise<number | null> {
  const code = server === undefined ? null : await stopServer(server)
  server = undefined
  if (databaseCreated) {
    await admin(`drop database if exists ${databaseName} with (force)`).catch((err: unknown) => console.error(`could not drop ${databaseName}: ${(err as Error).message}`))
    databaseCreated = false
  }
  rmSync(cwd, { recursive: true, force: true })
  return code
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: stopping the server and dropping ${databaseName}`)
    void cleanUp().finally(() => process.exit(130))
  })
}

async function main (): Promise<number> {
  console.log(`soak: ${options.warmup} s warm-up + ${options.duration} s, ${options.connections} connections, database ${databaseName} on ${new URL(ADMIN_URL).host}`)
  await admin(`create database ${databaseName}`)
  databaseCreated = true
  server = await startServer()
  console.log(`server: pid ${server.pid}, ${server.url} (${args.dist ? 'dist/src/server.js' : 'src/server.ts through tsx'})`)
  const fixture = await seed(server.url)
  console.log(`seeded: ${SEED.customers} customers, ${SEED.mechanics + 1} mechanics, ${SEED.parts} parts, ${SEED.tickets} tickets`)

  const counter = { n: 0 }
  const timeline: Array<{ s: number, phase: string, rssKiB: number }> = []
  let phase = 'seeded'
  const t0 = Date.now()
  const sampler = setInterval(() => { if (server !== undefined) timeline.push({ s: (Date.now() - t0) / 1000, phase, rssKiB: processMemory(server.pid).rssKb }) }, 500)
  const atStart = processMemory(server.pid)
  phase = 'warm-up'
  const warm = options.warmup > 0 ? await load(server.url, fixture, options.warmup, counter) : undefined
  await sleep(2_000)
  const before = processMemory(server.pid)

  phase = 'run'
  const run = await load(server.url, fixture, options.duration, counter)
  phase = 'after'
  await sleep(2_000)
  const after = processMemory(server.pid)
  clearInterval(sampler)
  const samples = timeline.filter((x) => x.phase === 'run').map((x) => x.rssKiB)
  const quarter = Math.max(1, Math.floor(samples.length / 4))
  const early = Math.min(...samples.slice(0, Math.max(1, samples.length - quarter)))
  const late = Math.min(...samples.slice(-quarter))
  const growth = (late - early) / early * 100

  // ---- report ----
  const unexpected = [...unexpectedOf(run), ...(warm === undefined ? [] : unexpectedOf(warm).map((u) => ({ ...u, kind: `${u.kind} (warm-up)` })))]
  const errors = run.errors + (warm?.errors ?? 0)
  const timeouts = run.timeouts + (warm?.timeouts ?? 0)
  console.log(`\nmeasured: ${run.requests} requests in ${run.seconds.toFixed(0)} s (${(run.requests / run.seconds).toFixed(0)} req/s); ` +
    `latency p50 ${ms(run.latency.p50)}, p99 ${ms(run.latency.p99)}, max ${ms(run.latency.max)}`)
  console.log('\n| request | share | count | statuses | p50 | p99 |')
  console.log('|---|---:|---:|---|---:|---:|')
  for (const kind of MIX) {
    const stats = run.kinds.get(kind.name) as KindStats
    const count = stats.latencies.length
    const statuses = [...stats.statuses].sort(([a], [b]) => a - b).map(([s, c]) => `${s}×${c}`).join(' ')
    console.log(`| ${kind.name} | ${(kind.weight / TOTAL_WEIGHT * 100).toFixed(0)} % | ${count} | ${statuses} | ${ms(percentile(stats.latencies, 50))} | ${ms(percentile(stats.latencies, 99))} |`)
  }
  console.log(`\nRSS of the server: ${mib(atStart.rssKb)} after seeding, ${mib(before.rssKb)} after the warm-up, ${mib(after.rssKb)} after the run; ` +
    `during the run ${mib(Math.min(...samples))}–${mib(Math.max(...samples))}; lowest in its first three quarters ${mib(early)}, ` +
    `lowest in its last quarter ${mib(late)} (${growth >= 0 ? '+' : ''}${growth.toFixed(1)} %); peak ${mib(after.hwmKb)}`)
  const every10s = timeline.filter((x, i) => i === 0 || Math.floor(x.s / 10) !== Math.floor((timeline[i - 1]?.s ?? 0) / 10))
  console.log(`RSS every 10 s: ${every10s.map((x) => `${x.s.toFixed(0)} s ${x.phase} ${(x.rssKiB / 1024).toFixed(0)}`).join(' · ')} (MiB)`)
  console.log(`unexpected statuses: ${unexpected.length === 0 ? 'none' : unexpected.map((u) => `${u.kind} → ${u.status} ×${u.count}`).join(', ')}; ` +
    `connection errors: ${errors}; time-outs: ${timeouts}`)

  const exitCode = await cleanUp()
  console.log(`server shutdown: exit ${exitCode}; database ${databaseName} dropped`)

  const failures: string[] = []
  if (unexpected.length > 0) failures.push(`${unexpected.reduce((s, u) => s + u.count, 0)} unexpected statuses`)
  if (errors > 0 || timeouts > 0) failures.push(`${errors} connection errors and ${timeouts} time-outs`)
  if (growth >= options.maxRssGrowth) failures.push(`RSS grew ${growth.toFixed(1)} % (limit ${options.maxRssGrowth} %)`)
  if (exitCode !== 0) failures.push(`the server exited ${exitCode} on SIGTERM`)

  if (args.json !== undefined) {
    const kinds = Object.fromEntries(MIX.map((k) => {
      const stats = run.kinds.get(k.name) as KindStats
      return [k.name, { statuses: Object.fromEntries(stats.statuses), p50Ms: percentile(stats.latencies, 50), p99Ms: percentile(stats.latencies, 99) }]
    }))
    writeFileSync(args.json, JSON.stringify({
      options, at: new Date().toISOString(), requests: run.requests, seconds: run.seconds,
      latencyMs: { p50: run.latency.p50, p99: run.latency.p99, max: run.latency.max }, kinds, unexpected, errors, timeouts,
      rssKiB: { afterSeeding: atStart.rssKb, afterWarmup: before.rssKb, afterRun: after.rssKb, runMin: Math.min(...samples), runMax: Math.max(...samples), lowestBeforeLastQuarter: early, lowestInLastQuarter: late, peak: after.hwmKb, growthPercent: growth },
      serverExitCode: exitCode, failures, timeline,
    }, null, 2))
  }
  console.log(failures.length === 0 ? '\nsoak passed' : `\nsoak FAILED: ${failures.join('; ')}`)
  return failures.length === 0 ? 0 : 1
}

main().then((code) => process.exit(code), async (err: unknown) => {
  console.error(`soak failed: ${err instanceof Error ? err.message : String(err)}`)
  await cleanUp().catch(() => {})
  process.exit(1)
})
