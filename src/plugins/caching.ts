// Owns HTTP and server-side caching, driven by the contract: an operation with `x-cache` is served
// from the response cache with an ETag (304 on If-None-Match), and an operation with
// `x-invalidates` replaces those collections' versions before its successful answer leaves.
// Everything else gets `Cache-Control: no-store`. Register after redis and auth, before contract.
// @see https://github.com/fastify/fastify-caching
import { createHash } from 'node:crypto'
import fastifyCaching from '@fastify/caching'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions, onSendHookHandler, preHandlerHookHandler, preParsingHookHandler } from 'fastify'
import { MemoryResponseCache, RedisResponseCache, type ResponseCache } from '../lib/response-cache.js'
import { BoundedMap } from '../lib/bounded-map.js'
import { toArray } from '../lib/hooks.js'

/** Per cached route: the raw URLs remembered as valid, so a hit for them can skip validation. */
const MAX_VALIDATED_URLS = 1000

declare module 'fastify' {
  interface FastifyInstance {
    responseCache: ResponseCache
  }
  interface FastifyRequest {
    /** Set on a cache miss: where onSend stores the answer, and its validator. */
    cacheEntry: { key: string, tag: string } | undefined
  }
}

interface CacheDeclaration { scope: 'public' | 'private', collection: string }

function readDeclarations (route: RouteOptions): { cache?: CacheDeclaration, invalidates?: string[] } {
  const schema = (route.schema ?? {}) as Record<string, unknown>
  const cache = schema['x-cache'] as CacheDeclaration | undefined
  const invalidates = schema['x-invalidates'] as string[] | undefined
  if (cache !== undefined && (!['public', 'private'].includes(cache.scope) || typeof cache.collection !== 'string')) {
    throw new Error(`${route.url}: x-cache needs a scope (public or private) and a collection`)
  }
  if (invalidates !== undefined && !(Array.isArray(invalidates) && invalidates.every((c) => typeof c === 'string'))) {
    throw new Error(`${route.url}: x-invalidates must list collection names`)
  }
  return { cache, invalidates }
}

/**
 * True when any entity tag in an If-None-Match list is `tag` (weak comparison, RFC 9110 §13.1.2).
 * `*` matches only a representation known to exist (`exists`): on a part that does not exist it
 * answered 304 instead of 404 (test/caching.test.ts).
 */
export function matchesIfNoneMatch (header: string | undefined, tag: string, exists: boolean): boolean {
  if (header === undefined) return false
  const opaque = tag.replace(/^W\//, '')
  return header.split(',').some((candidate) => {
    const t = candidate.trim()
    return t === '*' ? exists : t.replace(/^W\//, '') === opaque
  })
}

/** A strong validator for one entry: the collection's name, and a digest of its versioned key. */
const entityTag = (collection: string, key: string): string =>
  `"${collection}-${createHash('sha1').update(key).digest('base64url').slice(0, 22)}"`

interface CachedReadHooks {
  /** preParsing, so after every onRequest hook (authentication too): a hit for a URL seen valid before. */
  early: preParsingHookHandler | undefined
  /** preHandler: the validated lookup, which also teaches `early` this URL. */
  lookup: preHandlerHookHandler
  /** onSend: stores a miss's answer. */
  store: onSendHookHandler
}

/**
 * The request headers whose presence sends a request through validation first, or undefined when
 * the route's header schema is more than optional named properties (nothing can skip it then).
 */
function headersThatNeedValidation (route: RouteOptions): string[] | undefined {
  const headers = route.schema?.headers as { type?: unknown, properties?: Record<string, unknown>, required?: unknown[] } | undefined
  if (headers === undefined) return []
  const onlyOptionalProperties = Object.keys(headers).every((k) => k === 'type' || k === 'properties' || k === 'required') &&
    (headers.required === undefined || headers.required.length === 0)
  return onlyOptionalProperties ? Object.keys(headers.properties ?? {}).map((name) => name.toLowerCase()) : undefined
}

function cachedRead (cache: ResponseCache, declared: CacheDeclaration, route: RouteOptions): CachedReadHooks {
  const cacheControl = `${declared.scope}, no-cache`
  /** Only a 200 or a 304 carries the validator: a 404 or a 403 of a cached route must not. */
  const validate = (reply: FastifyReply, tag: string): void => {
    reply.etag(tag, 0) // lifetime 0: @fastify/caching's own URL-blind etag store keeps nothing
    reply.header('cache-control', cacheControl)
    if (declared.scope === 'private') reply.header('vary', 'authorization')
  }
  /** Answers from the cache (200 or 304) and returns true, or returns where a miss is to be stored. */
  const answer = async (req: FastifyRequest, reply: FastifyReply, unversionedKey: string): Promise<{ key: string, tag: string } | true | undefined> => {
    const version = await cache.version(declared.collection)
    if (version === undefined) return undefined // the store is unreachable: answer fresh, without a validator
    const key = `${declared.collection}:v${version}:${unversionedKey}`
    const hit = await cache.get(key)
    // A hit carries its tag, so the hot path hashes nothing (entries of older releases do not).
    const tag = hit?.tag ?? entityTag(declared.collection, key)
    if (matchesIfNoneMatch(req.headers['if-none-match'], tag, hit !== undefined)) {
      validate(reply, tag)
      reply.code(304).send()
      return true
    }
    if (hit !== undefined) {
      validate(reply, tag)
      reply.headers(hit.headers).type('application/json; charset=utf-8').send(hit.body)
      return true
    }
    return { key, tag }
  }

  /**
   * Callback style: once answered, the hook chain just stops (an async hook would wait for the
   * response to finish). Otherwise the request goes on, carrying where its answer is to be stored.
   */
  const goOnUnlessAnswered = (answering: ReturnType<typeof answer>, req: FastifyRequest, done: (err?: Error) => void): void => {
    answering.then((answered) => {
      if (answered === true) return
      req.cacheEntry = answered
      done()
    }, done)
  }

  // For a body-less GET, validation depends on nothing but the URL and the headers its schema
  // names. A URL that validated once, asked again without those headers, validates to the same
  // params and query, so its hit can be answered before validation and the hooks around it.
  // Only URLs that passed validation are remembered; anything else takes the validated path.
  const validatedUrls = new BoundedMap<string, string>(MAX_VALIDATED_URLS) // raw URL → key without version
  const headerNames = route.schema?.body === undefined ? headersThatNeedValidation(route) : undefined
  const early: preParsingHookHandler | undefined = headerNames === undefined
    ? undefined
    : (req, reply, _payload, done) => {
        const known = validatedUrls.get(req.url)
        if (known === undefined || headerNames.some((name) => req.headers[name] !== undefined)) return done()
        // A miss goes on to validation and the handler, and its answer is stored under the key
        // found here: the lookup does not ask the cache a second time.
        goOnUnlessAnswered(answer(req, reply, known), req, done)
      }

  return {
    early,
    lookup (req, reply, done) {
      if (req.cacheEntry !== undefined) return done() // `early` already missed for this URL
      // Validated params and query (defaults filled in), so `?page=1` and `` share one entry.
      const unversionedKey = `${route.url}:${JSON.stringify(req.params)}:${JSON.stringify(req.query)}`
      if (validatedUrls.get(req.url) !== unversionedKey) validatedUrls.set(req.url, unversionedKey)
      goOnUnlessAnswered(answer(req, reply, unversionedKey), req, done)
    },
    async store (req, reply, payload) {
      const entry = req.cacheEntry
      if (entry !== undefined && reply.statusCode === 200 && typeof payload === 'string') {
        validate(reply, entry.tag) // replaces the no-store that @fastify/caching's earlier hook set
        const link = reply.getHeader('link')
        await cache.set(entry.key, { body: payload, tag: entry.tag, headers: typeof link === 'string' ? { link } : {} })
        // `If-None-Match: *` on a miss: the handler has just shown that the representation exists.
        if (matchesIfNoneMatch(req.headers['if-none-match'], entry.tag, true)) {
          reply.code(304)
          return null
        }
      }
      return payload
    },
  }
}

function invalidatingWrite (cache: ResponseCache, collections: string[]): onSendHookHandler {
  return async function invalidate (_req, reply, payload) {
    if (reply.statusCode >= 200 && reply.statusCode < 300) await cache.invalidate(collections)
    return payload
  }
}

async function caching (app: FastifyInstance): Promise<void> {
  const cache: ResponseCache = app.redis === undefined
    ? new MemoryResponseCache()
    // A failed invalidation is retried when Redis is back; a failed read or store is served
    // uncached. Either way the log says so.
    : new RedisResponseCache(app.redis, (err) => { app.log.warn({ err }, 'response cache: a Redis command failed') })
  app.decorate('responseCache', cache)
  app.decorateRequest('cacheEntry', undefined)

  await app.register(fastifyCaching, { privacy: 'no-store' })

  app.addHook('onRoute', (route: RouteOptions) => {
    const { cache: declared, invalidates } = readDeclarations(route)
    if (declared !== undefined) {
      const { early, lookup, store } = cachedRead(cache, declared, route)
      if (early !== undefined) route.preParsing = [...toArray(route.preParsing), early]
      route.preHandler = [...toArray(route.preHandler), lookup]
      route.onSend = [...toArray(route.onSend), store]
    }
    if (invalidates !== undefined && invalidates.length > 0) {
      route.onSend = [...toArray(route.onSend), invalidatingWrite(cache, invalidates)]
    }
  })
}

export default fp(caching, { name: 'caching', dependencies: ['redis'] })
