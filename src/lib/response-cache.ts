// Where cached responses live: in this process, or in Redis to share them between instances.
// Entries are keyed by a collection *version*; a write bumps the version instead of hunting for
// keys to delete, so every entry of the old version becomes unreachable at once, on every instance.
import type { Redis } from 'ioredis'

export interface CachedResponse { body: string, headers: Record<string, string> }

export interface ResponseCache {
  /** The collection's current version, or undefined while the store is unreachable (serve uncached). */
  version: (collection: string) => Promise<number | undefined>
  /** Makes every entry of these collections unreachable. */
  invalidate: (collections: readonly string[]) => Promise<void>
  get: (key: string) => Promise<CachedResponse | undefined>
  set: (key: string, value: CachedResponse) => Promise<void>
}

/** A bounded LRU map: reads move an entry to the back, inserts evict from the front. */
export class MemoryResponseCache implements ResponseCache {
  readonly #versions = new Map<string, number>()
  readonly #entries = new Map<string, CachedResponse>()

  constructor (readonly maxEntries = 1000) {}

  async version (collection: string): Promise<number> {
    return this.#versions.get(collection) ?? 0
  }

  async invalidate (collections: readonly string[]): Promise<void> {
    for (const c of collections) this.#versions.set(c, (this.#versions.get(c) ?? 0) + 1)
  }

  async get (key: string): Promise<CachedResponse | undefined> {
    const hit = this.#entries.get(key)
    if (hit !== undefined) {
      this.#entries.delete(key)
      this.#entries.set(key, hit)
    }
    return hit
  }

  async set (key: string, value: CachedResponse): Promise<void> {
    this.#entries.delete(key)
    this.#entries.set(key, value)
    if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string)
  }
}

const PREFIX = 'mst:cache:'
/** Entries of old versions are never read again; the TTL only reclaims their memory. */
const ENTRY_TTL_SECONDS = 600

export class RedisResponseCache implements ResponseCache {
  readonly #known = new Set<string>()

  constructor (readonly redis: Redis, readonly onError: (err: Error) => void = () => {}) {
    // Writes made while Redis was unreachable could not bump versions, so entries cached before
    // the outage may be stale: on reconnecting, every instance bumps every collection it knows.
    let wasReady = false
    redis.on('ready', () => {
      if (wasReady) this.invalidate([...this.#known]).catch(onError)
      wasReady = true
    })
    if (redis.status === 'ready') wasReady = true
  }

  async version (collection: string): Promise<number | undefined> {
    this.#known.add(collection)
    try {
      return Number(await this.redis.get(`${PREFIX}version:${collection}`) ?? 0)
    } catch (err) {
      this.onError(err as Error)
      return undefined
    }
  }

  async invalidate (collections: readonly string[]): Promise<void> {
    if (collections.length === 0) return
    for (const c of collections) this.#known.add(c)
    try {
      const pipeline = this.redis.multi()
      for (const c of collections) pipeline.incr(`${PREFIX}version:${c}`)
      await pipeline.exec()
    } catch (err) {
      this.onError(err as Error)
    }
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
