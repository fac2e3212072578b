// Faults the API must survive. PostgreSQL unreachable at start (retried, then one clear line and a
// non-zero exit; or start-up succeeds when it comes up in time), lost while running (503
// problem+json within seconds, never a hang or a crash, and back by itself when it returns), and
// hung. Those run on the TEST_DRIVER=pg pass against a PostgreSQL server the test starts itself, so
// that it can stop it, and skip where the server binaries are missing. On both passes: DNS failures
// are a 503, and slow clients (a body never finished) are cut off while others are served.
import net from 'node:net'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { buildApp, type BuildOptions } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { isConnectionError } from '../src/db/pg-errors.js'
import { toProblem } from '../src/errors.js'
import { appWith, BOSS, freePort, ownPostgresUnavailable, pgliteSnapshot, spawnServer, startPostgresServer, TEST_SETTINGS, testEnv, uniqueEmail, usingPostgres } from './helpers.js'

const skipOwnPostgres = !usingPostgres()
  ? 'these faults need a real PostgreSQL server to stop and start: they run on the TEST_DRIVER=pg pass'
  : ownPostgresUnavailable === false ? false : `${ownPostgresUnavailable}: the PostgreSQL fault tests are skipped`

/** Far above a healthy answer (or a refused connection), far below a hang. */
const PROMPT_MS = 5_000
/** Past this a request counts as hung. */
const HANG_MS = 15_000
const VIN = '1HGCM82633A004352'

/** The app's environment on a database URL of the test's choosing. */
function envOn (databaseUrl: string): Record<string, string> {
  return { ...TEST_SETTINGS, DATABASE_URL: databaseUrl }
}

interface Logged { level: number, msg: string, [field: string]: unknown }

/** buildApp with its log captured (parsed), closed when `t` ends. Does not wait for ready. */
function build (t: Test, env: Record<string, string>, log: Logged[], options: BuildOptions = {}): Promise<FastifyInstance> {
  const stream = { write: (line: string) => { log.push(JSON.parse(line) as Logged) } }
  return appWith(t, env, () => ({ logger: { level: 'info', stream }, ...options }))
}

async function until (what: string, ready: () => boolean | Promise<boolean>, ms: number, every = 100): Promise<void> {
  const deadline = Date.now() + ms
  while (!await ready()) {
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, every))
  }
}

interface Answer { status: number, type: string, retryAfter: string | null, body: Record<string, unknown>, ms: number }

/** A real HTTP request to the listening app, abandoned (status 0) if it takes longer than HANG_MS. */
async function call (base: string, method: string, path: string, { token, body }: { token?: string, body?: unknown } = {}): Promise<Answer> {
  const started = Date.now()
  try {
    const res = await fetch(new URL(path, base), {
      method,
      headers: { ...(token === undefined ? {} : { authorization: `Bearer ${token}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(HANG_MS),
    })
    const text = await res.text()
    return { status: res.status, type: res.headers.get('content-type') ?? '', retryAfter: res.headers.get('retry-after'), body: text === '' ? {} : JSON.parse(text) as Record<string, unknown>, ms: Date.now() - started }
  } catch (err) {
    if ((err as Error).name === 'TimeoutError') return { status: 0, type: '', retryAfter: null, body: {}, ms: Date.now() - started }
    throw err
  }
}

/** Everything a mechanic and a customer do that needs the database (and no cache can answer). */
function databaseRoutes (fixture: Fixture): Array<{ what: string, method: string, path: string, token?: string, body?: unknown }> {
  return [
    { what: 'list tickets', method: 'GET', path: '/service-tickets', token: fixture.mechanic },
    { what: 'read a ticket', method: 'GET', path: `/service-tickets/${fixture.ticketId}`, token: fixture.mechanic },
    { what: 'my tickets', method: 'GET', path: '/customers/my-tickets', token: fixture.customer },
    { what: 'add a part', method: 'POST', path: '/inventory', token: fixture.mechanic, body: { name: 'Wiper blade', price: 12.5 } },
    { what: 'put a part on a ticket', method: 'POST', path: `/service-tickets/${fixture.ticketId}/parts`, token: fixture.mechanic, body: { part_id: fixture.partId } },
    { what: 'log in', method: 'POST', path: '/customers/login', body: fixture.customerLogin },
  ]
}

interface Fixture { mechanic: string, customer: string, customerLogin: { email: string, password: string }, ticketId: number, partId: number }

async function seed (t: Test, base: string): Promise<Fixture> {
  const expect = (answer: Answer, status: number, what: string): Record<string, unknown> => {
    if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.status}: ${JSON.stringify(answer.body)}`)
    return answer.body
  }
  const mechanic = expect(await call(base, 'POST', '/mechanics/login', { body: { email: BOSS.email, password: BOSS.password } }), 200, 'mechanic login').token as string
  const customerLogin = { email: uniqueEmail('faults'), password: 'faults-password-1' }
  const customerId = expect(await call(base, 'POST', '/customers', { body: { name: 'Fault Customer', phone: '+1 555 0100', ...customerLogin } }), 201, 'sign-up').id as number
  const customer = expect(await call(base, 'POST', '/customers/login', { body: customerLogin }), 200, 'customer login').token as string
  const partId = expect(await call(base, 'POST', '/inventory', { token: mechanic, body: { name: 'Oil filter', price: 9.99 } }), 201, 'part').id as number
  const ticketId = expect(await call(base, 'POST', '/service-tickets', { token: mechanic, body: { customer_id: customerId, vin: VIN, service_date: '2026-03-04', service_desc: 'Oil change' } }), 201, 'ticket').id as number
  t.comment(`seeded: customer ${customerId}, part ${partId}, ticket ${ticketId}`)
  return { mechanic, customer, customerLogin, ticketId, partId }
}

function expectUnavailable (t: Test, answer: Answer, what: string): void {
  t.equal(answer.status, 503, `${what}: 503 (${answer.ms} ms)`, { body: answer.body })
  t.ok(answer.ms < PROMPT_MS, `${what}: answered within ${PROMPT_MS} ms, not hung (${answer.ms} ms)`)
  t.match(answer.type, /^application\/problem\+json/, `${what}: problem+json`)
  t.match(answer.body, { type: '/problems/service-unavailable', title: 'Service Unavailable', status: 503, detail: String }, `${what}: the problem names the cause`)
  t.equal(answer.retryAfter, '5', `${what}: with retry-after`)
}

async function listen (app: FastifyInstance): Promise<string> {
  await app.ready()
  return await app.listen({ port: 0, host: '127.0.0.1' })
}

t.test('PostgreSQL unreachable at start', { skip: skipOwnPostgres }, async (t) => {
  t.test('buildApp retries, then gives up after databaseStartupTimeoutMs with a message naming the database', async (t) => {
    const log: Logged[] = []
    const started = Date.now()
    const app = build(t, envOn(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`), log, { databaseStartupTimeoutMs: 2_000 })
    await t.rejects(app, { message: /^the database is unreachable \(gave up after 2 s\): .*ECONNREFUSED/ })
    const ms = Date.now() - started
    t.ok(ms >= 2_000 && ms < 2_000 + PROMPT_MS, `gave up after ${ms} ms`)
    t.ok(log.filter((l) => l.msg === 'the database is unreachable; retrying').length >= 2, 'each retry was logged as a warning')
  })

  t.test('a host name that does not resolve (yet) is retried too, and named in the message', async (t) => {
    const log: Logged[] = []
    const app = build(t, envOn('postgres://postgres@db.mechanic-shop.invalid:5432/postgres'), log, { databaseStartupTimeoutMs: 1_000 })
    // ENOTFOUND; EAI_AGAIN or pg's connect timeout where the machine has no DNS server at all.
    await t.rejects(app, { message: /^the database is unreachable \(gave up after 1 s\): .*(ENOTFOUND db\.mechanic-shop\.invalid|EAI_AGAIN|timeout exceeded when trying to connect)/ })
    t.ok(log.some((l) => l.msg === 'the database is unreachable; retrying'), 'retried: a container or service may not be in DNS yet')
  })

  t.test('the server process exits 1 after the default 20 s, with one line on stderr naming the database', async (t) => {
    const port = await freePort()
    const server = spawnServer(t, { ...envOn(`postgres://postgres@127.0.0.1:${port}/postgres`), LOG_LEVEL: 'info', PORT: '0' })
    // Bounded: 20 s of retries, plus however long a busy machine takes to load the server.
    let timer: NodeJS.Timeout | undefined
    const exit = await Promise.race([server.exited, new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), 150_000) })])
    clearTimeout(timer)
    if (exit === undefined) throw new Error(`the server was still running after 150 s; stderr: ${server.stderr()}`)
    t.equal(exit.code, 1, 'exit code 1')
    const lines = server.stderr().split('\n').filter((line) => line.trim() !== '')
    t.equal(lines.length, 1, 'one line on stderr', { stderr: server.stderr() })
    t.match(lines[0], /^Start-up failed: the database is unreachable \(gave up after 20 s\): .*ECONNREFUSED 127\.0\.0\.1:\d+$/, 'saying what failed and why')
    const retries = server.logs.filter((l) => l.msg === 'the database is unreachable; retrying')
    t.ok(retries.length >= 5, `${retries.length} retries, logged as warnings on stdout`)
    const first = Number(retries[0]?.time)
    t.ok(exit.at - first >= 17_000 && exit.at - first < 40_000, `gave up ${exit.at - first} ms after the first failure (20 s window)`)
    t.notOk(server.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('Server listening')), 'never listened')
  })

  t.test('the database comes up during the retry window: start-up succeeds', async (t) => {
    const postgres = await startPostgresServer(t, { started: false })
    const log: Logged[] = []
    const app = build(t, envOn(postgres.url), log, { databaseStartupTimeoutMs: 60_000 })
    await until('a retry warning', () => log.some((l) => l.msg === 'the database is unreachable; retrying'), 30_000, 50)
    await postgres.start()
    const ready = await app
    await ready.ready()
    t.ok(log.some((l) => l.msg === 'migration applied'), 'migrated once it was reachable')
    const health = await ready.inject({ method: 'GET', url: '/health' })
    t.equal(health.statusCode, 200)
    t.same(health.json(), { status: 'ok', database: 'up' })
  })
})

t.test('PostgreSQL lost while running, then back', { skip: skipOwnPostgres }, async (t) => {
  const postgres = await startPostgresServer(t)
  const log: Logged[] = []
  const app = await build(t, envOn(postgres.url), log)
  const base = await listen(app)
  const fixture = await seed(t, base)
  const routes = databaseRoutes(fixture)

  for (const route of routes) {
    const answer = await call(base, route.method, route.path, route)
    t.ok(answer.status >= 200 && answer.status < 300, `before: ${route.what} ${answer.status}`)
  }

  await postgres.stop()
  t.comment('PostgreSQL stopped (immediate)')

  // Twice round: the first requests may meet pooled connections that died with the server, the
  // second round only new connections, refused.
  for (const round of [1, 2]) {
    for (const route of routes) expectUnavailable(t, await call(base, route.method, route.path, route), `down, round ${round}: ${route.what}`)
  }
  const health = await call(base, 'GET', '/health')
  t.equal(health.status, 503, `/health: 503 (${health.ms} ms)`)
  t.ok(health.ms < PROMPT_MS, '/health answers promptly')
  t.same(health.body, { status: 'unavailable', database: 'down' })
  // A cached read may still be answered from the cache; it must not fail otherwise.
  const cached = await call(base, 'GET', '/inventory')
  t.ok(cached.status === 200 || cached.status === 503, `a cached read answers 200 (from the cache) or 503: ${cached.status}`)
  t.ok(cached.ms < PROMPT_MS, 'promptly')
  // Ten at once, more than the pool's ten connections: every one answered, none hung.
  const burst = await Promise.all(Array.from({ length: 12 }, () => call(base, 'GET', '/service-tickets', { token: fixture.mechanic })))
  t.same([...new Set(burst.map((a) => a.status))], [503], 'a burst of 12 concurrent requests: all 503')
  t.ok(Math.max(...burst.map((a) => a.ms)) < PROMPT_MS, `the slowest in ${Math.max(...burst.map((a) => a.ms))} ms`)
  t.notOk(log.some((l) => l.level >= 60), 'nothing fatal was logged')
  t.notOk(log.some((l) => l.level >= 50), 'no 503 was logged as an error')
  const outageStarts = log.filter((l) => l.msg === 'the database is unreachable: answering 503 until it is back')
  t.equal(outageStarts.length, 1, 'the outage was logged once, when it began')
  t.equal(outageStarts[0]?.level, 40, 'as a warning')

  await postgres.start()
  t.comment('PostgreSQL started again')
  const back = Date.now()
  await until('/health to answer 200', async () => (await call(base, 'GET', '/health')).status === 200, 30_000, 250)
  t.comment(`healthy again ${Date.now() - back} ms after PostgreSQL accepted connections`)
  for (const route of routes) {
    const answer = await call(base, route.method, route.path, route)
    t.ok(answer.status >= 200 && answer.status < 300, `after: ${route.what} ${answer.status}`, { body: answer.body })
  }
  const tickets = await call(base, 'GET', `/service-tickets/${fixture.ticketId}`, { token: fixture.mechanic })
  t.match(tickets.body, { id: fixture.ticketId, parts: [{ part_id: fixture.partId, quantity: 2 }] }, 'the writes before the outage survived it; the ones during it did nothing')
  await until('the end of the outage in the log', () => log.some((l) => l.msg === 'the database is reachable again'), 10_000, 50)
  const ends = log.filter((l) => l.msg === 'the database is reachable again')
  t.equal(ends.length, 1, 'the end of the outage was logged once')
  t.equal(ends[0]?.level, 40, 'as a warning')
  // Every route twice and the burst of 12 answered 503 from the database (/health and a cached read do not count).
  t.ok(Number(ends[0]?.unavailableAnswers) >= routes.length * 2 + 12, `with the count of 503s answered: ${String(ends[0]?.unavailableAnswers)}`)
})

t.test('PostgreSQL hung (every process stopped with SIGSTOP) while running', { skip: skipOwnPostgres }, async (t) => {
  const postgres = await startPostgresServer(t)
  const log: Logged[] = []
  const app = await build(t, envOn(postgres.url), log)
  const base = await listen(app)
  const fixture = await seed(t, base)
  const tickets = () => call(base, 'GET', '/service-tickets', { token: fixture.mechanic })
  // Concurrent, so that the pool holds several open connections when the server hangs.
  const before = await Promise.all(Array.from({ length: 6 }, tickets))
  t.same([...new Set(before.map((a) => a.status))], [200], 'before')

  postgres.pause()
  t.teardown(() => postgres.resume())
  const health = await call(base, 'GET', '/health')
  t.equal(health.status, 503, `/health: 503 in ${health.ms} ms`)
  t.ok(health.ms < PROMPT_MS, '/health answers promptly')

  const answers = await Promise.all([tickets(), tickets(), tickets()])
  const outcome = (answer: Answer) => answer.status === 0 ? `no answer within ${HANG_MS} ms` : `${answer.status} in ${answer.ms} ms`
  t.comment(`hung: ${answers.map(outcome).join(', ')}`)
  // pg's query_timeout (src/db/connect.ts) gives up on the silent server; the answer is a 503.
  await t.test('requests answer 503 within seconds instead of waiting for the server', async (t) => {
    for (const answer of answers) t.equal(answer.status, 503, outcome(answer))
  })

  postgres.resume()
  await until('/health to answer 200', async () => (await call(base, 'GET', '/health')).status === 200, 30_000, 250)
  t.equal((await tickets()).status, 200, 'resumed: requests succeed again by themselves')
})

t.test('DNS failures reaching the database are a 503, not a 500', async (t) => {
  for (const code of ['EAI_AGAIN', 'ENOTFOUND']) {
    const err = Object.assign(new Error(`getaddrinfo ${code} db.internal`), { code, syscall: 'getaddrinfo', hostname: 'db.internal' })
    t.ok(isConnectionError(err), `${code} is the database being unreachable`)
    t.match(toProblem(err), { status: 503, type: '/problems/service-unavailable' }, `${code}: 503 problem`)
    t.match(toProblem(new Error('wrapped', { cause: err })), { status: 503 }, `${code} as the cause of another error: 503`)
  }
})

/** Sends `head` (and `trickle`, a byte at a time every `everyMs`) and reads until the server closes. */
async function slowClient (port: number, head: string, trickle = '', everyMs = 100): Promise<{ response: string, ms: number, sent: number }> {
  return await new Promise((resolve, reject) => {
    const started = Date.now()
    const socket = net.connect({ host: '127.0.0.1', port })
    let response = ''
    let sent = 0
    let timer: NodeJS.Timeout | undefined
    const giveUp = setTimeout(() => { socket.destroy(); reject(new Error(`the server kept the slow connection open for ${HANG_MS} ms`)) }, HANG_MS)
    socket.setEncoding('utf8')
    socket.on('connect', () => {
      socket.write(head)
      if (trickle === '') return
      timer = setInterval(() => {
        if (sent < trickle.length && socket.writable) socket.write(trickle[sent++] ?? '')
      }, everyMs)
    })
    socket.on('data', (chunk: string) => { response += chunk })
    socket.on('error', () => {}) // a reset after the 408 is the server closing, which 'close' reports
    socket.on('close', () => {
      clearInterval(timer)
      clearTimeout(giveUp)
      resolve({ response, ms: Date.now() - started, sent })
    })
  })
}

t.test('slow clients are cut off, the server keeps serving', async (t) => {
  t.test('the limits are the ones chosen', async (t) => {
    const app = await buildApp(loadConfig({ env: await testEnv(t), dotenvPath: false }), { pgliteSnapshot: pgliteSnapshot() })
    t.teardown(() => app.close())
    t.equal(app.initialConfig.bodyLimit, 64 * 1024, 'bodyLimit 64 KiB')
    t.equal(app.initialConfig.connectionTimeout, 30_000, 'connectionTimeout 30 s (an idle socket)')
    t.equal(app.server.requestTimeout, 30_000, 'requestTimeout 30 s (a whole request)')
    // Node swaps the two when headersTimeout is the larger, and a body then had 60 s, not 30.
    t.ok(app.server.headersTimeout <= app.server.requestTimeout, `and its headersTimeout (${app.server.headersTimeout} ms) is within it`)
  })

  const REQUEST_TIMEOUT_MS = 1_000
  const app = await buildApp(loadConfig({ env: await testEnv(t), dotenvPath: false }), { requestTimeoutMs: REQUEST_TIMEOUT_MS, pgliteSnapshot: pgliteSnapshot() })
  t.teardown(() => app.close())
  const port = Number(new URL(await listen(app)).port)
  const body = JSON.stringify({ email: uniqueEmail('slow'), password: 'slow-password-1' })
  const head = `POST /customers/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`

  t.test('headers sent, body never sent: 408 and closed after the request timeout', async (t) => {
    const { response, ms } = await slowClient(port, head)
    t.match(response, /^HTTP\/1\.1 408 /, `408 Request Timeout (${ms} ms)`)
    t.ok(ms >= REQUEST_TIMEOUT_MS - 50 && ms < REQUEST_TIMEOUT_MS + 2_000, `closed ${ms} ms after connecting`)
  })

  t.test('a body trickled a byte every 100 ms, never finished: cut off all the same', async (t) => {
    // The socket is never idle for long, so only the whole-request timeout can end this.
    const { response, ms, sent } = await slowClient(port, head, body.slice(0, -1))
    t.match(response, /^HTTP\/1\.1 408 /, `408 Request Timeout after ${sent} of ${body.length} body bytes`)
    t.ok(ms < REQUEST_TIMEOUT_MS + 2_000, `closed ${ms} ms after connecting, while the client was still sending`)
    t.ok(sent < body.length - 1, 'before the trickle ran out')
  })

  t.test('meanwhile, and after, other clients are served', async (t) => {
    const hanging = slowClient(port, head)
    const [health, login] = await Promise.all([
      call(`http://127.0.0.1:${port}`, 'GET', '/health'),
      call(`http://127.0.0.1:${port}`, 'POST', '/customers/login', { body: JSON.parse(body) }),
    ])
    t.equal(health.status, 200)
    t.equal(login.status, 401, 'an unknown login is answered normally')
    await hanging
  })

  t.test('a body sent slowly but within the timeout is answered normally', async (t) => {
    const { response } = await slowClient(port, head.replace('\r\n\r\n', '\r\nConnection: close\r\n\r\n'), body, 5)
    t.match(response, /^HTTP\/1\.1 401 /, 'the login is answered (401: no such customer), not cut off')
  })
})
