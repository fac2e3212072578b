// Where cached responses live: in this process, or in Redis to share them between instances.
// Entries are keyed by a collection *version*; a write replaces the version instead of hunting for
// keys to delete, so every entry of the old version becomes unreachable at once, on every instance.
// Versions are random, never counters: ETags are built from them, and a counter starts again from 0
// after a restart (or a Redis restart or eviction), so an old ETag would match changed data.
import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import { BoundedMap } from './bounded-map.js'

export interface CachedResponse {
  body: string
  /** The entity tag; absent in entries stored before it was kept (derive it from the key). */
  tag?: string
  headers: Record<string, string>
}

export interface ResponseCache {
  /** The collection's current version, or undefined while the store is unreachable (serve uncached). */
  version: (collection: string) => Promise<string | undefined>
  /** Makes every entry of these collections unreachable (on Redis: as soon as it is reachable). */
  invalidate: (collections: readonly string[]) => Promise<void>
  get: (key: string) => Promise<CachedResponse | undefined>
  set: (key: string, value: CachedResponse) => Promise<void>
}

/** 64 random bits: unique across restarts and instances. */
const newVersion = (): string => randomBytes(8).toString('base64url')

/** In this process: at most maxEntries answers, the least recently used evicted first. */
export class MemoryResponseCache implements ResponseCache {
  readonly #versions = new Map<string, string>()
  readonly #entries: BoundedMap<string, CachedResponse>

  constructor (maxEntries = 1000) {
    this.#entries = new BoundedMap(maxEntries)
  }

  async version (collection: string): Promise<string> {
    let version = this.#versions.get(collection)
    if (version === undefined) this.#versions.set(collection, version = newVersion())
    return version
  }

  async invalidate (collections: readonly string[]): Promise<void> {
    for (const c of collections) this.#versions.set(c, newVersion())
  }

  async get (key: string): Promise<CachedResponse | undefined> {
    return this.#entries.use(key)
  }

  async set (key: string, value: CachedResponse): Promise<void> {
    this.#entries.set(key, value)
  }
}

const PREFIX = 'mst:cache:'
/** Entries of old versions are never read again; the TTL only reclaims their memory. */
const ENTRY_TTL_SECONDS = 600

export class RedisResponseCache implements ResponseCache {
  /** Collections whose invalidation failed while Redis was unreachable: retried before anything else. */
  readonly #pending = new Set<string>()

  constructor (readonly redis: Redis, readonly onError: (err: Error) => void = () => {}) {
    // Other instances may be serving answers from before those writes: retry as soon as Redis is
    // back, not only when this instance next reads.
    redis.on('ready', () => { this.#retryPending().catch(onError) })
  }

  async version (collection: string): Promise<string | undefined> {
    const key = `${PREFIX}version:${collection}`
    try {
      await this.#retryPending()
      const current = await this.redis.get(key)
      if (current !== null) return current
      // First use, or Redis lost its data: a fresh version, unless another instance set one first.
      const fresh = newVersion()
      return await this.redis.set(key, fresh, 'NX') === 'OK' ? fresh : await this.redis.get(key) ?? undefined
    } catch (err) {
      this.onError(err as Error)
      return undefined
    }
  }

  async invalidate (collections: readonly string[]): Promise<void> {
    if (collections.length === 0) return
    for (const c of collections) this.#pending.add(c)
    try {
      await this.#retryPending()
    } catch (err) {
      this.onError(err as Error)
    }
  }

  async #retryPending (): Promise<void> {
    if (this.#pending.size === 0) return
    const collections = [...this.#pending]
    await this.redis.mset(Object.fromEntries(collections.map((c) => [`${PREFIX}version:${c}`, newVersion()])))
    for (const c of collections) this.#pending.delete(c)
  }

  async get (key: string): Promise<CachedResponse | undefined> {
    try {
      const raw = await this.redis.get(`${PREFIX}entry:${key}`)
      return raw === null ? undefined : JSON.parse(raw) as CachedResponse
    } catch (err) {
      this.onError(err as Error)
      return undefined
    }
  }

  async set (key: string, value: CachedResponse): Promise<void> {
    try {
      await this.redis.set(`${PREFIX}entry:${key}`, JSON.stringify(value), 'EX', ENTRY_TTL_SECONDS)
    } catch (err) {
      this.onError(err as Error)
    }
  }
}
