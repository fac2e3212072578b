// Owns the error and not-found handlers: every failure leaves as application/problem+json.
// Register before the routes so that their errors reach it. @see https://www.rfc-editor.org/rfc/rfc9457
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { pingDatabase } from '../db/health.js'
import { isConnectionError } from '../db/pg-errors.js'
import { HttpProblem, loggable, shuttingDown, toProblem } from '../errors.js'
import { OutageLog } from '../lib/outage.js'

export function sendProblem (req: FastifyRequest, reply: FastifyReply, problem: HttpProblem): FastifyReply {
  const body = {
    type: problem.type,
    title: problem.title,
    status: problem.status,
    detail: problem.message,
    instance: (req.url.split('?')[0] ?? req.url).slice(0, MAX_REQUEST_TARGET_LENGTH),
    ...(problem.errors === undefined ? {} : { errors: problem.errors }),
    ...problem.extras,
  }
  return reply.code(problem.status).type('application/problem+json').send(body)
}

/**
 * The longest request target (path and query) served. The longest any operation needs is well
 * under a kilobyte; a longer one is refused before routing, so it never reaches a cache key, a log
 * line or a Link header. Pinned by test/query-strings.test.ts.
 */
export const MAX_REQUEST_TARGET_LENGTH = 2048

async function problems (app: FastifyInstance): Promise<void> {
  // The db plugin registers after this one; by the time a request fails, its probe is there.
  const outage = new OutageLog(app.log, () => app.hasDecorator('probeDatabase') ? pingDatabase(app.probeDatabase) : Promise.resolve(true))
  app.addHook('onClose', async () => outage.close())

  // A request that reaches routing once close() has begun (pipelined, or on a keep-alive
  // connection that was busy) is refused here, as problem+json; app.ts turns Fastify's own 503 off.
  let closing = false
  app.addHook('preClose', (done) => { closing = true; done() })
  app.addHook('onRequest', (req, reply, done) => {
    if (closing) {
      req.log.info('refused: the server is closing')
      sendProblem(req, reply.header('retry-after', '5'), shuttingDown())
      return
    }
    if (req.url.length <= MAX_REQUEST_TARGET_LENGTH) return done()
    done(new HttpProblem(414, 'URI Too Long', `The request target is longer than ${MAX_REQUEST_TARGET_LENGTH} characters.`))
  })
  app.setErrorHandler((err, req, reply) => {
    const problem = toProblem(err)
    if (problem.status === 503 && isConnectionError(err)) outage.record((err as Error).message)
    else if (problem.status >= 500) req.log.error({ err: loggable(err) }, 'request failed')
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
