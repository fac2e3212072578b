// Owns the rule "one password hash in flight per client address": a request whose body carries a
// password (login, sign-up, password changes: every operation whose body schema has a `password`
// property) is refused with 429 while the same client already has one in flight. Each costs a
// password hash; without this one address could fill the bounded hash queue (src/lib/passwords.ts).
// Register after limits (it reuses the client key) and before contract.
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { HttpProblem } from '../errors.js'
import { toArray } from '../lib/hooks.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The client key this request holds the hash slot of, until it is answered. */
    hashingFor: string | undefined
  }
}

interface ObjectSchema { properties?: Record<string, unknown> }

/** Whether the body schema (plain, or per media type as glue gives it) has a `password` property. */
const takesPassword = (route: RouteOptions): boolean => {
  const body = route.schema?.body as (ObjectSchema & { content?: Record<string, { schema?: ObjectSchema }> }) | undefined
  const schemas = [body, ...Object.values(body?.content ?? {}).map((media) => media.schema)]
  return schemas.some((schema) => schema?.properties?.password !== undefined)
}

async function hashing (app: FastifyInstance): Promise<void> {
  const inFlight = new Set<string>()
  app.decorateRequest('hashingFor', undefined)

  async function oneAtATime (req: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (typeof (req.body as { password?: unknown } | undefined)?.password !== 'string') return
    const key = app.clientKey(req)
    if (inFlight.has(key)) {
      reply.header('retry-after', 1)
      throw Object.assign(new HttpProblem(429, 'Too Many Requests', 'Another request with a password from this client is still being checked; retry in 1 second.'), { statusCode: 429 })
    }
    inFlight.add(key)
    req.hashingFor = key
    // A client that hangs up mid-hash gets no onResponse, and onRequestAbort does not fire once the
    // body has arrived: the response's 'close' comes either way, so the address is never stuck.
    reply.raw.once('close', () => { void release(req) })
  }
  const release = async (req: FastifyRequest): Promise<void> => {
    if (req.hashingFor === undefined) return
    inFlight.delete(req.hashingFor)
    req.hashingFor = undefined
  }

  app.addHook('onRoute', (route: RouteOptions) => {
    if (!takesPassword(route)) return
    route.preHandler = [...toArray(route.preHandler), oneAtATime]
    route.onResponse = [...toArray(route.onResponse), release]
    route.onRequestAbort = [...toArray(route.onRequestAbort), release]
  })
}

export default fp(hashing, { name: 'hashing', dependencies: ['limits'] })
