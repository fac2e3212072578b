// Owns idempotent retries (the contract's `x-idempotent`): the contract plugin runs every such
// operation's handler through `app.idempotent`, which opens the handler's transaction, claims the
// request's Idempotency-Key in it, and stores the answer in it before it commits. Also sweeps
// expired keys on a timer. Register after db, before contract.
// @see https://docs.stripe.com/api/idempotent_requests
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Kysely, Transaction } from 'kysely'
import { claimKey, completeKey, sweepExpiredKeys, type StoredAnswer } from '../db/idempotency.js'
import type { Database } from '../db/schema.js'
import { badRequest, idempotencyKeyInUse, idempotencyKeyReused, loggable } from '../errors.js'
import { IDEMPOTENCY_HEADER, REPLAYED_HEADER, requestFingerprint, routeOf, type Idempotency } from '../lib/idempotency.js'

interface HandlerAnswer { status: number, body?: unknown, headers?: Record<string, string | undefined> }

/** Runs one idempotent operation's handler in the transaction it is given. */
type IdempotentRun = (
  declared: Idempotency,
  operationId: string,
  req: FastifyRequest,
  handler: (trx: Transaction<Database>) => Promise<HandlerAnswer>,
) => Promise<HandlerAnswer>

declare module 'fastify' {
  interface FastifyInstance {
    idempotent: IdempotentRun
  }
}

interface IdempotencyOptions {
  /** How often this instance deletes expired keys (default 15 minutes; 0 turns the sweep off). */
  sweepIntervalMs?: number
}

/** Whose key it is: the token's role and subject, or the public for routes without security. */
function callerScope (req: FastifyRequest): string {
  const user = req.user as { role?: unknown, sub?: unknown } | undefined
  return typeof user?.role === 'string' && typeof user.sub === 'string' ? `${user.role}:${user.sub}` : 'public'
}

const definedHeaders = (headers: HandlerAnswer['headers']): Record<string, string> =>
  Object.fromEntries(Object.entries(headers ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined))

function createIdempotentRun (db: Kysely<Database>): IdempotentRun {
  return async (declared, operationId, req, handler) => {
    const raw = req.headers[IDEMPOTENCY_HEADER.toLowerCase()]
    if (Array.isArray(raw)) {
      throw badRequest(`Send one ${IDEMPOTENCY_HEADER} header.`, [{ name: IDEMPOTENCY_HEADER, in: 'header', reason: 'was sent more than once' }])
    }
    const key = raw
    if (key === undefined) {
      // The contract's required header makes validation answer first; this covers a misdeclared route.
      if (declared === 'required') {
        throw badRequest(`The ${IDEMPOTENCY_HEADER} header is required.`, [{ name: IDEMPOTENCY_HEADER, in: 'header', reason: 'is required' }])
      }
      return await db.transaction().execute(handler)
    }
    const ref = { scope: callerScope(req), route: routeOf(operationId, req.params), key }
    const fingerprint = requestFingerprint(req.body)
    return await db.transaction().execute(async (trx) => {
      const claim = await claimKey(trx, ref, fingerprint)
      if (claim.kind === 'busy') throw idempotencyKeyInUse()
      if (claim.kind === 'stored') {
        if (claim.fingerprint !== fingerprint) throw idempotencyKeyReused()
        return replay(claim.answer)
      }
      const answer = await handler(trx)
      await completeKey(trx, claim.id, { status: answer.status, headers: definedHeaders(answer.headers), body: answer.body })
      return answer
    })
  }
}

const replay = (answer: StoredAnswer): HandlerAnswer => ({
  status: answer.status,
  body: answer.body ?? undefined,
  headers: { ...answer.headers, [REPLAYED_HEADER.toLowerCase()]: 'true' },
})

/** Deletes expired keys until none are left (several instances may do this at once). */
export async function sweepAllExpiredKeys (db: Kysely<Database>): Promise<number> {
  let total = 0
  for (;;) {
    const deleted = await sweepExpiredKeys(db)
    total += deleted
    if (deleted === 0) return total
  }
}

async function idempotency (app: FastifyInstance, opts: IdempotencyOptions): Promise<void> {
  app.decorate('idempotent', createIdempotentRun(app.db))

  const interval = opts.sweepIntervalMs ?? 15 * 60_000
  if (interval <= 0) return
  let sweeping: Promise<unknown> | undefined
  const timer = setInterval(() => {
    if (sweeping !== undefined) return
    sweeping = sweepAllExpiredKeys(app.db)
      .then((deleted) => { if (deleted > 0) app.log.info({ deleted }, 'expired idempotency keys swept') })
      .catch((err: unknown) => { app.log.warn({ err: loggable(err) }, 'could not sweep expired idempotency keys') })
      .finally(() => { sweeping = undefined })
  }, interval)
  timer.unref()
  app.addHook('onClose', async () => {
    clearInterval(timer)
    await sweeping
  })
}

export default fp(idempotency, { name: 'idempotency', dependencies: ['db'] })
