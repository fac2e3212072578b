// Owns the routes: fastify-openapi-glue turns every operation of openapi.yaml into a route whose
// validation, serialization, security and config come from the contract, and calls our typed
// handler by operationId. Register after auth (the security handler verifies JWTs), the rate
// limiter (its onRequest hook must stay first) and caching (its hooks read the routes' x- extensions). @see https://github.com/seriousme/fastify-openapi-glue
import fp from 'fastify-plugin'
import openapiGlue from 'fastify-openapi-glue'
import { errorCodes, type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify'
import type { Handlers } from '../../generated/handlers.js'
import { usePrecompiledContractValidator } from './validator.js'
import { HttpProblem } from '../errors.js'
import { idempotencyOf, type Idempotency } from '../lib/idempotency.js'
import { loadSpec, resolveRef, type OpenApiDocument } from './spec.js'
import { createSecurityHandlers } from '../plugins/auth.js'

interface ContractOptions {
  handlers: Handlers
}

interface HandlerResult { status: number, body?: unknown, headers?: Record<string, string | undefined> }
/** An idempotent operation's handler also gets the transaction the mechanism opened for it. */
type UntypedHandler = (req: FastifyRequest, reply: FastifyReply, trx?: unknown) => Promise<HandlerResult>

/** operationId → its `x-idempotent`, for the operations that declare one (checked as it is read). */
function idempotentOperations (spec: OpenApiDocument): Map<string, Idempotency> {
  const found = new Map<string, Idempotency>()
  const resolve = (node: unknown): Record<string, unknown> => resolveRef(spec, node)
  for (const [path, item] of Object.entries(spec.paths)) {
    const shared = (item.parameters ?? []) as unknown[]
    for (const [method, node] of Object.entries(item)) {
      const op = node as Record<string, unknown> | undefined
      if (typeof op?.operationId !== 'string') continue
      const parameters = [...shared, ...((op.parameters ?? []) as unknown[])].map(resolve)
      const responses = (op.responses ?? {}) as Record<string, unknown>
      const headersOf = (status: string): string[] => Object.keys((resolve(responses[status]).headers ?? {}) as object)
      const declared = idempotencyOf(`${method.toUpperCase()} ${path}`, op, parameters, headersOf)
      if (declared !== undefined) found.set(op.operationId, declared)
    }
  }
  return found
}

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

type SecurityRequirement = Record<string, string[]>
type SecurityHandler = (req: FastifyRequest, reply: FastifyReply, scopes: string[]) => Promise<void>

/** Each operation's security requirements: its own `security`, or the document's (none: public). */
function securityByOperation (spec: OpenApiDocument): Map<string, SecurityRequirement[]> {
  const fallback = ((spec as { security?: SecurityRequirement[] }).security) ?? []
  const byOperation = new Map<string, SecurityRequirement[]>()
  for (const item of Object.values(spec.paths)) {
    for (const op of Object.values(item) as Array<{ operationId?: string, security?: SecurityRequirement[] }>) {
      if (typeof op?.operationId === 'string') byOperation.set(op.operationId, op.security ?? fallback)
    }
  }
  return byOperation
}

/**
 * An operation's security check as an onRequest hook. Glue would install it as a preHandler, after
 * validation, so a caller without a token would learn from a 400 what the body should look like;
 * here 401/403 come first (test/contract.test.ts, "401 before 400"). As in OpenAPI, one of the
 * requirements must pass, each with all of its schemes; when none does, the first one's error is
 * the answer.
 */
function securityHook (handlers: Record<string, SecurityHandler>, requirements: SecurityRequirement[]) {
  for (const scheme of requirements.flatMap(Object.keys)) {
    if (handlers[scheme] === undefined) throw new Error(`openapi.yaml names the security scheme ${scheme}, which has no handler`)
  }
  return async function security (req: FastifyRequest, reply: FastifyReply): Promise<void> {
    let refusal: unknown
    for (const requirement of requirements) {
      try {
        for (const [scheme, scopes] of Object.entries(requirement)) await handlers[scheme]!(req, reply, scopes)
        return
      } catch (err) {
        refusal ??= err
      }
    }
    throw refusal
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null

/**
 * The media types the contract uses only in answers (problem details, the docs page). A media
 * type is any key with a slash under a `content` map; it is a request's when it sits under a
 * `requestBody` or `components.requestBodies`.
 */
export function answerOnlyMediaTypes (spec: OpenApiDocument): string[] {
  const requests = new Set<string>()
  const all = new Set<string>()
  const walk = (node: unknown, inRequestBody: boolean): void => {
    if (!isObject(node)) return
    for (const [key, value] of Object.entries(node)) {
      if (key === 'content' && isObject(value)) {
        for (const media of Object.keys(value).filter((name) => name.includes('/'))) {
          all.add(media)
          if (inRequestBody) requests.add(media)
        }
      }
      walk(value, inRequestBody || key === 'requestBody' || key === 'requestBodies')
    }
  }
  walk(spec, false)
  return [...all].filter((media) => !requests.has(media))
}

/** Turns a typed handler's `{ status, body, headers }` into the reply. */
function adapt (handler: UntypedHandler, mediaTypes: Map<string, string> | undefined) {
  return async function route (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    return send(reply, await handler(req, reply), mediaTypes)
  }
}

/**
 * The same for an `x-idempotent` operation: the mechanism opens the handler's transaction, and the
 * answer it gives (the handler's, or a stored one replayed) is sent like any other.
 */
function adaptIdempotent (app: FastifyInstance, operationId: string, declared: Idempotency, handler: UntypedHandler, mediaTypes: Map<string, string> | undefined) {
  return async function route (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const answer = await app.idempotent(declared, operationId, req, (trx) => handler(req, reply, trx))
    return send(reply, answer, mediaTypes)
  }
}

function send (reply: FastifyReply, { status, body, headers }: HandlerResult, mediaTypes: Map<string, string> | undefined): FastifyReply {
  reply.code(status)
  for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) reply.header(name, value)
  const media = mediaTypes?.get(String(status))
  if (media !== undefined && media !== 'application/json') reply.type(media)
  return reply.send(body)
}

async function notImplemented (req: FastifyRequest): Promise<never> {
  throw new HttpProblem(501, 'Not Implemented', `${req.method} ${req.routeOptions.url ?? req.url} is not implemented yet.`)
}

async function contract (app: FastifyInstance, opts: ContractOptions): Promise<void> {
  const spec = loadSpec()
  const mediaTypes = mediaTypesByOperation(spec)
  const handlers = opts.handlers as unknown as Record<string, UntypedHandler | undefined>
  const idempotent = idempotentOperations(spec)

  // glue warns at every start about each media type of the contract without a body parser,
  // answers' types included. Those are never request bodies: they get an explicit refusal, the
  // same 415 as any other type without a parser, and a warning at start-up keeps its meaning
  // (a request body type we forgot to parse). The JSON parser already exists and is left alone.
  for (const media of answerOnlyMediaTypes(spec).filter((type) => !app.hasContentTypeParser(type))) {
    app.addContentTypeParser(media, (_req, _body, done) => {
      done(new errorCodes.FST_ERR_CTP_INVALID_MEDIA_TYPE(), undefined) // what Fastify sends when it has no parser
    })
  }

  if (await usePrecompiledContractValidator() === undefined) {
    app.log.info('generated/oas-3.1-schema-validator.js is missing or stale (run npm run generate): the contract check compiles its schema at start-up')
  }
  // Glue is given no security handlers: the route options the resolver returns (glue's documented
  // operationResolver) carry each operation's check, as an onRequest hook.
  const securityHandlers: Record<string, SecurityHandler> = createSecurityHandlers(app.jwt, app.sessions)
  const security = securityByOperation(spec)
  await app.register(openapiGlue, {
    specification: spec,
    operationResolver: (operationId: string) => {
      const handler = handlers[operationId]
      const requirements = security.get(operationId) ?? []
      const declared = idempotent.get(operationId)
      const route = handler === undefined
        ? notImplemented
        : declared === undefined
          ? adapt(handler, mediaTypes.get(operationId))
          : adaptIdempotent(app, operationId, declared, handler, mediaTypes.get(operationId))
      const options: Partial<RouteOptions> = {
        handler: route,
        ...(requirements.length === 0 ? {} : { onRequest: securityHook(securityHandlers, requirements) }),
      }
      // Glue's type asks for a whole RouteOptions; its docs and code merge these over the route it built.
      return options as RouteOptions
    },
  })
}

export default fp(contract, { name: 'contract', dependencies: ['auth', 'problems', 'db', 'caching', 'sessions', 'idempotency'] })
