// Owns the security headers and the CORS policy. Register before the routes: both act in onRequest.
// helmet (https://helmetjs.github.io) decides the security headers. Like the CORS headers of a
// policy open to every origin, they depend only on the route, so they are computed once at start-up:
// @fastify/helmet and @fastify/cors rebuilt them on every request, which cost more than the rest of a
// `/health` answer's plugins together (bench/README.md, Findings).
import type { IncomingMessage, ServerResponse } from 'node:http'
import helmet, { type HelmetOptions } from 'helmet'
import fp from 'fastify-plugin'
import type { FastifyInstance, RouteOptions, onRequestHookHandler } from 'fastify'
import { HttpProblem } from '../errors.js'
import { toArray } from '../lib/hooks.js'

/** JSON answers load nothing, so they may allow nothing. */
const API_CSP = { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] }

/**
 * The Redoc page is one self-contained file: its bundle and styles are inline, it renders with web
 * workers from blob: URLs and images from data: URLs, and it fetches nothing from elsewhere.
 */
const DOCS_CSP = {
  defaultSrc: ["'none'"],
  scriptSrc: ["'self'", "'unsafe-inline'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  workerSrc: ["'self'", 'blob:'],
  connectSrc: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
}

const HELMET_OPTIONS = {
  contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
  // An API answer is never embedded cross-origin; the docs page needs no cross-origin isolation.
  crossOriginResourcePolicy: { policy: 'same-site' as const },
  // Matches the CSP's frame-ancestors 'none' for browsers that only know X-Frame-Options.
  xFrameOptions: { action: 'deny' as const },
} satisfies HelmetOptions

/**
 * JSON answers leave out the headers that only affect a rendered HTML document (DNS prefetching of
 * its links, old IE's download prompt, the removed XSS auditor, origin-keyed agent clusters): with
 * nosniff and a deny-all CSP a browser never renders one, and every header is paid for on every
 * answer. What remains is the OWASP REST Security Cheat Sheet's set, plus COOP, CORP and referrer.
 */
const JSON_HELMET_OPTIONS = {
  ...HELMET_OPTIONS,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xXssProtection: false,
  originAgentCluster: false,
} satisfies HelmetOptions

const DOCS_URL = '/docs'

/** Exposed so browser clients can read pagination, caching and rate-limit headers. */
const EXPOSED_HEADERS = ['Link', 'Location', 'ETag', 'Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']

/** The headers helmet sets for these options, read off a response that records them. */
function helmetHeaders (options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader (name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    },
    removeHeader (name: string) {
      Reflect.deleteProperty(headers, name.toLowerCase())
    },
  }
  let done = false
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (err?: unknown) => {
    if (err !== undefined) throw err
    done = true
  })
  // Every helmet middleware is synchronous and per-request values (CSP nonces) are not used here.
  if (!done) throw new Error('helmet did not finish synchronously; its headers cannot be precomputed')
  return headers
}

/** The CORS headers of an actual (not preflight) request: the same for every origin. */
const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': EXPOSED_HEADERS.join(', '),
}

/** What a preflight may ask for: the methods and request headers the contract uses. */
const PREFLIGHT_HEADERS = {
  'access-control-allow-methods': 'GET, POST, PUT, DELETE',
  'access-control-allow-headers': 'Authorization, Content-Type, If-None-Match',
  'access-control-max-age': '600',
}

async function securityHeaders (app: FastifyInstance): Promise<void> {
  const apiHeaders = { ...helmetHeaders(JSON_HELMET_OPTIONS), ...CORS_HEADERS }
  const docsHeaders = helmetHeaders({ ...HELMET_OPTIONS, contentSecurityPolicy: { useDefaults: false, directives: DOCS_CSP } })

  // Every answer, errors and 404s included, carries the static set; /docs gets helmet's full set
  // for HTML, with a CSP that lets the page run.
  app.addHook('onRequest', (_req, reply, done) => {
    reply.headers(apiHeaders)
    done()
  })
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.url !== DOCS_URL || route.method !== 'GET') return
    const documentHeaders: onRequestHookHandler = (_req, reply, done) => {
      reply.headers(docsHeaders)
      done()
    }
    route.onRequest = [...toArray(route.onRequest), documentHeaders]
  })

  // Tokens travel in the Authorization header, never in cookies, so a browser on another origin
  // cannot act for a user without the token: any origin may call the API, without credentials.
  // A preflight is answered here, before any security check, for every path.
  app.options('*', async (req, reply) => {
    if (req.headers.origin === undefined || req.headers['access-control-request-method'] === undefined) {
      throw new HttpProblem(400, 'Bad Request', 'A CORS preflight needs the Origin and Access-Control-Request-Method headers.')
    }
    return reply.code(204).headers(PREFLIGHT_HEADERS).header('content-length', '0').send()
  })
}

export default fp(securityHeaders, { name: 'security-headers' })
