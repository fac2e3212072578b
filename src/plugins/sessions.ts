// Owns sessions (API.md Part 4): starting one per login, rotating refresh tokens, ending sessions,
// telling every instance which sessions ended (Redis pub/sub), answering "is this session alive"
// for the bearer check, and sweeping expired sessions. Register after db, redis and auth, before
// contract. @see https://www.rfc-editor.org/rfc/rfc9700#section-4.14.2
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Kysely } from 'kysely'
import { loggable } from '../errors.js'
import {
  deleteSession,
  insertSession,
  liveSessionUntil,
  rotateRefreshToken,
  sweepExpired,
  type SessionAccount,
} from '../db/sessions.js'
import type { Database } from '../db/schema.js'
import { LiveSessions } from '../lib/live-sessions.js'
import type { Role, Token } from './auth.js'

declare module 'fastify' {
  interface FastifyInstance {
    sessions: Sessions
  }
}

export interface Sessions {
  /**
   * Starts a session for an account that has just proved who it is with the password whose hash
   * was `verifiedHash`: the login answer. Undefined when the account was deleted or its password
   * changed since (the login is then refused).
   */
  start: (role: Role, id: number, verifiedHash: string) => Promise<Token | undefined>
  /**
   * Spends a refresh token for the session's next pair. A token spent before ends its session;
   * `reused` says so. Undefined token: the refresh is refused (401).
   */
  refresh: (refreshToken: string) => Promise<{ token?: Token, reused: boolean }>
  /** Ends one session (logout). */
  end: (sessionId: string) => Promise<void>
  /** Tells every instance that these sessions ended (the database rows are already gone). */
  ended: (sessionIds: readonly string[]) => Promise<void>
  /** Whether the session of a verified token is still alive and belongs to that account. */
  isLive: (sessionId: string, account: SessionAccount) => Promise<boolean>
  /** Deletes expired sessions and refresh tokens; how many sessions it deleted. */
  sweep: () => Promise<number>
}

interface SessionsOptions {
  refreshTokenTtlSeconds: number
  /** How often expired sessions are swept (default 10 minutes). */
  sweepEveryMs?: number
}

/** The stored form of a refresh token: 256 random bits need no salt or slow hash, only a digest. */
const digest = (refreshToken: string): string => createHash('sha256').update(refreshToken).digest('base64url')
const newRefreshToken = (): string => randomBytes(32).toString('base64url')

/**
 * Redis pub/sub is per server, not per database number: the channel names the database, so apps
 * that share a Redis server on separate databases (as the tests do) keep to themselves.
 */
const channelOf = (redis: Redis): string => `mst:sessions:ended:${redis.options.db ?? 0}`

/**
 * Carries session endings between instances. The memo of live sessions is trusted only while this
 * instance is subscribed: while it is not, endings may be missed, so the memo is cleared and every
 * check asks the database. An ending that could not be published is retried once Redis is back; till
 * then the memo's max age bounds how long another instance may go on trusting that session.
 */
function endingsChannel (app: FastifyInstance, redis: Redis, memo: LiveSessions): { listening: () => boolean, publish: (ids: readonly string[]) => Promise<void> } {
  const channel = channelOf(redis)
  // Resubscribing is done here, on 'ready', so that `listening` turns true only once it is done.
  const subscriber = redis.duplicate({ autoResubscribe: false })
  let listening = false
  let closing = false
  subscriber.on('error', () => {}) // the main client's connection warns about outages
  subscriber.on('close', () => {
    listening = false
    memo.clear()
  })
  subscriber.on('ready', () => {
    subscriber.subscribe(channel).then(() => {
      memo.clear() // anything remembered before the drop may have ended during it
      listening = true
    }, () => {}) // a failed subscribe means a dropped connection: 'ready' comes again
  })
  subscriber.on('message', (_channel: string, message: string) => {
    try {
      const ids = JSON.parse(message) as unknown
      if (Array.isArray(ids)) memo.forget(ids.filter((id): id is string => typeof id === 'string'))
    } catch {
      memo.clear() // not ours, or damaged: forgetting everything is always safe
    }
  })
  subscriber.connect().catch(() => {}) // retried by ioredis; until then, checks go to the database

  const pending = new Set<string>()
  const flush = async (): Promise<void> => {
    if (pending.size === 0) return
    const ids = [...pending]
    await redis.publish(channel, JSON.stringify(ids))
    for (const id of ids) pending.delete(id)
  }
  redis.on('ready', () => {
    flush().catch((err: unknown) => { app.log.warn({ err: loggable(err) }, 'could not announce ended sessions') })
  })
  app.addHook('onClose', async () => {
    closing = true
    subscriber.disconnect()
  })
  return {
    listening: () => listening && !closing,
    async publish (ids) {
      for (const id of ids) pending.add(id)
      try {
        await flush()
      } catch {
        // Kept in `pending` and published when Redis is back (the 'ready' handler above).
      }
    },
  }
}

function createSessions (app: FastifyInstance, db: Kysely<Database>, redis: Redis | undefined, opts: SessionsOptions): Sessions {
  const ttl = opts.refreshTokenTtlSeconds
  const memo = new LiveSessions()
  const channel = redis === undefined ? undefined : endingsChannel(app, redis, memo)
  // Without Redis there is one instance, and every ending passes through this memo.
  const memoTrusted = (): boolean => channel === undefined || channel.listening()

  const ended = async (ids: readonly string[]): Promise<void> => {
    if (ids.length === 0) return
    memo.forget(ids)
    await channel?.publish(ids)
  }

  return {
    async start (role, id, verifiedHash) {
      const sessionId = randomUUID()
      const refreshToken = newRefreshToken()
      if (!await insertSession(db, sessionId, { role, id }, verifiedHash, digest(refreshToken), ttl)) return undefined
      return { ...app.issueToken(role, id, sessionId), refresh_token: refreshToken, refresh_expires_in: ttl }
    },

    async refresh (presented) {
      const refreshToken = newRefreshToken()
      const rotation = await rotateRefreshToken(db, digest(presented), digest(refreshToken), ttl)
      switch (rotation.outcome) {
        case 'rotated': {
          const { role, id } = rotation.account
          return { token: { ...app.issueToken(role, id, rotation.sessionId), refresh_token: refreshToken, refresh_expires_in: ttl }, reused: false }
        }
        case 'reused':
          await ended([rotation.sessionId])
          return { reused: true }
        case 'invalid':
          return { reused: false }
      }
    },

    async end (sessionId) {
      if (await deleteSession(db, sessionId)) await ended([sessionId])
    },

    ended,

    async isLive (sessionId, account) {
      const trusted = memoTrusted()
      const owner = `${account.role}:${account.id}`
      if (trusted && memo.has(sessionId, owner)) return true
      const epoch = memo.epoch
      const until = await liveSessionUntil(db, sessionId, account)
      if (until === undefined) return false
      if (trusted) memo.remember(sessionId, owner, until, epoch)
      return true
    },

    sweep: async () => await sweepExpired(db),
  }
}

async function sessions (app: FastifyInstance, opts: SessionsOptions): Promise<void> {
  const service = createSessions(app, app.db, app.redis, opts)
  app.decorate('sessions', service)

  const timer = setInterval(() => {
    service.sweep().then(
      (n) => { if (n > 0) app.log.info({ sessions: n }, 'expired sessions swept') },
      (err: unknown) => { app.log.warn({ err: loggable(err) }, 'could not sweep expired sessions') },
    )
  }, opts.sweepEveryMs ?? 10 * 60_000)
  timer.unref()
  app.addHook('onClose', async () => { clearInterval(timer) })
}

export default fp(sessions, { name: 'sessions', dependencies: ['db', 'redis', 'auth'] })
