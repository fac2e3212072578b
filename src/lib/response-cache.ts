// Where cached responses live: in this process, or in Redis to share them between instances.
// Entries are keyed by a collection *version*; a write replaces the version instead of hunting for
// keys to delete, so every entry of the old version becomes unreachable at once, on every instance.
// Versions are random, never counters: ETags are built from them, and a counter starts again from 0
// after a restart (or a Redis restart or eviction), so an old ETag would match changed data.
import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'

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

/**
 * What an entry costs, in bytes, counted the same way in both stores: its key and its stored
 * form. In process, a string of n UTF-16 units takes at most 2n bytes; in Redis, the UTF-8 bytes.
 */
const inProcessBytes = (key: string, value: CachedResponse): number =>
  2 * (key.length + value.body.length + (value.tag?.length ?? 0) + Object.values(value.headers).reduce((n, h) => n + h.length, 0))

/**
 * The cache's budget, in bytes, by default in each store. A page of 100 tickets is about 200 KB;
 * an answer above a sixteenth of the budget is served but not kept, so one large answer cannot
 * push out everything else.
 */
export const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024

/** In this process: at most maxBytes of answers, the least recently used evicted first. */
export class MemoryResponseCache implements ResponseCache {
  readonly #versions = new Map<string, string>()
  /** Insertion order is use order: a hit moves its entry to the end. */
  readonly #entries = new Map<string, { value: CachedResponse, bytes: number }>()
  #bytes = 0

  constructor (readonly maxBytes = DEFAULT_CACHE_BYTES) {}

  /** Bytes held by the entries; never above maxBytes. */
  get bytes (): number { return this.#bytes }

  async version (collection: string): Promise<string> {
    let version = this.#versions.get(collection)
    if (version === undefined) this.#versions.set(collection, version = newVersion())
    return version
  }

  async invalidate (collections: readonly string[]): Promise<void> {
    for (const c of collections) this.#versions.set(c, newVersion())
  }

  async get (key: string): Promise<CachedResponse | undefined> {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    return entry.value
  }

  async set (key: string, value: CachedResponse): Promise<void> {
    this.#forget(key)
    const bytes = inProcessBytes(key, value)
    if (bytes > this.maxBytes / 16) return
    this.#entries.set(key, { value, bytes })
    this.#bytes += bytes
    for (const oldest of this.#entries.keys()) {
      if (this.#bytes <= this.maxBytes) break
      this.#forget(oldest)
    }
  }

  #forget (key: string): void {
    const entry = this.#entries.get(key)
    if (entry === undefined) return
    this.#entries.delete(key)
    this.#bytes -= entry.bytes
  }
}

const PREFIX = 'mst:cache:'
/** Entries of old versions are never read again; the TTL only reclaims their memory. */
const ENTRY_TTL_SECONDS = 600
/** Entry key → its size, the entries by expiry time, and the sum of their sizes. */
const SIZES = `${PREFIX}sizes`
const BY_EXPIRY = `${PREFIX}by-expiry`
const TOTAL_BYTES = `${PREFIX}bytes`

/**
 * Stores one entry and keeps the sum of the entries' sizes at most the budget, atomically on the
 * Redis server (every instance adds to the same budget): entries that expired are forgotten, then
 * the ones closest to expiring (the oldest) are deleted until the new one fits. Redis's own
 * maxmemory would evict the rate-limit counters too.
 * KEYS: the entry, SIZES, BY_EXPIRY, TOTAL_BYTES; ARGV: the value, TTL (s), now (ms), budget (bytes).
 */
const SET_WITHIN_BUDGET = `
local size = string.len(ARGV[1]) + string.len(KEYS[1])
local now = tonumber(ARGV[3])
local budget = tonumber(ARGV[4])
local function forget (key)
  local bytes = redis.call('HGET', KEYS[2], key)
  if bytes then
    redis.call('HDEL', KEYS[2], key)
    redis.call('DECRBY', KEYS[4], bytes)
  end
  redis.call('ZREM', KEYS[3], key)
end
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 100)) do forget(key) end
forget(KEYS[1])
if size * 16 > budget then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('HSET', KEYS[2], KEYS[1], size)
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[2]) * 1000, KEYS[1])
local total = redis.call('INCRBY', KEYS[4], size)
while total > budget do
  local oldest = redis.call('ZRANGE', KEYS[3], 0, 0)[1]
  if not oldest then break end
  redis.call('DEL', oldest)
  forget(oldest)
  total = tonumber(redis.call('GET', KEYS[4]))
end
return 1
`

type BudgetedRedis = Redis & {
  mstCacheSet: (entry: string, sizes: string, byExpiry: string, total: string, value: string, ttl: number, now: number, budget: number) => Promise<number>
}

export class RedisResponseCache implements ResponseCache {
  /** Collections whose invalidation failed while Redis was unreachable: retried before anything else. */
  readonly #pending = new Set<string>()

  readonly #redis: BudgetedRedis

  constructor (readonly redis: Redis, readonly onError: (err: Error) => void, readonly maxBytes = DEFAULT_CACHE_BYTES) {
    if (!('mstCacheSet' in redis)) redis.defineCommand('mstCacheSet', { numberOfKeys: 4, lua: SET_WITHIN_BUDGET })
    this.#redis = redis as BudgetedRedis
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
      await this.#redis.mstCacheSet(`${PREFIX}entry:${key}`, SIZES, BY_EXPIRY, TOTAL_BYTES, JSON.stringify(value), ENTRY_TTL_SECONDS, Date.now(), this.maxBytes)
    } catch (err) {
      this.onError(err as Error)
    }
  }
}
