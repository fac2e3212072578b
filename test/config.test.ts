import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import t from 'tap'
import { loggerOptions } from '../src/app.js'
import { ConfigError, loadConfig } from '../src/config.js'
import { REPOSITORY_SECRETS } from '../src/repository-secrets.js'

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
  for (const [name, value] of [['PORT', 'eighty'], ['PORT', '70000'], ['LOG_LEVEL', 'loud'], ['DATABASE_URL', 'mysql://x'], ['JWT_EXPIRES_IN', 'forever'], ['REFRESH_TOKEN_TTL', 'forever'], ['REFRESH_TOKEN_TTL', '0'], ['REFRESH_TOKEN_TTL', '-1d'], ['REFRESH_TOKEN_TTL', '30 days'], ['RATE_LIMIT_MAX', '0'], ['RATE_LIMIT_WINDOW', 'soon'], ['RATE_LIMIT_WINDOW', '0'], ['RATE_LIMIT_WINDOW', '-1 minute'], ['REDIS_URL', 'http://x'], ['TRUST_PROXY', 'nginx'], ['TRUST_PROXY', '10.0.0.1,'], ['TRUST_PROXY', '10.0.0.0/33'], ['TRUST_PROXY', '::1/129'], ['TRUST_PROXY', '10.0.0.0/8/8'], ['TRUST_PROXY', '10.0.0.0/x'], ['TRUST_PROXY', '300.1.1.1']] as const) {
    const err = t.throws(() => load({ [name]: value })) as Error
    t.ok(err instanceof ConfigError, `${name}=${value} is a ConfigError`)
    t.match(err.message, new RegExp(name), `${name}=${value} is named`)
    t.notMatch(err.message, /\n/, 'one line')
  }
})

t.test('TRUST_PROXY: addresses and CIDRs, IPv4 and IPv6; unset trusts no proxy', async (t) => {
  t.same(load({}).trustedProxies, [])
  t.same(load({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1 ,::1,fd00::/8' }).trustedProxies, ['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8'])
  t.ok(Object.isFrozen(load({ TRUST_PROXY: '127.0.0.1' }).trustedProxies))
})

t.test('production requires a JWT_SECRET of at least 32 characters', async (t) => {
  t.throws(() => load({ NODE_ENV: 'production' }), /JWT_SECRET is required/)
  t.throws(() => load({ NODE_ENV: 'production', JWT_SECRET: 'short' }), /JWT_SECRET must NOT have fewer than 32/)
  t.equal(load({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).jwt.generated, false)
})

t.test('NODE_ENV is development, test or production; anything else stops start-up', async (t) => {
  for (const env of ['development', 'test', 'production']) t.equal(load({ NODE_ENV: env, JWT_SECRET: 'x'.repeat(32) }).env, env)
  for (const env of ['prod', 'Production', 'staging', 'production ']) t.throws(() => load({ NODE_ENV: env }), /NODE_ENV/, env)
})

t.test('JWT_EXPIRES_IN is at most a day; JWT_ISSUER and JWT_AUDIENCE default to the API name', async (t) => {
  t.equal(load({ JWT_EXPIRES_IN: '1d' }).jwt.expiresInSeconds, 86_400)
  t.equal(load({ JWT_EXPIRES_IN: '86400' }).jwt.expiresInSeconds, 86_400)
  for (const value of ['86401', '25h', '1441m', '2d', '0']) t.throws(() => load({ JWT_EXPIRES_IN: value }), /JWT_EXPIRES_IN must be a duration from 1 second to 1 day/, value)
  t.match(load({}).jwt, { issuer: 'mechanic-shop-api', audience: 'mechanic-shop-api' })
  t.match(load({ JWT_ISSUER: 'a', JWT_AUDIENCE: 'b' }).jwt, { issuer: 'a', audience: 'b' })
})

/** Every literal JWT secret or bootstrap password written in the repository, found by reading it. */
function secretsInRepository (): Set<string> {
  const files = execFileSync('git', ['ls-files', '-z'], { encoding: 'utf8' }).split('\0')
    .filter((f) => /\.(ts|js|json|md|example|ya?ml|sh)$|^\.env/.test(f) && !f.startsWith('generated/') && existsSync(f))
    .filter((f) => f !== 'test/config.test.ts') // this file's own inputs: examples of refusals, never deployed
  const patterns = [
    /(?:JWT_SECRET|_SECRET|BOOTSTRAP_MECHANIC_PASSWORD)\s*[:=]\s*['"`]([^'"`$\s]+)['"`](?!\.)/g, // code, not 'x'.repeat(32)
    /^#?\s*(?:JWT_SECRET|BOOTSTRAP_MECHANIC_PASSWORD)=([^$\s]\S*)/gm, // .env files; `$(…)` and `${…}` are shell, not secrets
    /(?:BOSS|BENCH_PASSWORD)\s*=\s*(?:\{[^}]*password:\s*)?'([^']+)'/g, // bootstrap accounts of tests, soak and bench
    /"key": "mechanicPassword",\s*"value": "([^"]+)"/g, // the Postman environment's bootstrap password
  ]
  const found = new Set<string>()
  for (const file of files) {
    const text = readFileSync(file, 'utf8')
    for (const pattern of patterns) for (const match of text.matchAll(pattern)) if (match[1] !== undefined) found.add(match[1])
  }
  return found
}

t.test('production refuses every secret and bootstrap password written in the repository', async (t) => {
  const found = secretsInRepository()
  // The scan itself works: it finds the suite's own secret and the Postman environment's password.
  for (const known of ['test-secret-that-is-long-enough-0123456789', 'hopper-1906-cobol']) t.ok(found.has(known), `found ${known} among ${[...found].join(', ')}`)
  for (const secret of found) t.ok(REPOSITORY_SECRETS.has(secret), `${secret} is in src/repository-secrets.ts`)
  const fine = { NODE_ENV: 'production', JWT_SECRET: 'a-secret-of-our-own-that-nobody-has-read-anywhere' }
  t.equal(load(fine).env, 'production')
  for (const secret of REPOSITORY_SECRETS) {
    if (secret.length >= 32) t.throws(() => load({ ...fine, JWT_SECRET: secret }), /JWT_SECRET is a published example/, secret)
    if (secret.length >= 8) t.throws(() => load({ ...fine, BOOTSTRAP_MECHANIC_EMAIL: 'a@b.co', BOOTSTRAP_MECHANIC_PASSWORD: secret }), /BOOTSTRAP_MECHANIC_PASSWORD is a published example/, secret)
    if (secret.length >= 32) t.equal(load({ JWT_SECRET: secret }).jwt.secret, secret, 'outside production it is fine')
  }
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

t.test('logs: readable lines for a person at a terminal outside production, JSON lines elsewhere', async (t) => {
  const development = load({})
  const production = load({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(40) })
  const pretty = loggerOptions(development, true) as { transport?: { target: string, options: Record<string, unknown> } }
  t.equal(pretty.transport?.target, 'pino-pretty', 'development on a terminal: pino-pretty')
  t.notOk((loggerOptions(development, false) as { transport?: unknown }).transport, 'development into a pipe or file: JSON lines')
  t.notOk((loggerOptions(production, true) as { transport?: unknown }).transport, 'production, even on a terminal: JSON lines')
  t.match(loggerOptions(production, false), { level: 'info', redact: { censor: '[redacted]' } }, 'the same level and redaction either way')

  // The transport really loads and writes readable lines (to a file here instead of the terminal).
  const file = join(mkdtempSync(join(tmpdir(), 'mst-pretty-')), 'log.txt')
  const logger = pino({ ...pretty, transport: { target: pretty.transport!.target, options: { ...pretty.transport!.options, colorize: false, destination: file } } } as pino.LoggerOptions)
  logger.info({ token: 'secret-token' }, 'hello from the pretty logger')
  await new Promise<void>((resolve) => logger.flush(() => resolve()))
  await new Promise((resolve) => setTimeout(resolve, 500)) // the transport's worker writes the file
  const written = readFileSync(file, 'utf8')
  t.match(written, /INFO.*hello from the pretty logger/, 'one readable line')
  t.throws(() => JSON.parse(written.split('\n')[0] ?? ''), 'not JSON')
  t.notMatch(written, /secret-token/, 'redaction still applies')
})
