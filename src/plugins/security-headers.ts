// Owns the security headers (helmet) and the CORS policy. Register before the routes: both act in
// onRoute/onRequest hooks. @see https://github.com/fastify/fastify-helmet
import cors from '@fastify/cors'
import helmet from '@fastify/helmet'
import fp from 'fastify-plugin'
import type { FastifyInstance, RouteOptions } from 'fastify'

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

const DOCS_URL = '/docs'

/** Exposed so browser clients can read pagination, caching and rate-limit headers. */
const EXPOSED_HEADERS = ['Link', 'Location', 'ETag', 'Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']

async function securityHeaders (app: FastifyInstance): Promise<void> {
  app.addHook('onRoute', (route: RouteOptions) => {
    if (route.url === DOCS_URL) {
      route.helmet = { contentSecurityPolicy: { useDefaults: false, directives: DOCS_CSP } }
    }
  })
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    // An API answer is never embedded cross-origin; the docs page needs no cross-origin isolation.
    crossOriginResourcePolicy: { policy: 'same-site' },
    // Matches the CSP's frame-ancestors 'none' for browsers that only know X-Frame-Options.
    frameguard: { action: 'deny' },
  })
  // Tokens travel in the Authorization header, never in cookies, so a browser on another origin
  // cannot act for a user without the token: any origin may call the API, without credentials.
  await app.register(cors, {
    origin: '*',
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'If-None-Match'],
    exposedHeaders: EXPOSED_HEADERS,
    credentials: false,
    maxAge: 600,
  })
}

export default fp(securityHeaders, { name: 'security-headers' })
