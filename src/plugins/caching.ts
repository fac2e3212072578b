// Owns HTTP and server-side caching, driven by the contract: an operation with `x-cache` is served
// from the response cache with an ETag (304 on If-None-Match), and an operation with
// `x-invalidates` replaces those collections' versions before its successful answer leaves.
// Everything else gets `Cache-Control: no-store`. Register after redis and auth, before contract.
// @see https://github.com/fastify/fastify-caching
import { createHash } from 'node:crypto'
import fastifyCaching from '@fastify/caching'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions, onSendHookHandler, preHandlerHookHandler } from 'fastify'
import { MemoryResponseCache, RedisResponseCache, type ResponseCache } from '../lib/response-cache.js'
import { toArray } from '../lib/hooks.js'

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

/** True when any entity tag in an If-None-Match list is `tag` (weak comparison, RFC 9110 §13.1.2). */
export function matchesIfNoneMatch (header: string | undefined, tag: string): boolean {
  if (header === undefined) return false
  return header.split(',').some((candidate) => {
    const t = candidate.trim()
    return t === '*' || t.replace(/^W\//, '') === tag
  })
}

/** A strong validator for one entry: the collection's name, and a digest of its versioned key. */
const entityTag = (collection: string, key: string): string =>
  `"${collection}-${createHash('sha1').update(key).digest('base64url').slice(0, 22)}"`

function cachedRead (cache: ResponseCache, declared: CacheDeclaration, routeUrl: string): { lookup: preHandlerHookHandler, store: onSendHookHandler } {
  const cacheControl = `${declared.scope}, no-cache`
  /** Only a 200 or a 304 carries the validator: a 404 or a 403 of a cached route must not. */
  const validate = (reply: FastifyReply, tag: string): void => {
    reply.etag(tag, 0) // lifetime 0: @fastify/caching's own URL-blind etag store keeps nothing
    reply.header('cache-control', cacheControl)
    if (declared.scope === 'private') reply.header('vary', 'authorization')
  }
  return {
    async lookup (req: FastifyRequest, reply: FastifyReply) {
      req.cacheEntry = undefined
      const version = await cache.version(declared.collection)
      if (version === undefined) return // the store is unreachable: answer fresh, without a validator
      // Validated params and query (defaults filled in), so `?page=1` and `` share one entry.
      const key = `${declared.collection}:v${version}:${routeUrl}:${JSON.stringify(req.params)}:${JSON.stringify(req.query)}`
      const hit = await cache.get(key)
      // A hit carries its tag, so the hot path hashes nothing (entries of older releases do not).
      const tag = hit?.tag ?? entityTag(declared.collection, key)
      if (matchesIfNoneMatch(req.headers['if-none-match'], tag)) {
        validate(reply, tag)
        return reply.code(304).send()
      }
      if (hit !== undefined) {
        validate(reply, tag)
        return reply.headers(hit.headers).type('application/json; charset=utf-8').send(hit.body)
      }
      req.cacheEntry = { key, tag }
    },
    async store (req: FastifyRequest, reply: FastifyReply, payload: unknown) {
      const entry = req.cacheEntry
      if (entry !== undefined && reply.statusCode === 200 && typeof payload === 'string') {
        validate(reply, entry.tag) // replaces the no-store that @fastify/caching's earlier hook set
        const link = reply.getHeader('link')
        await cache.set(entry.key, { body: payload, tag: entry.tag, headers: typeof link === 'string' ? { link } : {} })
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
    : new RedisResponseCache(app.redis)
  app.decorate('responseCache', cache)
  app.decorateRequest('cacheEntry', undefined)

  await app.register(fastifyCaching, { privacy: 'no-store' })

  app.addHook('onRoute', (route: RouteOptions) => {
    const { cache: declared, invalidates } = readDeclarations(route)
    if (declared !== undefined) {
      const { lookup, store } = cachedRead(cache, declared, route.url)
      route.preHandler = [...toArray(route.preHandler), lookup]
      route.onSend = [...toArray(route.onSend), store]
    }
    if (invalidates !== undefined && invalidates.length > 0) {
      route.onSend = [...toArray(route.onSend), invalidatingWrite(cache, invalidates)]
    }
  })
}

export default fp(caching, { name: 'caching', dependencies: ['redis'] })
