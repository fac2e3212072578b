// The only module that reads process.env: everything else receives a frozen, typed Config.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { parse as parseDuration } from '@lukeed/ms'
import dotenv from 'dotenv'
import envSchema from 'env-schema'
import { REPOSITORY_SECRETS } from './repository-secrets.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
/** A secret shorter than this is refused: HS256 wants at least 256 bits. */
export const MIN_SECRET_LENGTH = 32
/** The longest JWT_EXPIRES_IN: a stolen token is good for a day at most. */
export const MAX_TOKEN_LIFETIME_SECONDS = 86_400
const NODE_ENVS = ['development', 'test', 'production'] as const

const schema = {
  type: 'object',
  properties: {
    NODE_ENV: { type: 'string', enum: NODE_ENVS, default: 'development' },
    PORT: { type: 'integer', minimum: 0, maximum: 65535, default: 3000 },
    HOST: { type: 'string', minLength: 1, default: '127.0.0.1' },
    DATABASE_URL: { type: 'string', pattern: '^postgres(ql)?://' },
    PGLITE_DIR: { type: 'string', minLength: 1, default: './.data/pglite' },
    JWT_SECRET: { type: 'string', minLength: MIN_SECRET_LENGTH },
    JWT_ISSUER: { type: 'string', minLength: 1, maxLength: 200, default: 'mechanic-shop-api' },
    JWT_AUDIENCE: { type: 'string', minLength: 1, maxLength: 200, default: 'mechanic-shop-api' },
    JWT_EXPIRES_IN: { type: 'string', pattern: '^\\d+\\s*[smhd]?$', default: '1h' },
    REFRESH_TOKEN_TTL: { type: 'string', pattern: '^\\d+\\s*[smhd]?$', default: '30d' },
    REDIS_URL: { type: 'string', pattern: '^rediss?://' },
    RATE_LIMIT_MAX: { type: 'integer', minimum: 1, default: 300 },
    RATE_LIMIT_WINDOW: { type: 'string', minLength: 1, default: '1 minute' },
    LOGIN_RATE_LIMIT_MAX: { type: 'integer', minimum: 1, default: 10 },
    LOGIN_ACCOUNT_RATE_LIMIT_MAX: { type: 'integer', minimum: 1, default: 50 },
    BOOTSTRAP_MECHANIC_EMAIL: { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', maxLength: 254 },
    BOOTSTRAP_MECHANIC_PASSWORD: { type: 'string', minLength: 8, maxLength: 128 },
    BOOTSTRAP_MECHANIC_NAME: { type: 'string', minLength: 1, maxLength: 100, default: 'Shop admin' },
    LOG_LEVEL: { type: 'string', enum: LOG_LEVELS, default: 'info' },
    TRUST_PROXY: { type: 'string', minLength: 1 },
  },
} as const

interface RawEnv {
  NODE_ENV: (typeof NODE_ENVS)[number]
  PORT: number
  HOST: string
  DATABASE_URL?: string
  PGLITE_DIR: string
  JWT_SECRET?: string
  JWT_ISSUER: string
  JWT_AUDIENCE: string
  JWT_EXPIRES_IN: string
  REFRESH_TOKEN_TTL: string
  REDIS_URL?: string
  RATE_LIMIT_MAX: number
  RATE_LIMIT_WINDOW: string
  LOGIN_RATE_LIMIT_MAX: number
  LOGIN_ACCOUNT_RATE_LIMIT_MAX: number
  BOOTSTRAP_MECHANIC_EMAIL?: string
  BOOTSTRAP_MECHANIC_PASSWORD?: string
  BOOTSTRAP_MECHANIC_NAME: string
  LOG_LEVEL: (typeof LOG_LEVELS)[number]
  TRUST_PROXY?: string
}

export type DatabaseConfig =
  | { readonly kind: 'pg', readonly url: string }
  | { readonly kind: 'pglite', readonly dir: string }

export interface Config {
  readonly env: RawEnv['NODE_ENV']
  readonly port: number
  readonly host: string
  readonly logLevel: RawEnv['LOG_LEVEL']
  readonly database: DatabaseConfig
  readonly jwt: {
    readonly secret: string
    readonly expiresInSeconds: number
    readonly generated: boolean
    readonly issuer: string
    readonly audience: string
  }
  /** REFRESH_TOKEN_TTL: how long a refresh token, and so an idle session, lives. */
  readonly refreshTokenTtlSeconds: number
  readonly redisUrl: string | undefined
  readonly rateLimit: {
    readonly max: number
    /** RATE_LIMIT_WINDOW, parsed once here so a bad value stops start-up. */
    readonly windowMs: number
    readonly loginMax: number
    readonly loginAccountMax: number
    readonly signupMax: number
  }
  readonly bootstrapMechanic: { readonly email: string, readonly password: string, readonly name: string } | undefined
  /**
   * TRUST_PROXY: the reverse proxies whose `X-Forwarded-For` is believed, as addresses and CIDRs
   * (Fastify's `trustProxy`). Empty: the client is the socket's peer and no proxy header counts.
   */
  readonly trustedProxies: readonly string[]
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 }

/** `90`, `90s`, `15m`, `1h`, `7d` → seconds. The schema's pattern has already checked the form. */
function durationToSeconds (value: string, name: string, max = Number.MAX_SAFE_INTEGER, range = 'a positive duration'): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(value)
  const seconds = Number(match?.[1]) * (UNIT_SECONDS[match?.[2] || 's'] ?? 1)
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > max) throw new ConfigError(`Invalid configuration: env/${name} must be ${range}, got "${value}"`)
  return seconds
}

/**
 * RATE_LIMIT_WINDOW in milliseconds, in @fastify/rate-limit's own notation ("1 minute", "30s",
 * "60000"). The plugin, handed the string, turned a value it could not read into a window that
 * never ends: every client locked out for good after its first RATE_LIMIT_MAX requests.
 */
function rateLimitWindowMs (value: string): number {
  const ms = parseDuration(value)
  if (ms === undefined || !Number.isSafeInteger(ms) || ms < 1000) {
    throw new ConfigError(`Invalid configuration: env/RATE_LIMIT_WINDOW must be a duration of at least a second, such as "1 minute", got "${value}"`)
  }
  return ms
}

/**
 * TRUST_PROXY's comma-separated addresses and CIDRs, each checked here: Fastify would refuse a bad
 * one only when the app is built, with a message that does not name the variable.
 */
function trustedProxies (value: string | undefined): string[] {
  if (value === undefined) return []
  const entries = value.split(',').map((entry) => entry.trim())
  for (const entry of entries) {
    const [address = '', prefix, extra] = entry.split('/')
    const family = isIP(address)
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32))
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new ConfigError(`Invalid configuration: env/TRUST_PROXY must be comma-separated IP addresses or CIDRs (such as 10.0.0.0/8,::1), got ${JSON.stringify(entry)}`)
    }
  }
  return entries
}

export class ConfigError extends Error {
  override name = 'ConfigError'
}

function readDotenv (path: string): Record<string, string> {
  try {
    return dotenv.parse(readFileSync(path))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {}
    throw err
  }
}

/**
 * Validates the environment (with `.env` underneath it) and returns the typed config.
 * Throws ConfigError with a one-line message naming the bad variable.
 */
export function loadConfig ({ env = process.env, dotenvPath = '.env' as string | false } = {}): Config {
  const fromFile = dotenvPath === false ? {} : readDotenv(dotenvPath)
  // Empty strings mean "unset", as in most shells' `VAR= cmd`.
  const known = (source: Record<string, string | undefined>) => Object.fromEntries(
    Object.entries(source).filter(([key, value]) => key in schema.properties && value !== '' && value !== undefined),
  )
  const data = { ...known(fromFile), ...known(env) }
  let raw: RawEnv
  try {
    raw = envSchema<RawEnv>({ schema, data, env: false, dotenv: false })
  } catch (err) {
    throw new ConfigError(`Invalid configuration: ${(err as Error).message}`)
  }

  const production = raw.NODE_ENV === 'production'
  if (production && raw.JWT_SECRET === undefined) {
    throw new ConfigError('Invalid configuration: env/JWT_SECRET is required when NODE_ENV=production')
  }
  if (production && raw.JWT_SECRET !== undefined && REPOSITORY_SECRETS.has(raw.JWT_SECRET)) {
    throw new ConfigError('Invalid configuration: env/JWT_SECRET is a published example (it appears in the repository); choose your own when NODE_ENV=production')
  }
  if (production && raw.BOOTSTRAP_MECHANIC_PASSWORD !== undefined && REPOSITORY_SECRETS.has(raw.BOOTSTRAP_MECHANIC_PASSWORD)) {
    throw new ConfigError('Invalid configuration: env/BOOTSTRAP_MECHANIC_PASSWORD is a published example (it appears in the repository); choose your own when NODE_ENV=production')
  }
  if ((raw.BOOTSTRAP_MECHANIC_EMAIL === undefined) !== (raw.BOOTSTRAP_MECHANIC_PASSWORD === undefined)) {
    throw new ConfigError('Invalid configuration: env/BOOTSTRAP_MECHANIC_EMAIL and env/BOOTSTRAP_MECHANIC_PASSWORD must be set together')
  }

  return Object.freeze({
    env: raw.NODE_ENV,
    port: raw.PORT,
    host: raw.HOST,
    logLevel: raw.LOG_LEVEL,
    database: raw.DATABASE_URL !== undefined
      ? { kind: 'pg', url: raw.DATABASE_URL } as const
      : { kind: 'pglite', dir: raw.PGLITE_DIR } as const,
    jwt: {
      secret: raw.JWT_SECRET ?? randomBytes(32).toString('base64url'),
      // An access token cannot be revoked by itself before its session check, so it lives a day at most.
      expiresInSeconds: durationToSeconds(raw.JWT_EXPIRES_IN, 'JWT_EXPIRES_IN', MAX_TOKEN_LIFETIME_SECONDS, 'a duration from 1 second to 1 day'),
      generated: raw.JWT_SECRET === undefined,
      issuer: raw.JWT_ISSUER,
      audience: raw.JWT_AUDIENCE,
    },
    refreshTokenTtlSeconds: durationToSeconds(raw.REFRESH_TOKEN_TTL, 'REFRESH_TOKEN_TTL'),
    redisUrl: raw.REDIS_URL,
    rateLimit: {
      max: raw.RATE_LIMIT_MAX,
      windowMs: rateLimitWindowMs(raw.RATE_LIMIT_WINDOW),
      loginMax: raw.LOGIN_RATE_LIMIT_MAX,
      loginAccountMax: raw.LOGIN_ACCOUNT_RATE_LIMIT_MAX,
      // There is no variable of its own: sign-up shares the login limit's number, keyed per client.
      signupMax: raw.LOGIN_RATE_LIMIT_MAX,
    },
    bootstrapMechanic: raw.BOOTSTRAP_MECHANIC_EMAIL !== undefined && raw.BOOTSTRAP_MECHANIC_PASSWORD !== undefined
      ? { email: raw.BOOTSTRAP_MECHANIC_EMAIL, password: raw.BOOTSTRAP_MECHANIC_PASSWORD, name: raw.BOOTSTRAP_MECHANIC_NAME }
      : undefined,
    trustedProxies: Object.freeze(trustedProxies(raw.TRUST_PROXY)),
  })
}
