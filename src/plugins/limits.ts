// Owns rate limiting: a blanket limit per client on every route, and the stricter named policies
// that operations declare in openapi.yaml with `x-rate-limit`. Counters live in Redis when there is
// one (shared by every instance) and fail open while it is unreachable.
// Register after redis and before problems (the not-found handler is limited too) and contract.
// @see https://github.com/fastify/fastify-rate-limit
import rateLimit, { type RateLimitOptions } from '@fastify/rate-limit'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import { HttpProblem } from '../errors.js'

export interface LimitsOptions {
  max: number
  window: string
  loginMax: number
  signupMax: number
}

export const RATE_LIMIT_POLICIES = ['login', 'signup'] as const
type Policy = (typeof RATE_LIMIT_POLICIES)[number]

/**
 * Login attempts count per client *and* email: one attacker spraying passwords cannot lock every
 * user out, and one account cannot be brute-forced from one address. Runs as a preHandler so the
 * body (and its email) has been parsed and validated.
 */
function loginKey (req: FastifyRequest): string {
  const email = (req.body as { email?: unknown } | undefined)?.email
  return `login|${req.ip}|${typeof email === 'string' ? email.toLowerCase() : ''}`
}

function policy (name: Policy, opts: LimitsOptions): RateLimitOptions {
  switch (name) {
    case 'login': return { max: opts.loginMax, timeWindow: opts.window, hook: 'preHandler', keyGenerator: loginKey }
    case 'signup': return { max: opts.signupMax, timeWindow: opts.window, keyGenerator: (req) => `signup|${req.ip}` }
  }
}

const isPolicy = (value: unknown): value is Policy => RATE_LIMIT_POLICIES.includes(value as Policy)

async function limits (app: FastifyInstance, opts: LimitsOptions): Promise<void> {
  // Must run before @fastify/rate-limit's own onRoute hook, which reads config.rateLimit.
  app.addHook('onRoute', (route: RouteOptions) => {
    const declared = (route.schema as Record<string, unknown> | undefined)?.['x-rate-limit']
    if (declared === undefined) return
    if (!isPolicy(declared)) throw new Error(`${route.url}: unknown x-rate-limit policy ${String(declared)}`)
    route.config = { ...(route.config as object), rateLimit: policy(declared, opts) }
  })

  await app.register(rateLimit, {
    global: true,
    max: opts.max,
    timeWindow: opts.window,
    ...(app.redis === undefined ? {} : { redis: app.redis, nameSpace: 'mst:rate-limit:' }),
    skipOnError: true, // Redis down: serve rather than fail (fail open), see plugins/redis.ts
    errorResponseBuilder: (_req, context) =>
      Object.assign(new HttpProblem(429, 'Too Many Requests', `Rate limit exceeded; retry in ${context.after}.`), { statusCode: 429 }),
  })
}

export default fp(limits, { name: 'limits', dependencies: ['redis'] })
