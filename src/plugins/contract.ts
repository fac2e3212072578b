// Owns the routes: fastify-openapi-glue turns every operation of openapi.yaml into a route whose
// validation, serialization, security and config come from the contract, and calls our typed
// handler by operationId. Register after auth (the security handler verifies JWTs), the rate
// limiter (its onRequest hook must stay first) and caching (its hooks read the routes' x- extensions). @see https://github.com/seriousme/fastify-openapi-glue
import fp from 'fastify-plugin'
import openapiGlue from 'fastify-openapi-glue'
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import type { Handlers } from '../../generated/handlers.js'
import { usePrecompiledContractValidator } from '../contract-validator.js'
import { HttpProblem } from '../errors.js'
import { loadSpec, type OpenApiDocument } from '../spec.js'
import { createSecurityHandlers } from './auth.js'
import { toArray } from '../lib/hooks.js'

export interface ContractOptions {
  handlers: Handlers
}

interface HandlerResult { status: number, body?: unknown, headers?: Record<string, string | undefined> }
type UntypedHandler = (req: FastifyRequest, reply: FastifyReply) => Promise<HandlerResult>


/** operationId → status → the one media type the contract declares for it. */
function mediaTypesByOperation (spec: OpenApiDocument): Map<string, Map<string, string>> {
  const byOperation = new Map<string, Map<string, string>>()
  for (const item of Object.values(spec.paths)) {
    for (const op of Object.values(item) as Array<{ operationId?: string, responses?: Record<string, { content?: object }> }>) {
      if (typeof op?.operationId !== 'string') continue
      const statuses = new Map<string, string>()
      for (const [status, response] of Object.entries(op.responses ?? {})) {
        const media = Object.keys(response.content ?? {})[0]
        if (media !== undefined) statuses.set(status, media)
      }
      byOperation.set(op.operationId, statuses)
    }
  }
  return byOperation
}

/** The operations whose contract requires a token (a non-empty `security`). */
function securedOperations (spec: OpenApiDocument): Set<string> {
  const secured = new Set<string>()
  for (const item of Object.values(spec.paths)) {
    for (const op of Object.values(item) as Array<{ operationId?: string, security?: unknown[] }>) {
      if (typeof op?.operationId === 'string' && (op.security ?? []).length > 0) secured.add(op.operationId)
    }
  }
  return secured
}

/** Turns a typed handler's `{ status, body, headers }` into the reply. */
function adapt (handler: UntypedHandler, mediaTypes: Map<string, string> | undefined) {
  return async function route (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const { status, body, headers } = await handler(req, reply)
    reply.code(status)
    for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) reply.header(name, value)
    const media = mediaTypes?.get(String(status))
    if (media !== undefined && media !== 'application/json') reply.type(media)
    return reply.send(body)
  }
}

async function notImplemented (req: FastifyRequest): Promise<never> {
  throw new HttpProblem(501, 'Not Implemented', `${req.method} ${req.routeOptions.url ?? req.url} is not implemented yet.`)
}

async function contract (app: FastifyInstance, opts: ContractOptions): Promise<void> {
  const spec = loadSpec()
  const mediaTypes = mediaTypesByOperation(spec)
  const handlers = opts.handlers as unknown as Record<string, UntypedHandler | undefined>

  // Deviation from glue's default: it runs the security check as a preHandler, after validation, so a
  // caller without a token would learn from a 400 what the body should look like. Moving it into
  // onRequest answers 401/403 first. Pinned by test/contract.test.ts ("401 before 400").
  // Glue puts the security check first in preHandler; later onRoute hooks (the login rate limit,
  // the cache lookup) may have appended theirs, which stay where they are.
  const secured = securedOperations(spec)
  app.addHook('onRoute', (route: RouteOptions) => {
    const operationId = (route.schema as { operationId?: string } | undefined)?.operationId
    if (operationId === undefined || !secured.has(operationId)) return
    const [security, ...rest] = toArray(route.preHandler)
    if (security === undefined) return
    route.onRequest = [...toArray(route.onRequest), security]
    route.preHandler = rest
  })

  if (await usePrecompiledContractValidator() === undefined) {
    app.log.info('generated/oas-3.1-schema-validator.js is missing or stale (run npm run generate): the contract check compiles its schema at start-up')
  }
  await app.register(openapiGlue, {
    specification: spec,
    securityHandlers: createSecurityHandlers(app.db, app.responseCache, app.jwt),
    operationResolver: (operationId: string) => {
      const handler = handlers[operationId]
      return handler === undefined ? notImplemented : adapt(handler, mediaTypes.get(operationId))
    },
  })
}

export default fp(contract, { name: 'contract', dependencies: ['auth', 'problems', 'db', 'caching'] })
