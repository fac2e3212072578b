// Several instances started at the same moment on one empty PostgreSQL database: the migrations run
// once (Kysely's migrator takes a PostgreSQL advisory lock), the bootstrap mechanic is created once
// (an insert that does nothing on a duplicate email), and every instance serves. PGlite is one
// process's own database, so this runs on PostgreSQL only.
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { BOSS, expectContract, testEnv, usingPostgres } from './helpers.js'

const INSTANCES = 4

interface LogLine { msg?: string, migration?: string }

t.test('instances started at once on an empty database', { skip: !usingPostgres() && 'PostgreSQL only (TEST_DATABASE_URL): PGlite belongs to one process' }, async (t) => {
  const env = await testEnv(t) // a fresh, empty database of its own
  const logs: LogLine[][] = Array.from({ length: INSTANCES }, () => [])
  const starting = logs.map(async (lines) => {
    const stream = new Writable({
      write (chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as LogLine)
        done()
      },
    })
    const app = await buildApp(loadConfig({ env: { ...env, LOG_LEVEL: 'info' }, dotenvPath: false }), { logger: { level: 'info', stream } })
    t.teardown(() => app.close())
    await app.ready()
    return app
  })
  const started = await Promise.allSettled(starting)
  const failures = started.flatMap((s) => s.status === 'rejected' ? [String(s.reason)] : [])
  t.same(failures, [], 'every instance started')
  const apps = started.flatMap((s) => s.status === 'fulfilled' ? [s.value] : [])
  if (apps.length !== INSTANCES) return
  const db = (apps[0] as FastifyInstance).db

  const applied = await sql<{ name: string, times: number }>`select name, count(*)::int as times from kysely_migration group by name`.execute(db)
  t.ok(applied.rows.length > 0, 'the migrations were applied')
  t.ok(applied.rows.every((row) => row.times === 1), 'each once')
  const appliedLines = logs.flat().filter((line) => line.msg === 'migration applied').map((line) => line.migration)
  t.same(appliedLines.sort(), applied.rows.map((row) => row.name).sort(), 'each migration applied by exactly one instance')
  t.equal(logs.filter((lines) => lines.some((line) => line.msg === 'migration applied')).length, 1, 'and all of them by the same one')

  const bosses = await db.selectFrom('mechanics').select('id').where(sql`lower(email)`, '=', BOSS.email.toLowerCase()).execute()
  t.equal(bosses.length, 1, 'one bootstrap mechanic')
  t.equal(logs.flat().filter((line) => line.msg === 'bootstrap mechanic created').length, 1, 'created by one instance')

  for (const [i, app] of apps.entries()) {
    const health = await app.inject({ method: 'GET', url: '/health' })
    t.equal(health.statusCode, 200, `instance ${i + 1} is ready`)
    t.doesNotThrow(() => expectContract(health, 'getHealth'))
    const login = await app.inject({ method: 'POST', url: '/mechanics/login', payload: { email: BOSS.email, password: BOSS.password } })
    t.equal(login.statusCode, 200, `instance ${i + 1} logs the bootstrap mechanic in`)
  }
})
