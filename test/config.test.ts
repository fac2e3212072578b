import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

const load = (env: Record<string, string>, dotenvPath: string | false = false) => loadConfig({ env, dotenvPath })

t.test('defaults: PGlite in ./.data/pglite, port 3000 on 127.0.0.1, a generated secret', async (t) => {
  const config = load({})
  t.same(config.database, { kind: 'pglite', dir: './.data/pglite' })
  t.equal(config.port, 3000)
  t.equal(config.host, '127.0.0.1')
  t.equal(config.jwt.generated, true)
  t.ok(config.jwt.secret.length >= 32)
  t.equal(config.jwt.expiresInSeconds, 3600)
  t.equal(config.refreshTokenTtlSeconds, 30 * 86400, 'REFRESH_TOKEN_TTL: 30 days')
  t.equal(config.redisUrl, undefined)
  t.equal(config.bootstrapMechanic, undefined)
  t.equal(config.logLevel, 'info')
  t.ok(Object.isFrozen(config))
})

t.test('DATABASE_URL selects PostgreSQL; values are coerced', async (t) => {
  const config = load({ DATABASE_URL: 'postgres://u@h:5432/db', PORT: '8080', RATE_LIMIT_MAX: '7', JWT_EXPIRES_IN: '15m' })
  t.same(config.database, { kind: 'pg', url: 'postgres://u@h:5432/db' })
  t.equal(config.port, 8080)
  t.equal(config.rateLimit.max, 7)
  t.equal(config.rateLimit.windowMs, 60_000, 'the default window, one minute')
  t.equal(load({ RATE_LIMIT_WINDOW: '30s' }).rateLimit.windowMs, 30_000)
  t.equal(load({ RATE_LIMIT_WINDOW: '2 hours' }).rateLimit.windowMs, 7_200_000)
  t.equal(config.jwt.expiresInSeconds, 900)
  t.equal(load({ REFRESH_TOKEN_TTL: '7d' }).refreshTokenTtlSeconds, 7 * 86400)
  t.equal(load({ REFRESH_TOKEN_TTL: '90' }).refreshTokenTtlSeconds, 90)
})

t.test('an invalid value stops start-up with one line naming the variable', async (t) => {
  for (const [name, value] of [['PORT', 'eighty'], ['PORT', '70000'], ['LOG_LEVEL', 'loud'], ['DATABASE_URL', 'mysql://x'], ['JWT_EXPIRES_IN', 'forever'], ['REFRESH_TOKEN_TTL', 'forever'], ['REFRESH_TOKEN_TTL', '0'], ['REFRESH_TOKEN_TTL', '-1d'], ['REFRESH_TOKEN_TTL', '30 days'], ['RATE_LIMIT_MAX', '0'], ['RATE_LIMIT_WINDOW', 'soon'], ['RATE_LIMIT_WINDOW', '0'], ['RATE_LIMIT_WINDOW', '-1 minute'], ['REDIS_URL', 'http://x']] as const) {
    const err = t.throws(() => load({ [name]: value })) as Error
    t.ok(err instanceof ConfigError, `${name}=${value} is a ConfigError`)
    t.match(err.message, new RegExp(name), `${name}=${value} is named`)
    t.notMatch(err.message, /\n/, 'one line')
  }
})

t.test('production requires a JWT_SECRET of at least 32 characters', async (t) => {
  t.throws(() => load({ NODE_ENV: 'production' }), /JWT_SECRET is required/)
  t.throws(() => load({ NODE_ENV: 'production', JWT_SECRET: 'short' }), /JWT_SECRET must be at least 32/)
  t.equal(load({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).jwt.generated, false)
})

t.test('bootstrap email and password go together', async (t) => {
  t.throws(() => load({ BOOTSTRAP_MECHANIC_EMAIL: 'a@b.co' }), /BOOTSTRAP_MECHANIC_PASSWORD/)
  t.same(load({ BOOTSTRAP_MECHANIC_EMAIL: 'a@b.co', BOOTSTRAP_MECHANIC_PASSWORD: 'long-enough' }).bootstrapMechanic,
    { email: 'a@b.co', password: 'long-enough', name: 'Shop admin' })
})

t.test('.env is read underneath the environment, and empty values mean unset', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mst-env-'))
  const file = join(dir, '.env')
  writeFileSync(file, 'PORT=4000\nHOST=0.0.0.0\nLOG_LEVEL=debug\n')
  const config = load({ HOST: '127.0.0.2', LOG_LEVEL: '' }, file)
  t.equal(config.port, 4000, 'from .env')
  t.equal(config.host, '127.0.0.2', 'the environment wins')
  t.equal(config.logLevel, 'debug', 'an empty variable does not hide .env')
  t.equal(load({}, join(dir, 'missing.env')).port, 3000, 'a missing .env is fine')
})
