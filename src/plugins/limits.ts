// Owns rate limiting: a blanket limit per client on every route, and on top of it the stricter named
// policies that operations declare in openapi.yaml with `x-rate-limit`. Counters live in Redis when
// there is one (shared by every instance), and in this process while it is unreachable.
// Register after redis and before problems (the not-found handler is limited too) and contract.
// @see https://github.com/fastify/fastify-rate-limit
import { createRequire } from 'node:module'
import fastifyRateLimit, { normalizeIP, type CreateRateLimitOptions, type FastifyRateLimitStore } from '@fastify/rate-limit'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions, onRequestHookHandler } from 'fastify'
import { HttpProblem } from '../errors.js'
import { toArray } from '../lib/hooks.js'

interface LimitsOptions {
  max: number
  windowMs: number
  loginMax: number
  loginAccountMax: number
  signupMax: number
  /** TRUST_PROXY is set: the client comes from X-Forwarded-For, and may change on one connection. */
  behindProxy: boolean
}

const RATE_LIMIT_POLICIES = ['login', 'signup', 'refresh'] as const
type Policy = (typeof RATE_LIMIT_POLICIES)[number]

type ClientKey = (req: FastifyRequest) => string

declare module 'fastify' {
  interface FastifyInstance {
    /** The client a request counts against in every limit (see clientKey). */
    clientKey: (req: FastifyRequest) => string
  }
}

/**
 * The client's key for every limit: request.ip, which is X-Forwarded-For's client when the peer is
 * a trusted proxy (TRUST_PROXY), and as the plugin does by default, an IPv6 client is its /64, or
 * one host could rotate past every limit. Behind a proxy one keep-alive connection carries many
 * clients, so the key is read from each request; otherwise a connection's peer never changes and
 * its key is worked out once, not on every keep-alive request.
 */
function clientKey (behindProxy: boolean): ClientKey {
  if (behindProxy) return (req) => normalizeIP(req.ip)
  const clientOfConnection = new WeakMap<object, string>()
  return (req) => {
    const connection = req.raw.socket as object | null
    if (connection === null) return normalizeIP(req.ip)
    let key = clientOfConnection.get(connection)
    if (key === undefined) clientOfConnection.set(connection, key = normalizeIP(req.ip))
    return key
  }
}

/**
 * Login attempts count twice. Per client, across every email and both login routes
 * (LOGIN_RATE_LIMIT_MAX): one address cannot spray a password over many accounts. Per account,
 * across every address (LOGIN_ACCOUNT_RATE_LIMIT_MAX, looser): many addresses cannot brute-force
 * one account, while its owner is locked out only by a guessing campaign that large. The checks
 * run as preHandlers, so the body has been validated; a request refused per client does not count
 * against the account.
 */
function loginAccountKey (req: FastifyRequest): string {
  const email = (req.body as { email?: unknown } | undefined)?.email
  return `login-account|${req.routeOptions.url ?? ''}|${typeof email === 'string' ? email.toLowerCase() : ''}`
}

function policy (name: Policy, opts: LimitsOptions, client: ClientKey): CreateRateLimitOptions[] {
  switch (name) {
    case 'login': return [
      { max: opts.loginMax, timeWindow: opts.windowMs, keyGenerator: (req) => `login|${client(req)}` },
      { max: opts.loginAccountMax, timeWindow: opts.windowMs, keyGenerator: loginAccountKey },
    ]
    case 'signup': return [{ max: opts.signupMax, timeWindow: opts.windowMs, keyGenerator: (req) => `signup|${client(req)}` }]
    // A refresh token is a secret as guessable as a password is: the login limit's number, per
    // client, in a bucket of its own so refreshing never spends a client's login attempts.
    case 'refresh': return [{ max: opts.loginMax, timeWindow: opts.windowMs, keyGenerator: (req) => `refresh|${client(req)}` }]
  }
}

const isPolicy = (value: unknown): value is Policy => RATE_LIMIT_POLICIES.includes(value as Policy)

const tooManyRequests = (seconds: number): HttpProblem =>
  Object.assign(new HttpProblem(429, 'Too Many Requests', `Rate limit exceeded; retry in ${seconds} second${seconds === 1 ? '' : 's'}.`), { statusCode: 429 })

// The plugin's stores are CommonJS without typings; the version is pinned in package.json.
type StoreCtor<A extends unknown[]> = new (...args: A) => FastifyRateLimitStore
const require = createRequire(import.meta.url)
const RedisStore = require('@fastify/rate-limit/store/RedisStore') as StoreCtor<[continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, prefix: string]>
const LocalStore = require('@fastify/rate-limit/store/LocalStore') as StoreCtor<[continueExceeding: boolean, exponentialBackoff: boolean]>

/**
 * Counts in Redis while it answers and in this process while it does not (or when a command fails
 * or times out), so an outage leaves every limit holding per instance instead of lifting them all:
 * a login brute force still meets its limit, and no request fails on Redis. `child` shares the
 * store: every policy's key names the policy, so one namespace serves them all.
 */
function failoverStore (redis: Redis): FastifyRateLimitStore {
  const shared = new RedisStore(false, false, redis, 'mst:rate-limit:')
  const local = new LocalStore(false, false)
  const store: FastifyRateLimitStore = {
    incr: (key, done, timeWindow, max) => {
      if (redis.status !== 'ready') return local.incr(key, done, timeWindow, max)
      shared.incr(key, (err, result) => err === null ? done(null, result) : local.incr(key, done, timeWindow, max), timeWindow, max)
    },
    child: () => store,
  }
  return store
}

/** The plugin builds its store from a class: this one hands it the store the blanket hook counts in. */
const storeClass = (store: FastifyRateLimitStore): StoreCtor<[unknown]> => class {
  incr: FastifyRateLimitStore['incr'] = (...args) => store.incr(...args)
  child: FastifyRateLimitStore['child'] = (routeOptions) => store.child(routeOptions)
}

/**
 * The blanket limit, on every route: the plugin's own counting (its store, its key, its headers,
 * its skipOnError), in a callback hook. The plugin's hook awaits a key generator, a promise around
 * the store and an async function per request: about 6 of a cached read's 35 µs of CPU.
 */
function blanketLimit (counters: FastifyRateLimitStore, opts: LimitsOptions, client: ClientKey): onRequestHookHandler {
  return function rateLimit (req, reply, done) {
    counters.incr(client(req), (err, counted) => {
      if (err !== null || counted === undefined) return done() // a store error serves the request rather than failing it
      const resetSeconds = Math.ceil(counted.ttl / 1000)
      reply.header('x-ratelimit-limit', opts.max)
        .header('x-ratelimit-remaining', Math.max(0, opts.max - counted.current))
        .header('x-ratelimit-reset', resetSeconds)
      if (counted.current <= opts.max) return done()
      reply.header('retry-after', resetSeconds)
      done(tooManyRequests(resetSeconds))
    }, opts.windowMs, opts.max)
  }
}

async function limits (app: FastifyInstance, opts: LimitsOptions): Promise<void> {
  const counters = app.redis === undefined ? new LocalStore(false, false) : failoverStore(app.redis)
  await app.register(fastifyRateLimit, {
    // Not global: blanketLimit, below, takes the place of the plugin's per-route hook. They share
    // one store, so the not-found handler (app.rateLimit(), problems.ts) draws on the same budget.
    global: false,
    max: opts.max,
    timeWindow: opts.windowMs,
    store: storeClass(counters),
    skipOnError: true, // a store error serves the request rather than failing it
    errorResponseBuilder: (_req, context) => tooManyRequests(Math.ceil(context.ttl / 1000)),
  })
  const client = clientKey(opts.behindProxy)
  app.decorate('clientKey', client)
  const blanket = blanketLimit(counters, opts, client)

  // A policy is a second limit after the blanket one, not a replacement for it: a per-route
  // `config.rateLimit` would replace it, and the plugin runs only one of its own hooks per request.
  const enforcers = new Map<Policy, (req: FastifyRequest, reply: FastifyReply) => Promise<void>>()
  const enforcer = (name: Policy) => {
    const checks = policy(name, opts, client).map((options) => app.createRateLimit(options))
    return async function enforcePolicy (req: FastifyRequest, reply: FastifyReply): Promise<void> {
      for (const check of checks) {
        const limit = await check(req)
        if (limit.isAllowed) continue
        // The headers describe whichever limit the client will meet first.
        const shownRemaining = reply.getHeader('x-ratelimit-remaining')
        if (limit.isExceeded || shownRemaining === undefined || limit.remaining <= Number(shownRemaining)) {
          reply.header('x-ratelimit-limit', limit.max)
            .header('x-ratelimit-remaining', limit.remaining)
            .header('x-ratelimit-reset', limit.ttlInSeconds)
        }
        if (!limit.isExceeded) continue
        reply.header('retry-after', limit.ttlInSeconds)
        throw tooManyRequests(limit.ttlInSeconds)
      }
    }
  }
  app.addHook('onRoute', (route: RouteOptions) => {
    // First of the route's own onRequest hooks, so a refused caller costs no token check.
    route.onRequest = [blanket, ...toArray(route.onRequest)]
    const declared = (route.schema as Record<string, unknown> | undefined)?.['x-rate-limit']
    if (declared === undefined) return
    if (!isPolicy(declared)) throw new Error(`${route.url}: unknown x-rate-limit policy ${String(declared)}`)
    let enforce = enforcers.get(declared)
    if (enforce === undefined) enforcers.set(declared, enforce = enforcer(declared))
    route.preHandler = [...toArray(route.preHandler), enforce]
  })
}

export default fp(limits, { name: 'limits', dependencies: ['redis'] })
