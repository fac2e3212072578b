// Owns the optional Redis connection shared by the rate limiter and the response cache. Redis is an
// accelerator here, never a dependency: while it is unreachable, commands fail at once (no offline
// queue, so no request waits on it), callers fall back, and the client reconnects by itself.
// Register before limits and caching. @see https://github.com/redis/ioredis
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import type { FastifyInstance } from 'fastify'

declare module 'fastify' {
  interface FastifyInstance {
    /** Undefined when REDIS_URL is unset: everything then stays in this process. */
    redis: Redis | undefined
  }
}

interface RedisOptions {
  url: string | undefined
}

/** How long a Redis outage may be logged about before the next warning. */
const WARN_EVERY_MS = 30_000

async function redis (app: FastifyInstance, opts: RedisOptions): Promise<void> {
  if (opts.url === undefined) {
    app.decorate('redis', undefined)
    return
  }
  // Loaded only when configured: most single-instance deployments never need it.
  const { Redis } = await import('ioredis')
  const client = new Redis(opts.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    lazyConnect: true,
  })

  let lastWarning = 0
  let closing = false
  const warnUnreachable = (reason: string) => {
    const now = Date.now()
    if (closing || now - lastWarning < WARN_EVERY_MS) return
    lastWarning = now
    app.log.warn({ err: { message: reason } }, 'Redis is unreachable: rate limits and cache fall back until it returns')
  }
  client.on('error', (err: Error) => { warnUnreachable(err.message) })
  // A lost connection is reported when it is lost: ioredis emits 'error' only once a reconnection
  // attempt fails, a retry delay later, while requests are already falling back.
  client.on('close', () => { warnUnreachable('connection closed') })
  client.on('ready', () => {
    if (lastWarning !== 0) app.log.info('Redis is reachable again')
    lastWarning = 0
  })

  try {
    await client.connect()
  } catch (err) {
    app.log.warn({ err: { message: (err as Error).message } }, 'Redis is unreachable at start: continuing without it for now')
  }
  app.decorate('redis', client)
  app.addHook('onClose', async () => {
    closing = true
    client.disconnect()
  })
}

export default fp(redis, { name: 'redis' })
