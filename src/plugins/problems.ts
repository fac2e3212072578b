// Owns the error and not-found handlers: every failure leaves as application/problem+json.
// Register before the routes so that their errors reach it. @see https://www.rfc-editor.org/rfc/rfc9457
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { HttpProblem, loggable, toProblem } from '../errors.js'

/** What fastify-openapi-glue throws when a security handler fails; it is exported as a type only. */
function unwrapSecurityError (err: unknown): unknown {
  const e = err as { name?: unknown, errors?: unknown }
  return e?.name === 'Unauthorized' && Array.isArray(e.errors) && e.errors.length > 0 ? e.errors[0] : err
}

export function sendProblem (req: FastifyRequest, reply: FastifyReply, problem: HttpProblem): FastifyReply {
  const body = {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: problem.message,
    instance: req.url.split('?')[0] ?? req.url,
    ...(problem.errors === undefined ? {} : { errors: problem.errors }),
    ...problem.extras,
  }
  return reply.code(problem.status).type('application/problem+json').send(body)
}

async function problems (app: FastifyInstance): Promise<void> {
  app.setErrorHandler((err, req, reply) => {
    const problem = toProblem(unwrapSecurityError(err))
    if (problem.status >= 500) req.log.error({ err: loggable(err) }, 'request failed')
    if (problem.status === 503) reply.header('retry-after', '5')
    return sendProblem(req, reply, problem)
  })

  // Rate-limited like any route, so probing for URLs costs the prober (when limits is registered).
  const notFound = (req: FastifyRequest, reply: FastifyReply) =>
    sendProblem(req, reply, new HttpProblem(404, 'Not Found', `No route for ${req.method} ${req.url.split('?')[0] ?? ''}.`))
  if (app.hasDecorator('rateLimit')) app.setNotFoundHandler({ preHandler: app.rateLimit() }, notFound)
  else app.setNotFoundHandler(notFound)
}

export default fp(problems, { name: 'problems' })
