// Requests get a child logger that pino builds only when they first write: what they write must be
// exactly what an eager child would have written, bindings and redaction included.
import { Writable } from 'node:stream'
import Fastify, { type FastifyBaseLogger } from 'fastify'
import { sql } from 'kysely'
import t from 'tap'
import { buildApp, REDACTED_LOG_PATHS } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { LazyChildLogger } from '../src/lib/lazy-logger.js'
import { testEnv } from './helpers.js'

type Line = Record<string, unknown>

function capture (): { stream: Writable, lines: () => Line[] } {
  const chunks: string[] = []
  const stream = new Writable({
    write (chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString())
      done()
    },
  })
  return { stream, lines: () => chunks.join('').trim().split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line) }
}

t.test('builds the child only for a level that is on, and follows the parent\'s level', async (t) => {
  const { stream, lines } = capture()
  const parent = Fastify({ logger: { level: 'warn', stream, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } } }).log
  let built = 0
  const counting = Object.create(parent) as FastifyBaseLogger
  counting.child = (bindings, options) => { built++; return parent.child(bindings, options) }

  const log = new LazyChildLogger(counting, { reqId: 'req-7' })
  log.info('not at warn')
  log.debug({ a: 1 }, 'nor this')
  t.equal(built, 0, 'nothing written, nothing built')
  t.equal(log.level, 'warn')

  log.warn({ password: 'hunter2' }, 'careful %s', 'now')
  t.equal(built, 1)
  parent.level = 'info'
  log.info('on once the parent is at info')
  log.error(new Error('boom'))
  t.equal(built, 1, 'one child for the whole request')
  const nested = log.child({ step: 'inner' })
  nested.info('from a grandchild')

  const written = lines()
  t.match(written, [
    { level: 40, reqId: 'req-7', password: '[redacted]', msg: 'careful now' },
    { level: 30, reqId: 'req-7', msg: 'on once the parent is at info' },
    { level: 50, reqId: 'req-7', err: { message: 'boom' } },
    { level: 30, reqId: 'req-7', step: 'inner', msg: 'from a grandchild' },
  ])
  t.equal(written.length, 4)
})

t.test('the app at warn: a quiet request writes nothing, a failing one is logged with its id', async (t) => {
  const { stream, lines } = capture()
  const config = loadConfig({ env: await testEnv(t, { LOG_LEVEL: 'warn' }), dotenvPath: false })
  const app = await buildApp(config, { logger: { level: 'warn', stream, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } } })
  t.teardown(() => app.close())
  await app.ready()
  const atStart = lines().length // glue's start-up warnings

  t.equal((await app.inject({ method: 'GET', url: '/health' })).statusCode, 200)
  t.same(lines().slice(atStart), [], 'a healthy request writes nothing at warn')

  // A constraint the API does not know about turns a valid sign-up into a database error (a 500).
  await sql`alter table customers add constraint lazy_logger_probe check (name <> 'Lazy Probe')`.execute(app.db)
  const failed = await app.inject({ method: 'POST', url: '/customers', payload: { name: 'Lazy Probe', email: 'lazy-probe@example.com', phone: '+1 555 0100', password: 'Lazy-Probe-Password-1' } })
  await sql`alter table customers drop constraint lazy_logger_probe`.execute(app.db)
  t.equal(failed.statusCode, 500)
  const [line, ...rest] = lines().slice(atStart)
  t.match(line, { level: 50, msg: 'request failed', reqId: String, err: { code: '23514' } })
  t.same(rest, [])
  t.notMatch(JSON.stringify(line), 'Lazy-Probe-Password-1', 'the password stays out of the log')
})
