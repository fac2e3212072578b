// npm run test:instances: three API instances behind nginx on loopback, one PostgreSQL database and
// one Redis, as deploy/ describes them. It builds the server (npm run build), starts the three at once
// on an empty database, puts nginx with deploy/nginx.conf in front, and checks what a fleet must do:
// a rate-limit bucket per client and one across the instances, no stale cached read after a write on
// another instance, no lost write and no 5xx beyond the requests a SIGKILL cut off, the killed
// instance back in rotation, and a clean drain on SIGTERM. It prints what it measured and exits 1 on
// any failed check. Needs TEST_DATABASE_URL and REDIS_URL on loopback, and nginx on the PATH.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { ROOT } from '../../src/contract/paths.js'
import { createTestPostgres } from '../support/databases.js'
import { claimRedisDb, sparePort } from '../support/redis.js'
import { addressPool, call, closeConnections, type Answer } from './http.js'
import { createInstance, type Exit, type Instance } from './instance.js'
import { startLoad, type LoadRecord } from './load.js'
import { startNginx, UPSTREAM_HEADER, type Nginx } from './nginx.js'

const RATE_LIMIT_MAX = 60
const WORKERS = 8
const OVERALL_LIMIT_MS = 170_000
// Random, as a production password must be: NODE_ENV=production refuses one written in the repository.
const BOSS = { email: 'fleet-boss@shop.test', password: randomBytes(18).toString('base64url') }

const failures: string[] = []
function check (ok: boolean, what: string, detail?: unknown): boolean {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${ok || detail === undefined ? '' : `: ${JSON.stringify(detail).slice(0, 600)}`}`)
  if (!ok) failures.push(what)
  return ok
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const isLoopback = (url: string): boolean => {
  const host = new URL(url).hostname
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host)
}
const upstreams = (res: Answer): string[] => String(res.headers[UPSTREAM_HEADER] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '')
const servedBy = (res: Answer): string | undefined => upstreams(res).at(-1)
/** `1234 (200: 1000, 201: 234)`; a request that got no HTTP answer counts as `error`. */
function counts (records: Answer[]): string {
  const by = new Map<string, number>()
  for (const r of records) {
    const key = r.status === 0 ? 'error' : String(r.status)
    by.set(key, (by.get(key) ?? 0) + 1)
  }
  return `${records.length} (${[...by].sort().map(([k, n]) => `${k}: ${n}`).join(', ')})`
}

/** npm start's command without its build step; the Dockerfile must run the same one. */
function startCommand (): string[] {
  const start = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.start ?? ''
  const words = start.trim().split(/\s+/)
  if (words[0] !== 'node') throw new Error(`npm start is not a node command: ${start}`)
  return words.slice(1)
}

const teardowns: Array<() => unknown> = []
const owner = { teardown: (fn: () => unknown) => { teardowns.push(fn) } }
let instances: Instance[] = []
let nginx: Nginx | undefined
let workDir = ''

async function cleanUp (): Promise<void> {
  for (const instance of instances) {
    if (instance.child !== undefined && instance.child.exitCode === null && instance.child.signalCode === null) instance.child.kill('SIGKILL')
  }
  closeConnections()
  await nginx?.stop()
  for (const fn of teardowns.reverse()) {
    try {
      await fn()
    } catch (err) {
      console.error(`clean-up: ${(err as Error).message}`)
    }
  }
  if (workDir !== '' && failures.length === 0) rmSync(workDir, { recursive: true, force: true })
  else if (workDir !== '') console.log(`logs kept in ${workDir}`)
}

interface WritesChecked { creates: number, updates: number }

/** Every create and update answered 2xx is in the database; no create was made twice. */
async function checkWrites (db: pg.Client, records: LoadRecord[], own: number[], phase: string): Promise<WritesChecked> {
  const created = records.filter((r) => r.kind === 'create' && r.status === 201)
  const ids = created.map((r) => (JSON.parse(r.body) as { id: number }).id)
  const { rows } = await db.query<{ id: number, name: string }>('select id, name from inventory where id = any($1::int[])', [ids])
  const stored = new Map(rows.map((row) => [row.id, row.name]))
  const lost = created.filter((r, i) => stored.get(ids[i] ?? 0) !== r.name).map((r) => r.name)
  check(lost.length === 0, `${phase}: all ${created.length} creates answered 201 are in the database`, lost)
  const twice = await db.query<{ name: string }>('select name from inventory where name like $1 group by name having count(*) > 1', [`${phase}-w%`])
  check(twice.rows.length === 0, `${phase}: no create was made twice`, twice.rows)

  let updates = 0
  const wrong: unknown[] = []
  for (const [w, part] of own.entries()) {
    const sent = records.filter((r) => r.kind === 'update' && r.worker === w).sort((a, b) => a.started - b.started)
    const last = sent.findLastIndex((r) => r.status === 200)
    if (last < 0) continue
    updates += sent.filter((r) => r.status === 200).length
    // The last update answered 200, or a later one whose answer was lost after it committed.
    const possible = sent.slice(last).filter((r, i) => i === 0 || r.status !== 200).map((r) => r.price)
    const { rows: [row] } = await db.query<{ price: string }>('select price from inventory where id = $1', [part])
    if (!possible.includes(Number(row?.price))) wrong.push({ part, stored: row?.price, possible })
  }
  check(wrong.length === 0, `${phase}: each part holds the last update answered 200`, wrong)
  return { creates: created.length, updates }
}

/** Parts for a load phase, made through nginx: `readable` to read, one per worker to update. */
async function seedParts (port: number, token: string, from: () => string, tag: string): Promise<{ readable: number[], own: number[] }> {
  const make = async (name: string): Promise<number> => {
    const res = await call({ port, from: from(), token, method: 'POST', path: '/inventory', body: { name, price: 1.5 } })
    if (res.status !== 201) throw new Error(`seeding ${name}: ${res.status} ${res.body}`)
    return (JSON.parse(res.body) as { id: number }).id
  }
  const readable = await Promise.all([1, 2, 3].map((i) => make(`${tag}-seed-${i}`)))
  const own = await Promise.all(Array.from({ length: WORKERS }, (_, w) => make(`${tag}-own-w${w}`)))
  return { readable, own }
}

async function login (port: number, from: string): Promise<string> {
  const res = await call({ port, from, method: 'POST', path: '/mechanics/login', body: BOSS })
  if (res.status !== 200) throw new Error(`login: ${res.status} ${res.body}`)
  return (JSON.parse(res.body) as { token: string }).token
}

async function main (): Promise<void> {
  const adminUrl = process.env.TEST_DATABASE_URL ?? ''
  const redisUrl = process.env.REDIS_URL ?? ''
  if (adminUrl === '' || redisUrl === '') throw new Error('TEST_DATABASE_URL and REDIS_URL must be set (PostgreSQL and Redis on loopback)')
  if (!isLoopback(adminUrl) || !isLoopback(redisUrl)) throw new Error('TEST_DATABASE_URL and REDIS_URL must point at loopback')
  if (spawnSync('nginx', ['-v'], { stdio: 'ignore' }).error !== undefined) throw new Error('nginx is not installed (.ci/run installs Debian\'s nginx)')

  const nodeArgs = startCommand()
  const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8'))?.[1]
  check(cmd !== undefined && JSON.stringify(JSON.parse(cmd)) === JSON.stringify(['node', ...nodeArgs]), 'the Dockerfile runs npm start\'s command', { cmd, nodeArgs })

  console.log('building (npm run build)...')
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' })
  if (build.status !== 0) throw new Error('npm run build failed')

  workDir = mkdtempSync(join(tmpdir(), 'mst-instances-'))
  const databaseUrl = await createTestPostgres(owner) ?? ''
  const redis = await claimRedisDb(owner)
  if (redis === undefined) throw new Error('REDIS_URL is not set')
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  teardowns.push(() => db.end())

  const ports = [await sparePort(), await sparePort(), await sparePort()]
  const env = {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redis.url,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    TRUST_PROXY: '127.0.0.1',
    RATE_LIMIT_MAX: String(RATE_LIMIT_MAX),
    RATE_LIMIT_WINDOW: '1 minute',
    BOOTSTRAP_MECHANIC_EMAIL: BOSS.email,
    BOOTSTRAP_MECHANIC_PASSWORD: BOSS.password,
    LOG_LEVEL: 'info',
  }
  instances = ports.map((port, i) => createInstance({ name: `api${i + 1}`, port, dir: workDir, nodeArgs, env }))
  const direct = addressPool(1) // health polls and direct calls to one instance
  const viaNginx = addressPool(2) // the load's clients

  // 1. Three instances at once on an empty database.
  const bootAt = Date.now()
  for (const instance of instances) instance.start()
  await Promise.all(instances.map((instance) => instance.ready(60_000, direct)))
  const bootMs = Date.now() - bootAt
  const migrations = readdirSync(join(ROOT, 'migrations')).filter((f) => f.endsWith('.ts')).length
  const applied = await db.query<{ name: string, times: number }>('select name, count(*)::int as times from kysely_migration group by name')
  check(applied.rows.length === migrations && applied.rows.every((r) => r.times === 1), `three instances started at once: each of the ${migrations} migrations applied once`, applied.rows)
  const logged = instances.map((instance) => readFileSync(instance.log, 'utf8'))
  const applyingInstances = logged.filter((text) => text.includes('"migration applied"')).length
  check(applyingInstances === 1, 'one instance applied the migrations', { applyingInstances })
  const bosses = await db.query('select id from mechanics where lower(email) = lower($1)', [BOSS.email])
  check(bosses.rowCount === 1 && logged.join('').split('"bootstrap mechanic created"').length === 2, 'the bootstrap mechanic was created once')

  // 2. nginx in front, from deploy/nginx.conf.
  nginx = startNginx({ prefix: join(workDir, 'nginx'), listen: await sparePort(), upstreamPorts: ports })
  const proxy = nginx.port
  for (let deadline = Date.now() + 10_000; ;) {
    const res = await call({ port: proxy, from: direct(), method: 'GET', path: '/health/live', timeoutMs: 1_000 })
    if (res.status === 200) break
    if (Date.now() > deadline || nginx.child.exitCode !== null) throw new Error(`nginx did not answer: ${nginx.errorLog()}`)
    await sleep(50)
  }

  // 3. Rate-limit buckets: one per client address, one across all three instances.
  const [a, b] = ['127.0.0.2', '127.0.0.3']
  const seenByA = new Set<string>()
  const counted: number[] = []
  for (let i = 1; i <= RATE_LIMIT_MAX; i++) {
    const res = await call({ port: proxy, from: a, method: 'GET', path: '/health/live' })
    if (res.status === 200) counted.push(Number(res.headers['x-ratelimit-remaining']))
    const instance = servedBy(res)
    if (instance !== undefined) seenByA.add(instance)
  }
  check(counted.length === RATE_LIMIT_MAX && counted.every((left, i) => left === RATE_LIMIT_MAX - 1 - i), `127.0.0.2: ${RATE_LIMIT_MAX} requests allowed, counted down as one bucket`, counted)
  check(seenByA.size === 3, '127.0.0.2 was served by all three instances', [...seenByA])
  const limited = await call({ port: proxy, from: a, method: 'GET', path: '/health/live' })
  check(limited.status === 429, `127.0.0.2: request ${RATE_LIMIT_MAX + 1} is 429 (the limit, not 3× it)`, limited.status)
  const other = await call({ port: proxy, from: b, method: 'GET', path: '/health/live' })
  check(other.status === 200 && other.headers['x-ratelimit-remaining'] === String(RATE_LIMIT_MAX - 1), '127.0.0.3 has a bucket of its own', { status: other.status, remaining: other.headers['x-ratelimit-remaining'] })

  // 4. A write through one instance is seen at once by cached reads on the others.
  const token = await login(instances[0]!.port, direct())
  const on = (i: number, method: string, path: string, body?: unknown) => call({ port: instances[i]!.port, from: direct(), token, method, path, body })
  const probe = JSON.parse((await on(0, 'POST', '/inventory', { name: 'cache-probe', price: 1 })).body) as { id: number }
  let stale = 0
  const rounds = 6
  for (let r = 0; r < rounds; r++) {
    const writer = r % 3
    const readers = [0, 1, 2].filter((i) => i !== writer)
    for (const i of readers) for (let twice = 0; twice < 2; twice++) { await on(i, 'GET', '/inventory?per_page=1'); await on(i, 'GET', `/inventory/${probe.id}`) }
    const total = (JSON.parse((await on(writer, 'GET', '/inventory?per_page=1')).body) as { meta: { total: number } }).meta.total
    const created = await on(writer, 'POST', '/inventory', { name: `cache-round-${r}`, price: 2 })
    const price = r + 10.25
    const updated = await on(writer, 'PUT', `/inventory/${probe.id}`, { name: 'cache-probe', price })
    if (created.status !== 201 || updated.status !== 200) throw new Error(`cache round ${r}: ${created.status} ${updated.status}`)
    for (const i of readers) {
      const list = JSON.parse((await on(i, 'GET', '/inventory?per_page=1')).body) as { meta: { total: number } }
      const part = JSON.parse((await on(i, 'GET', `/inventory/${probe.id}`)).body) as { price: number }
      if (list.meta.total !== total + 1) stale++
      if (part.price !== price) stale++
    }
  }
  check(stale === 0, `cached reads on the other instances saw each of ${rounds * 2} writes at once`, { stale })

  // 5. SIGKILL one instance under load, restart it.
  const fleetToken = await login(proxy, viaNginx())
  const killSeed = await seedParts(proxy, fleetToken, viaNginx, 'kill')
  const killLoad = startLoad({ port: proxy, token: fleetToken, workers: WORKERS, from: viaNginx, ...killSeed, tag: 'kill' })
  await sleep(3_000)
  const victim = instances[1]!
  const victimAddress = `127.0.0.1:${victim.port}`
  const killAt = Date.now()
  victim.child.kill('SIGKILL')
  const killed = await victim.exited
  victim.start()
  const readyAt = await victim.ready(60_000, direct)
  let backAt: number | undefined
  for (const deadline = Date.now() + 20_000; backAt === undefined && Date.now() < deadline;) {
    backAt = killLoad.records.find((r) => r.started >= readyAt && servedBy(r) === victimAddress && r.status < 500)?.ended
    if (backAt === undefined) await sleep(100)
  }
  await sleep(2_000)
  const killRecords = await killLoad.stop()
  check(backAt !== undefined, 'the restarted instance takes traffic again')
  const cutOff = (r: LoadRecord) => r.kind === 'create' && r.status === 502 && upstreams(r).includes(victimAddress) && r.started <= killed.at
  const killed5xx = killRecords.filter((r) => r.status >= 500 || r.status === 0)
  const unexplained = killed5xx.filter((r) => !cutOff(r))
  check(unexplained.length === 0, 'no 5xx or failed connection but POSTs in flight on the killed instance', unexplained.map((r) => ({ method: r.method, path: r.path, status: r.status, upstream: r.headers[UPSTREAM_HEADER], error: r.error, afterKillMs: r.started - killAt })))
  const other4xx = killRecords.filter((r) => r.status >= 400 && r.status < 500)
  check(other4xx.length === 0, 'no 4xx under load', other4xx.slice(0, 5).map((r) => ({ path: r.path, status: r.status, body: r.body })))
  const killWrites = await checkWrites(db, killRecords, killSeed.own, 'kill')
  const answered = killRecords.filter((r) => r.status >= 200 && r.status < 300).map((r) => r.ended).sort((x, y) => x - y)
  const longestPause = answered.slice(1).reduce((max, at, i) => Math.max(max, at - (answered[i] ?? at)), 0)

  // 6. SIGTERM to all three under load: each drains and exits 0.
  const termSeed = await seedParts(proxy, fleetToken, viaNginx, 'term')
  const termLoad = startLoad({ port: proxy, token: fleetToken, workers: WORKERS, from: viaNginx, ...termSeed, tag: 'term' })
  await sleep(2_000)
  const termAt = Date.now()
  for (const instance of instances) instance.child.kill('SIGTERM')
  const exits = await Promise.race([
    Promise.all(instances.map((instance) => instance.exited)),
    sleep(20_000).then(() => undefined),
  ])
  const termRecords = await termLoad.stop()
  check(exits !== undefined && exits.every((e: Exit) => e.code === 0 && e.signal === null), 'SIGTERM: all three drained and exited 0', exits?.map((e) => ({ code: e.code, signal: e.signal })))
  check(termRecords.every((r) => r.status !== 0), 'SIGTERM: every request got an answer from nginx', termRecords.filter((r) => r.status === 0).slice(0, 3))
  const termWrites = await checkWrites(db, termRecords, termSeed.own, 'term')
  const lastExit = Math.max(...(exits ?? []).map((e) => e.at), termAt)
  const draining = termRecords.filter((r) => r.started >= termAt && r.started < lastExit)

  // What was measured.
  const perInstance = (records: Answer[]) => ports.map((port) => records.filter((r) => servedBy(r) === `127.0.0.1:${port}`).length).join(' / ')
  const rows: Array<[string, string]> = [
    ['three instances, empty database → all ready', `${bootMs} ms`],
    ['rate limit via nginx, 127.0.0.2 | 127.0.0.3', `429 at request ${RATE_LIMIT_MAX + 1} | own bucket (${RATE_LIMIT_MAX - 1} left)`],
    ['cached reads after a write on another instance', `${rounds * 4} reads, ${stale} stale`],
    ['kill phase: requests (statuses)', counts(killRecords)],
    ['kill phase: served by api1 / api2 / api3', perInstance(killRecords)],
    ['kill phase: writes answered 2xx, all stored', `${killWrites.creates} creates, ${killWrites.updates} updates`],
    ['kill phase: 5xx (POSTs in flight on api2)', `${killed5xx.length} (${killed5xx.length - unexplained.length} in flight)`],
    ['api2 down: SIGKILL → restarted, ready', `${readyAt - killAt} ms`],
    ['api2 down: SIGKILL → serving via nginx again', backAt === undefined ? 'never' : `${backAt - killAt} ms`],
    ['longest pause between 2xx answers (kill phase)', `${longestPause} ms`],
    ['SIGTERM phase: sent before SIGTERM (statuses)', counts(termRecords.filter((r) => r.started < termAt))],
    ['SIGTERM phase: sent while draining (statuses)', counts(draining)],
    ['SIGTERM phase: sent after the last exit (statuses)', counts(termRecords.filter((r) => r.started >= lastExit))],
    ['SIGTERM → exit (code) api1 / api2 / api3', exits === undefined ? 'timed out' : exits.map((e) => `${e.at - termAt} ms (${e.code ?? e.signal})`).join(' / ')],
    ['SIGTERM phase: writes answered 2xx, all stored', `${termWrites.creates} creates, ${termWrites.updates} updates`],
  ]
  const width = Math.max(...rows.map(([k]) => k.length))
  console.log(`\n${'measured'.padEnd(width)}  value\n${'-'.repeat(width)}  -----`)
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`)
}

const overall = setTimeout(() => {
  failures.push(`did not finish within ${OVERALL_LIMIT_MS / 1000} s`)
  console.error(`FAIL did not finish within ${OVERALL_LIMIT_MS / 1000} s`)
  void cleanUp().finally(() => process.exit(1))
}, OVERALL_LIMIT_MS)

const began = Date.now()
try {
  await main()
} catch (err) {
  check(false, `the run stopped: ${(err as Error).message}`)
} finally {
  clearTimeout(overall)
  await cleanUp()
}
console.log(`\n${failures.length === 0 ? 'all checks passed' : `${failures.length} check(s) failed: ${failures.join('; ')}`} (${Math.round((Date.now() - began) / 1000)} s)`)
process.exit(failures.length === 0 ? 0 : 1)
