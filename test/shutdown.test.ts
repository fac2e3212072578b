// Graceful shutdown of the real server process: on SIGTERM it stops accepting connections, lets the
// requests already in flight finish with their normal answers, closes the database pool (and Redis),
// and exits 0, well inside close-with-grace's 10 s delay. Runs on both passes: PGlite in memory, or
// a throwaway PostgreSQL database on the TEST_DRIVER=pg pass (with Redis when REDIS_URL is set).
import http from 'node:http'
import net from 'node:net'
import t from 'tap'
import { claimRedisDb, type LogLine, startServer, testEnv, uniqueEmail } from './helpers.js'

/** close-with-grace's delay in src/server.ts: past it the process is killed with exit 1. */
const GRACE_MS = 10_000

interface Answer { status: number, headers: http.IncomingHttpHeaders, body: string }

/**
 * A JSON request whose headers and first half of the body go out at once, and whose second half
 * waits for release(): the server has started it (logged "incoming request") but cannot finish it.
 */
function heldRequest (agent: http.Agent, base: string, method: string, path: string, payload: unknown, localAddress?: string): { release: () => void, answer: Promise<Answer> } {
  const body = Buffer.from(JSON.stringify(payload))
  const half = Math.floor(body.length / 2)
  const req = http.request(new URL(path, base), {
    method,
    agent,
    localAddress,
    headers: { 'content-type': 'application/json', 'content-length': String(body.length) },
  })
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }))
      res.on('error', reject)
    })
    req.on('error', reject)
  })
  req.write(body.subarray(0, half))
  return { release: () => { req.end(body.subarray(half)) }, answer }
}

/** What a brand-new TCP connection to the port gets: 'connected' or the error code. */
async function connectOutcome (port: number): Promise<string> {
  return await new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port })
    socket.setTimeout(2_000, () => { socket.destroy(); resolve('timeout') })
    socket.once('connect', () => { socket.destroy(); resolve('connected') })
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message))
  })
}

function within<T> (ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms) })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

const isMsg = (msg: string) => (line: LogLine) => line.msg === msg

t.test('SIGTERM with requests in flight: they finish, new connections are refused, exit 0', async (t) => {
  const redis = await claimRedisDb(t)
  const env = await testEnv(t, { PORT: '0', LOG_LEVEL: 'info', ...(redis === undefined ? {} : { REDIS_URL: redis.url }) })
  const server = await startServer(t, env)
  const base = server.url()
  const port = Number(new URL(base).port)
  t.comment(`server on ${base} (${env.DATABASE_URL === undefined ? 'PGlite' : 'PostgreSQL'}${redis === undefined ? '' : ', Redis'})`)

  // Keep-alive, held open like a reverse proxy holds them: the server must close them itself.
  const agent = new http.Agent({ keepAlive: true, timeout: 60_000 })
  t.teardown(() => agent.destroy())

  const account = { email: uniqueEmail('shutdown'), password: 'shutdown-password-1' }
  const signUp = heldRequest(agent, base, 'POST', '/customers', { name: 'Early Customer', phone: '+1 555 0100', ...account })
  signUp.release()
  t.equal((await within(30_000, 'sign-up', signUp.answer)).status, 201, 'a customer to log in as')

  // In flight at SIGTERM: logins (each verifies a password hash on the thread pool) and a sign-up,
  // all started by the server and all waiting for the rest of their bodies. Each from an address of
  // its own: a client gets one password check at a time (src/plugins/hashing.ts).
  const LOGINS = 6
  const logins = Array.from({ length: LOGINS }, (_, i) => heldRequest(agent, base, 'POST', '/customers/login', account, `127.0.0.${10 + i}`))
  const lateSignUp = heldRequest(agent, base, 'POST', '/customers', { name: 'Late Customer', phone: '+1 555 0101', email: uniqueEmail('late'), password: 'late-password-12' }, '127.0.0.9')
  const started = (url: string) => server.logs.filter((l) => l.msg === 'incoming request' && (l.req as { url?: string } | undefined)?.url === url).length
  const deadline = Date.now() + 30_000
  while (started('/customers/login') < LOGINS || started('/customers') < 2) {
    if (Date.now() > deadline) throw new Error(`the server logged ${started('/customers/login')} of ${LOGINS} held logins and ${started('/customers') - 1} of 1 held sign-up`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }

  const sigtermAt = Date.now()
  server.child.kill('SIGTERM')
  await server.waitForLog(isMsg('closing'), '"closing"', 15_000)

  // The listening socket closes at once; a new connection is refused (a reset only in the instant
  // between accept and close), while the held requests are still waiting.
  let outcome = await connectOutcome(port)
  for (const until = Date.now() + 5_000; outcome !== 'ECONNREFUSED' && Date.now() < until;) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    outcome = await connectOutcome(port)
  }
  t.equal(outcome, 'ECONNREFUSED', 'a new connection is refused once closing has begun')
  t.equal(server.child.exitCode, null, 'and the process waits for the requests in flight')

  for (const request of [...logins, lateSignUp]) request.release()
  const answers = await within(30_000, 'the held requests', Promise.all(logins.map((l) => l.answer)))
  for (const [i, answer] of answers.entries()) {
    t.equal(answer.status, 200, `login ${i + 1} of ${LOGINS}, in flight at SIGTERM, succeeds`, { body: answer.body })
    t.match(JSON.parse(answer.body), { token: String, token_type: 'Bearer' })
  }
  const late = await within(30_000, 'the held sign-up', lateSignUp.answer)
  t.equal(late.status, 201, 'the sign-up in flight at SIGTERM is created', { body: late.body })
  t.match(late.headers.location, /^\/customers\/\d+$/)

  const exit = await within(GRACE_MS + 5_000, 'process exit', server.exited)
  t.equal(exit.code, 0, 'exits 0', { stderr: server.stderr() })
  t.ok(exit.at - sigtermAt < GRACE_MS, `within the grace delay (${exit.at - sigtermAt} ms after SIGTERM)`)
  t.notMatch(server.stderr(), /killed by timeout/, 'not killed by close-with-grace')
  // Presence, not order: pino writes stdout asynchronously and flushes what is left synchronously
  // at exit, so the last lines can come out in another order than they were logged.
  t.ok(server.logs.some(isMsg('database connections closed')), 'the database pool was closed (its onClose hook ran)')
  t.ok(server.logs.some((l) => l.msg === 'closed' && l.signal === 'SIGTERM'), 'app.close() completed: every connection (database, Redis) is released')
  t.notOk(server.logs.some((l) => l.level >= 50), 'nothing was logged as an error', { errors: server.logs.filter((l) => l.level >= 50) })
})
