// buildApp(config) assembles the API as a plain Fastify instance; only server.ts listens.
// The registration order is deliberate and each step depends on those before it.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { Config } from './config.js'
import { ensureBootstrapMechanic } from './db/mechanics.js'
import { createHandlers } from './handlers/index.js'
import { clientErrorHandler, MAX_HEADER_BYTES } from './lib/client-errors.js'
import { lazyChildLoggerFactory } from './lib/lazy-logger.js'
import { createDecoyHash, hashPassword, needsRehash, verifyPassword } from './lib/passwords.js'
import auth from './plugins/auth.js'
import caching from './plugins/caching.js'
import compression from './plugins/compression.js'
import contract from './contract/plugin.js'
import db from './plugins/db.js'
import hashing from './plugins/hashing.js'
import idempotency from './plugins/idempotency.js'
import limits from './plugins/limits.js'
import problems, { MAX_REQUEST_TARGET_LENGTH, sendProblem } from './plugins/problems.js'
import { badRequest, toProblem } from './errors.js'
import redis from './plugins/redis.js'
import securityHeaders from './plugins/security-headers.js'
import sessions from './plugins/sessions.js'
import validation from './plugins/validation.js'

export interface BuildOptions {
  logger?: FastifyServerOptions['logger']
  /** How long start-up retries an unreachable database (default 20 s). */
  databaseStartupTimeoutMs?: number
  /**
   * How long a client may take to send one whole request, headers and body (default 30 s); past it
   * the connection gets a 408 and is closed, however slowly the client keeps trickling bytes.
   * Lowered by tests only: the environment variables are fixed by the contract.
   */
  requestTimeoutMs?: number
  /** PGlite only: start from this dump of a migrated database (the test runner makes one). */
  pgliteSnapshot?: Blob
  /** How often expired idempotency keys are swept (default 15 minutes; 0: never, for tests). */
  idempotencySweepIntervalMs?: number
}

/** Fields that never reach a log line, wherever they appear in the logged object. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'password', '*.password', 'password_hash', '*.password_hash', 'token', '*.token',
  'refresh_token', '*.refresh_token', 'token_hash', '*.token_hash',
]

/**
 * JSON lines, one per event, for collectors and files; pino-pretty's readable lines (in a worker
 * thread, as a pino transport) only for a person at a terminal outside production.
 */
export function loggerOptions (config: Pick<Config, 'env' | 'logLevel'>, terminal: boolean): FastifyServerOptions['logger'] {
  const json = { level: config.logLevel, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } }
  if (config.env === 'production' || !terminal) return json
  return { ...json, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
}

export async function buildApp (config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const requestTimeout = options.requestTimeoutMs ?? 30_000
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config, process.stdout.isTTY === true),
    bodyLimit: 64 * 1024, // the largest valid body (a ticket description) is a few KiB
    connectionTimeout: 30_000,
    // The db plugin may retry an unreachable database, and a cold PGlite takes 10-20 s to start.
    pluginTimeout: (options.databaseStartupTimeoutMs ?? 20_000) + 60_000,
    requestTimeout,
    // Node needs requestTimeout when it creates the server: Fastify sets it afterwards, when Node
    // has already derived headersTimeout (60 s) from its own default, and a headersTimeout above
    // requestTimeout makes Node swap the two, so a body could take 60 s. Node also enforces them
    // only when it sweeps its connections, every 30 s by default: sweep at a tenth (at most 1 s).
    // maxHeaderSize: Node's default, set here so that a --max-http-header-size flag cannot move
    // the limit the contract states (431, src/lib/client-errors.ts).
    http: { requestTimeout, connectionsCheckingInterval: Math.min(1_000, Math.ceil(requestTimeout / 10)), maxHeaderSize: MAX_HEADER_BYTES },
    // Fastify's own 503 for a request that reaches routing while the server closes (one pipelined
    // or sent on a busy keep-alive connection) is JSON in its own shape: problems.ts answers it.
    return503OnClosing: false,
    // ids, pages and headers come from the contract; no route needs the case-insensitive or
    // trailing-slash leniency, and it would give one resource two URLs.
    // maxParamLength: the router's own limit (100) answered a longer path segment with a 414 of
    // its own, in plain JSON; the request-target limit (problems.ts) answers it as problem+json.
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: MAX_REQUEST_TARGET_LENGTH },
    childLoggerFactory: lazyChildLoggerFactory,
    clientErrorHandler,
    // A path that does not decode (`/inventory/%E0%A4%A`) is refused before routing, by Fastify
    // itself, in its own JSON shape unless it is handed over here.
    frameworkErrors: (err, req, reply) => sendProblem(req, reply, err.code === 'FST_ERR_BAD_URL'
      ? badRequest('The request path is not a valid URL.', [{ name: '/', in: 'path', reason: 'is not valid percent-encoded UTF-8' }])
      : toProblem(err)),
    // request.ip (rate limits, login limits, logs) is X-Forwarded-For's client only when the peer
    // that sent it is a listed proxy; from anyone else the header is ignored.
    trustProxy: config.trustedProxies.length > 0 ? [...config.trustedProxies] : false,
  })

  // One argon2id hash on the thread pool: it runs while the plugins below load and migrate.
  const decoyHash = createDecoyHash()
  decoyHash.catch(() => {}) // awaited below; this only stops an early failure counting as unhandled

  if (config.jwt.generated) {
    app.log.warn('JWT_SECRET is not set: using a random secret, so tokens will not survive a restart')
  }

  // 1. Validation: the AJV compilers must be set before any route is added.
  await app.register(validation)
  // 2. Redis, when configured: shared by the rate limiter and the response cache.
  await app.register(redis, { url: config.redisUrl })
  // 3. Rate limits: its onRoute hooks must see every route, and its onRequest hook run first.
  await app.register(limits, { ...config.rateLimit, behindProxy: config.trustedProxies.length > 0 })
  // 3b. One password hash in flight per client address, on the operations that take a password.
  await app.register(hashing)
  // 4. Problems: one error path for everything; the not-found handler is rate-limited too.
  await app.register(problems)
  // 5. Security headers and CORS, on every answer including errors.
  await app.register(securityHeaders)
  // 6. The database, migrated to the latest schema.
  await app.register(db, { database: config.database, startupTimeoutMs: options.databaseStartupTimeoutMs, pgliteSnapshot: options.pgliteSnapshot })
  // 7. Tokens and the bearer security handler.
  await app.register(auth, { secret: config.jwt.secret, expiresInSeconds: config.jwt.expiresInSeconds, issuer: config.jwt.issuer, audience: config.jwt.audience })
  // 8. Caching: reads the routes' x-cache / x-invalidates, so before the routes exist.
  await app.register(caching)
  // 9. Sessions: refresh tokens, logout, and endings told to every instance through Redis.
  await app.register(sessions, { refreshTokenTtlSeconds: config.refreshTokenTtlSeconds })
  // 10. Idempotent retries: the routes marked x-idempotent run their handlers through it.
  await app.register(idempotency, { sweepIntervalMs: options.idempotencySweepIntervalMs })

  if (config.bootstrapMechanic !== undefined) {
    const created = await ensureBootstrapMechanic(app.db, config.bootstrapMechanic, hashPassword)
    if (created) app.log.info({ email: config.bootstrapMechanic.email }, 'bootstrap mechanic created')
  }

  // 10b. Compression for the operations that opt in (the docs page).
  await app.register(compression)

  // 11. The routes, from the contract.
  await app.register(contract, {
    handlers: createHandlers({
      db: app.db,
      probeDatabase: app.probeDatabase,
      sessions: app.sessions,
      passwords: { hash: hashPassword, verify: verifyPassword, needsRehash, decoyHash: await decoyHash },
    }),
  })
  return app
}
