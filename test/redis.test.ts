// Several instances on one Redis, and Redis failing under them. Instances share one rate limit (429
// at the limit, not at N times it) and one cache (a write through one is seen at once by a cached
// read on another). While Redis is unreachable or hung, every request is still served, quickly and
// never with a 500, and the limits still hold per instance; once it is back, sharing resumes.
// Needs REDIS_URL (CI sets it); the outage test also needs the redis-server binary, to run its own.
import { randomInt } from 'node:crypto'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import type { components } from '../generated/api.js'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { auth, BOSS, claimRedisDb, createTestPostgres, expectContract, mechanicToken, redisServerInstalled, sharedRedisUrl, startRedisServer, testEnv, uniqueEmail, usingPostgres } from './helpers.js'

type Part = components['schemas']['Part']
type PartPage = components['schemas']['PartPage']
type MechanicPage = components['schemas']['MechanicPage']
type RankingPage = components['schemas']['MechanicRankingPage']

const MAX = 5
const LOGIN_MAX = 2
/** Sign-up shares the login limit's number (LOGIN_RATE_LIMIT_MAX), keyed per client. */
const SIGNUP_MAX = LOGIN_MAX
const LIMITS = { RATE_LIMIT_MAX: String(MAX), RATE_LIMIT_WINDOW: '1 minute', LOGIN_RATE_LIMIT_MAX: String(LOGIN_MAX) }
const VIN = '1HGCM82633A004352'
/** Far above a healthy answer, far below a hang: what "never waits on Redis" means here. */
const PROMPT_MS = 1_500

let lastClient = randomInt(0, 2 ** 24 - 100_000)
/** A client address no other check uses (random per run, so a shared Redis holds no old counters). */
const newClient = (): string => { const n = ++lastClient; return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}` }

const noRedis = sharedRedisUrl() === undefined && 'REDIS_URL is not set: the Redis tests are skipped (CI sets it)'

/** Both instances on one database: PostgreSQL can be shared, an in-memory PGlite cannot. */
async function sharedDatabase (t: Test): Promise<Record<string, string>> {
  if (!usingPostgres()) return {}
  const url = await createTestPostgres(t)
  if (url === undefined) throw new Error('TEST_DRIVER=pg needs TEST_DATABASE_URL')
  return { DATABASE_URL: url }
}
const sharedDatabaseSkip = !usingPostgres() &&
  'on PGlite each instance has its own in-memory database, so a write on one cannot be read on the other; the TEST_DRIVER=pg pass runs this'

/** The real app with its log captured, closed when `t` ends. */
async function buildInstance (t: Test, env: Record<string, string>, log: string[]): Promise<FastifyInstance> {
  const config = loadConfig({ env: await testEnv(t, env), dotenvPath: false })
  const app = await buildApp(config, { logger: { level: 'info', stream: { write: (line: string) => { log.push(line) } } } })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

async function until (what: string, ready: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!await ready()) {
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Sends the request, checks the answer against the contract, and returns it with its duration. */
async function call (app: FastifyInstance, operationId: string, options: InjectOptions): Promise<LightMyRequestResponse & { ms: number }> {
  const started = Date.now()
  const res = await app.inject({ remoteAddress: newClient(), ...options })
  expectContract(res, operationId)
  return Object.assign(res, { ms: Date.now() - started })
}

const expectStatus = (t: Test, res: LightMyRequestResponse, status: number, what: string): void => {
  t.equal(res.statusCode, status, what, { body: res.body })
}

/** Requests from one client spread over the instances in turn: one budget, then 429 on any of them. */
async function expectSharedLimit (t: Test, instances: FastifyInstance[], request: (client: string, i: number) => InjectOptions, operationId: string, limit: number, allowed: number): Promise<void> {
  const client = newClient()
  for (let i = 1; i <= limit; i++) {
    const res = await call(instances[i % instances.length] as FastifyInstance, operationId, { ...request(client, i), remoteAddress: client })
    expectStatus(t, res, allowed, `request ${i} of ${limit}, on instance ${i % instances.length}`)
    t.equal(res.headers['x-ratelimit-remaining'], String(limit - i), 'counted once, whichever instance answers')
  }
  for (const [n, app] of instances.entries()) {
    const res = await call(app, operationId, { ...request(client, limit + 1 + n), remoteAddress: client })
    expectStatus(t, res, 429, `past the limit: 429 on instance ${n}, not at ${limit * instances.length}`)
    t.ok(Number(res.headers['retry-after']) >= 1, 'with retry-after')
  }
}

const partPayload = (name: string, price = 10) => ({ name, price })

t.test('two instances on one Redis', { skip: noRedis }, async (t) => {
  const redis = await claimRedisDb(t)
  if (redis === undefined) throw new Error('unreachable: REDIS_URL is set')
  const env = { ...LIMITS, REDIS_URL: redis.url, ...await sharedDatabase(t) }
  const log: string[] = []
  const a = await buildInstance(t, env, log)
  const b = await buildInstance(t, env, log)
  const boss = auth(await mechanicToken(a)) // one secret, and the same bootstrap mechanic on both

  t.test('the blanket limit is one budget for both instances', async (t) => {
    await expectSharedLimit(t, [a, b], () => ({ method: 'GET', url: '/inventory' }), 'listParts', MAX, 200)
  })

  t.test('the login limit (client and email) is one budget for both instances', async (t) => {
    const email = uniqueEmail('shared-login')
    await expectSharedLimit(t, [a, b], () => ({ method: 'POST', url: '/customers/login', payload: { email, password: 'wrong-password' } }), 'loginCustomer', LOGIN_MAX, 401)
  })

  t.test('the sign-up limit is one budget for both instances', async (t) => {
    await expectSharedLimit(t, [a, b], () => ({ method: 'POST', url: '/customers', payload: { name: 'Shared', email: uniqueEmail('shared-signup'), phone: '+1 555 0100', password: 'customer-password' } }), 'createCustomer', SIGNUP_MAX, 201)
  })

  t.test('a write through A is seen at once by a cached read on B', { skip: sharedDatabaseSkip }, async (t) => {
    t.test('inventory: the list and one part', async (t) => {
      const part = (await call(a, 'createPart', { method: 'POST', url: '/inventory', headers: boss, payload: partPayload('Shared filter', 10) })).json<Part>()
      const list = await call(b, 'listParts', { method: 'GET', url: '/inventory?per_page=100' })
      const etag = String(list.headers.etag)
      t.ok(etag, 'B caches the list')
      t.equal((await call(a, 'listParts', { method: 'GET', url: '/inventory?per_page=100' })).headers.etag, etag, 'A has the same ETag: clients may revalidate on either')
      expectStatus(t, await call(a, 'listParts', { method: 'GET', url: '/inventory?per_page=100', headers: { 'if-none-match': etag } }), 304, 'A answers 304 to B\'s ETag')
      const one = await call(b, 'getPart', { method: 'GET', url: `/inventory/${part.id}` })
      t.equal(one.json<Part>().price, 10)

      expectStatus(t, await call(a, 'createPart', { method: 'POST', url: '/inventory', headers: boss, payload: partPayload('Added on A') }), 201, 'A adds a part')
      expectStatus(t, await call(a, 'updatePart', { method: 'PUT', url: `/inventory/${part.id}`, headers: boss, payload: partPayload('Shared filter', 11.25) }), 200, 'A updates a part')
      const fresh = await call(b, 'listParts', { method: 'GET', url: '/inventory?per_page=100', headers: { 'if-none-match': etag } })
      expectStatus(t, fresh, 200, 'B\'s cached list is no longer current')
      const names = fresh.json<PartPage>().data.map((p) => p.name)
      t.ok(names.includes('Added on A'), 'B lists the part added on A')
      t.not(fresh.headers.etag, etag)
      t.equal((await call(b, 'getPart', { method: 'GET', url: `/inventory/${part.id}` })).json<Part>().price, 11.25, 'B shows the price set on A')
    })

    t.test('mechanics list', async (t) => {
      const before = await call(b, 'listMechanics', { method: 'GET', url: '/mechanics?per_page=100', headers: boss })
      t.ok(before.headers.etag, 'B caches the list')
      const created = await call(a, 'createMechanic', { method: 'POST', url: '/mechanics', headers: boss, payload: { name: 'Hired on A', email: uniqueEmail('a'), phone: '+1 555 0300', salary: 40000, password: 'mechanic-password' } })
      expectStatus(t, created, 201, 'A hires a mechanic')
      const after = await call(b, 'listMechanics', { method: 'GET', url: '/mechanics?per_page=100', headers: { ...boss, 'if-none-match': String(before.headers.etag) } })
      expectStatus(t, after, 200, 'B\'s cached list is no longer current')
      t.ok(after.json<MechanicPage>().data.some((m) => m.id === created.json<{ id: number }>().id), 'B lists the mechanic hired on A')
    })

    t.test('ranking, after a ticket edit', async (t) => {
      const signUp = await call(a, 'createCustomer', { method: 'POST', url: '/customers', payload: { name: 'Ranked', email: uniqueEmail('ranked'), phone: '+1 555 0100', password: 'customer-password' } })
      const mechanic = await call(a, 'createMechanic', { method: 'POST', url: '/mechanics', headers: boss, payload: { name: 'Ranked on A', email: uniqueEmail('ranked'), phone: '+1 555 0300', salary: 40000, password: 'mechanic-password' } })
      const mechanicId = mechanic.json<{ id: number }>().id
      const ticket = await call(a, 'createServiceTicket', { method: 'POST', url: '/service-tickets', headers: boss, payload: { customer_id: signUp.json<{ id: number }>().id, vin: VIN, service_date: '2026-12-01', service_desc: 'Shared ranking' } })
      expectStatus(t, ticket, 201, 'A opens a ticket')
      const ticketId = ticket.json<{ id: number }>().id
      const countOn = async (app: FastifyInstance) => (await call(app, 'getMechanicRanking', { method: 'GET', url: '/mechanics/ranking?per_page=100', headers: boss }))
        .json<RankingPage>().data.find((m) => m.id === mechanicId)?.ticket_count

      t.equal(await countOn(b), 0, 'B caches the ranking')
      t.equal(await countOn(b), 0, 'and serves it again')
      expectStatus(t, await call(a, 'editTicketMechanics', { method: 'PUT', url: `/service-tickets/${ticketId}/edit`, headers: boss, payload: { add_ids: [mechanicId] } }), 200, 'A assigns the mechanic')
      t.equal(await countOn(b), 1, 'B\'s ranking counts the assignment at once')
      expectStatus(t, await call(a, 'editTicketMechanics', { method: 'PUT', url: `/service-tickets/${ticketId}/edit`, headers: boss, payload: { remove_ids: [mechanicId] } }), 200, 'A unassigns the mechanic')
      t.equal(await countOn(b), 0, 'B\'s ranking drops it at once')
    })
  })

  t.test('a session ended on A is refused on B within a second', { skip: sharedDatabaseSkip }, async (t) => {
    type Pair = components['schemas']['Token']
    const signUp = async (label: string) => {
      const email = uniqueEmail(label)
      const created = await call(a, 'createCustomer', { method: 'POST', url: '/customers', payload: { name: 'Session', email, phone: '+1 555 0100', password: 'customer-password' } })
      return { id: created.json<{ id: number }>().id, email }
    }
    const login = async (app: FastifyInstance, email: string) =>
      (await call(app, 'loginCustomer', { method: 'POST', url: '/customers/login', payload: { email, password: 'customer-password' } })).json<Pair>()
    const read = (app: FastifyInstance, id: number, token: string) => call(app, 'getCustomer', { method: 'GET', url: `/customers/${id}`, headers: auth(token) })
    /** B answers 200 twice (the second from its memory of live sessions). */
    const warm = async (t: Test, id: number, token: string) => {
      for (const n of [1, 2]) expectStatus(t, await read(b, id, token), 200, `B serves the live session (${n})`)
    }
    /** The time B takes to refuse the token, asked every 20 ms, at most one second. */
    const refusedOnB = async (t: Test, id: number, token: string, what: string) => {
      const started = Date.now()
      await until(`B to refuse ${what}`, async () => (await read(b, id, token)).statusCode === 401, 1_000)
      t.pass(`B refuses ${what} after ${Date.now() - started} ms`)
    }

    t.test('logout', async (t) => {
      const customer = await signUp('logout-a')
      const session = await login(a, customer.email)
      await warm(t, customer.id, session.token)
      expectStatus(t, await call(a, 'endSession', { method: 'POST', url: '/auth/logout', headers: auth(session.token) }), 204, 'A logs the session out')
      await refusedOnB(t, customer.id, session.token, 'the access token')
      expectStatus(t, await call(b, 'refreshSession', { method: 'POST', url: '/auth/refresh', payload: { refresh_token: session.refresh_token } }), 401, 'and the refresh token')
    })

    t.test('a password change: the other sessions end, the changing one lives', async (t) => {
      const customer = await signUp('password-a')
      const [changer, other] = [await login(a, customer.email), await login(b, customer.email)]
      await warm(t, customer.id, other.token)
      await warm(t, customer.id, changer.token)
      expectStatus(t, await call(a, 'updateCustomer', { method: 'PUT', url: `/customers/${customer.id}`, headers: auth(changer.token), payload: { name: 'Changed', email: customer.email, phone: '+1 555 0100', password: 'customer-password-2' } }), 200, 'A changes the password')
      await refusedOnB(t, customer.id, other.token, 'the other session')
      expectStatus(t, await read(b, customer.id, changer.token), 200, 'B still serves the session that changed it')
    })

    t.test('reuse of a refresh token', async (t) => {
      const customer = await signUp('reuse-a')
      const session = await login(a, customer.email)
      const next = (await call(a, 'refreshSession', { method: 'POST', url: '/auth/refresh', payload: { refresh_token: session.refresh_token } })).json<Pair>()
      await warm(t, customer.id, next.token)
      expectStatus(t, await call(a, 'refreshSession', { method: 'POST', url: '/auth/refresh', payload: { refresh_token: session.refresh_token } }), 401, 'A sees the spent token again')
      await refusedOnB(t, customer.id, next.token, 'the session whose token was replayed')
    })

    t.test('the endings travel on a channel of this Redis database', async (t) => {
      const subscriber = redis.client.duplicate()
      t.teardown(() => subscriber.disconnect())
      const heard: string[] = []
      subscriber.on('message', (channel: string, message: string) => { heard.push(`${channel} ${message}`) })
      const db = new URL(redis.url).pathname.slice(1)
      await subscriber.subscribe(`mst:sessions:ended:${db}`)
      const customer = await signUp('channel-a')
      const session = await login(a, customer.email)
      expectStatus(t, await call(a, 'endSession', { method: 'POST', url: '/auth/logout', headers: auth(session.token) }), 204, 'A logs out')
      const sid = (JSON.parse(Buffer.from(session.token.split('.')[1] ?? '', 'base64url').toString()) as { sid: string }).sid
      await until('the ending to be published', () => heard.length > 0, 1_000)
      t.same(heard, [`mst:sessions:ended:${db} ${JSON.stringify([sid])}`], 'the session id, and nothing secret')
    })
  })

  t.test('an invalidation that could not reach Redis is applied as soon as it is back', async (t) => {
    const version = () => redis.client.get('mst:cache:version:inventory')
    await call(b, 'listParts', { method: 'GET', url: '/inventory' })
    const before = await version()
    t.ok(before, 'the inventory has a version')
    a.redis?.disconnect(true) // a dropped connection, reconnecting at once
    await a.responseCache.invalidate(['inventory']) // as a write on A would, while it cannot reach Redis
    t.equal(await version(), before, 'not applied while A is disconnected')
    await until('A to reconnect', () => a.redis?.status === 'ready')
    await until('the version to change', async () => await version() !== before, 2_000)
    t.pass('A replaced the version on reconnecting, without waiting for a read of its own')
  })
})

t.test('Redis unreachable at start, stopped, restarted and hung', { skip: noRedis || (!redisServerInstalled() && 'redis-server is not installed: this test runs a Redis of its own to stop') }, async (t) => {
  const server = await startRedisServer(t, { started: false })
  const env = { ...LIMITS, REDIS_URL: server.url, ...await sharedDatabase(t) }
  const log: string[] = []
  /** Whether a line matching `pattern` was logged since line `from`. */
  const logged = (pattern: RegExp, from = 0) => log.slice(from).some((line) => pattern.test(line))

  // C starts while its Redis is down, and must start anyway.
  const c = await buildInstance(t, env, log)
  t.not(c.redis?.status, 'ready', 'C started without Redis')
  t.ok(logged(/"level":40.*Redis is unreachable at start/), 'and warned about it')
  const boss = auth(await mechanicToken(c))
  const down = await call(c, 'listParts', { method: 'GET', url: '/inventory' })
  expectStatus(t, down, 200, 'C serves reads before Redis ever answered')

  await server.start()
  await until('C to connect after its failed first attempt', () => c.redis?.status === 'ready')
  t.pass('C connected once Redis came up: ioredis retries after a failed initial connect')
  const d = await buildInstance(t, env, log)
  t.equal(d.redis?.status, 'ready', 'D started with Redis')
  const instances = [c, d]
  // A session lives in the database it was started on: on PGlite each instance has its own.
  const bossOn = new Map<FastifyInstance, { authorization: string }>([[c, boss], [d, usingPostgres() ? boss : auth(await mechanicToken(d))]])
  const bossFor = (app: FastifyInstance) => bossOn.get(app) ?? boss

  // One part on each instance's database (one database on pg, two on PGlite), for getPart below.
  const partIds = new Map<FastifyInstance, number>()
  for (const app of instances) {
    partIds.set(app, (await call(app, 'createPart', { method: 'POST', url: '/inventory', headers: bossFor(app), payload: partPayload('Before the outage') })).json<Part>().id)
  }
  const beforeOutage = await call(c, 'listParts', { method: 'GET', url: '/inventory?per_page=100' })
  const etagBeforeOutage = String(beforeOutage.headers.etag)
  t.match(etagBeforeOutage, /^".+"$/, 'with Redis up, C caches with an ETag')

  // A customer session that D serves while Redis is up, so D remembers it alive (for the outage below).
  let remembered: { id: number, token: string } | undefined
  if (usingPostgres()) {
    const email = uniqueEmail('outage-session')
    const created = await call(c, 'createCustomer', { method: 'POST', url: '/customers', payload: { name: 'Outage', email, phone: '+1 555 0100', password: 'customer-password' } })
    const id = created.json<{ id: number }>().id
    const { token } = (await call(c, 'loginCustomer', { method: 'POST', url: '/customers/login', payload: { email, password: 'customer-password' } })).json<{ token: string }>()
    for (let n = 0; n < 2; n++) expectStatus(t, await call(d, 'getCustomer', { method: 'GET', url: `/customers/${id}`, headers: auth(token) }), 200, 'D serves the session')
    remembered = { id, token }
  }

  t.test('with Redis up: one limit for both instances', async (t) => {
    await expectSharedLimit(t, instances, () => ({ method: 'GET', url: '/health' }), 'getHealth', MAX, 200)
  })

  t.test('while Redis is down: every request is served at once, never a 500, and limits still hold', async (t) => {
    const logFrom = log.length
    await server.stop()
    const reads = (app: FastifyInstance) => [
      ['listParts', { method: 'GET', url: '/inventory?per_page=100' }],
      ['getPart', { method: 'GET', url: `/inventory/${partIds.get(app) ?? 0}` }],
      ['listMechanics', { method: 'GET', url: '/mechanics', headers: bossFor(app) }],
      ['getMechanicRanking', { method: 'GET', url: '/mechanics/ranking', headers: bossFor(app) }],
      ['listCustomers', { method: 'GET', url: '/customers', headers: bossFor(app) }],
      ['getHealth', { method: 'GET', url: '/health' }],
    ] as const
    for (const [n, app] of instances.entries()) {
      for (const [operationId, options] of reads(app)) {
        const res = await call(app, operationId, options)
        expectStatus(t, res, 200, `instance ${n}: ${operationId} answers 200`)
        t.ok(res.ms < PROMPT_MS, `promptly (${res.ms} ms)`)
      }
    }

    const created = await call(c, 'createPart', { method: 'POST', url: '/inventory', headers: boss, payload: partPayload('Made during the outage') })
    expectStatus(t, created, 201, 'a write succeeds')
    t.ok(created.ms < PROMPT_MS, `promptly (${created.ms} ms)`)
    const list = await call(c, 'listParts', { method: 'GET', url: '/inventory?per_page=100' })
    t.ok(list.json<PartPage>().data.some((p) => p.name === 'Made during the outage'), 'and the next read shows it: no stale answer')
    t.notOk(list.headers.etag, 'no ETag while the cache cannot be trusted')
    t.equal(list.headers['cache-control'], 'no-store')

    const client = newClient()
    for (let i = 1; i <= MAX; i++) {
      const res = await call(c, 'listParts', { method: 'GET', url: '/inventory', remoteAddress: client })
      expectStatus(t, res, 200, `request ${i}: served`)
      t.equal(res.headers['x-ratelimit-remaining'], String(MAX - i), 'and counted in this process')
    }
    const limited = await call(c, 'listParts', { method: 'GET', url: '/inventory', remoteAddress: client })
    expectStatus(t, limited, 429, 'the blanket limit still answers 429')
    t.ok(Number(limited.headers['retry-after']) >= 1, 'with retry-after')

    const attacker = newClient()
    for (let i = 1; i <= LOGIN_MAX; i++) {
      expectStatus(t, await call(d, 'loginMechanic', { method: 'POST', url: '/mechanics/login', payload: { email: BOSS.email, password: 'guess' }, remoteAddress: attacker }), 401, `guess ${i}`)
    }
    expectStatus(t, await call(d, 'loginMechanic', { method: 'POST', url: '/mechanics/login', payload: { email: BOSS.email, password: 'guess' }, remoteAddress: attacker }), 429, 'the login limit still holds')

    // Logged when the connection drops (ioredis 'close'), or at the latest when a reconnection fails.
    await until('the outage warning', () => logged(/"level":40.*Redis is unreachable: rate limits and cache fall back/, logFrom), 5_000)
    t.pass('a warning in the log')
    t.notOk(logged(/"level":50/), 'no error in the log')
  })

  t.test('while Redis is down: a session ended on C is refused on D, which asks the database', { skip: sharedDatabaseSkip }, async (t) => {
    t.ok(remembered !== undefined, 'a session D served while Redis was up')
    if (remembered === undefined) return
    const { id, token } = remembered
    expectStatus(t, await call(c, 'endSession', { method: 'POST', url: '/auth/logout', headers: auth(token) }), 204, 'C logs it out, and cannot tell D through Redis')
    await until('D to refuse it', async () => (await call(d, 'getCustomer', { method: 'GET', url: `/customers/${id}`, headers: auth(token) })).statusCode === 401, 1_000)
    t.pass('D refuses it: it trusts no memory while it cannot hear endings')
  })

  t.test('once Redis is back: the cache and the shared limits recover', async (t) => {
    const logFrom = log.length
    await server.start()
    await until('both instances to reconnect', () => instances.every((app) => app.redis?.status === 'ready'))
    t.ok(logged(/Redis is reachable again/, logFrom), 'the return is logged')

    const again = await call(c, 'listParts', { method: 'GET', url: '/inventory?per_page=100', headers: { 'if-none-match': etagBeforeOutage } })
    expectStatus(t, again, 200, 'the ETag from before the outage does not match what changed during it')
    t.ok(again.json<PartPage>().data.some((p) => p.name === 'Made during the outage'))
    const etag = String(again.headers.etag)
    t.match(etag, /^".+"$/, 'cached with an ETag again')
    t.not(etag, etagBeforeOutage)
    expectStatus(t, await call(c, 'listParts', { method: 'GET', url: '/inventory?per_page=100', headers: { 'if-none-match': etag } }), 304, '304 again')

    await expectSharedLimit(t, instances, () => ({ method: 'GET', url: '/health' }), 'getHealth', MAX, 200)
  })

  t.test('once Redis is back: a write on C is seen at once by a cached read on D', { skip: sharedDatabaseSkip }, async (t) => {
    const cached = await call(d, 'listParts', { method: 'GET', url: '/inventory?per_page=100' })
    t.ok(cached.headers.etag, 'D caches the list')
    expectStatus(t, await call(c, 'createPart', { method: 'POST', url: '/inventory', headers: boss, payload: partPayload('Made after the outage') }), 201, 'C adds a part')
    const fresh = await call(d, 'listParts', { method: 'GET', url: '/inventory?per_page=100', headers: { 'if-none-match': String(cached.headers.etag) } })
    expectStatus(t, fresh, 200, 'D\'s cached list is no longer current')
    t.ok(fresh.json<PartPage>().data.some((p) => p.name === 'Made after the outage'))
  })

  t.test('while Redis hangs: requests wait at most its command timeouts, and are served', async (t) => {
    server.pause()
    t.teardown(() => server.resume())
    const read = await call(c, 'listParts', { method: 'GET', url: '/inventory?per_page=100' })
    expectStatus(t, read, 200, 'a cached read is served')
    t.ok(read.ms < 5_000, `within the command timeouts (${read.ms} ms)`)
    const write = await call(c, 'createPart', { method: 'POST', url: '/inventory', headers: boss, payload: partPayload('Made while Redis hung') })
    expectStatus(t, write, 201, 'a write is served')
    t.ok(write.ms < 5_000, `within the command timeouts (${write.ms} ms)`)
    server.resume()

    await until('Redis to answer again', () => c.redis?.status === 'ready')
    const after = await call(c, 'listParts', { method: 'GET', url: '/inventory?per_page=100' })
    t.ok(after.json<PartPage>().data.some((p) => p.name === 'Made while Redis hung'), 'the write made while Redis hung is not hidden by the cache')
  })
})
