// One vocabulary for failures: handlers throw HttpProblem, and toProblem() turns anything thrown
// anywhere (validation, JWT, rate limit, the database) into an RFC 9457 problem.
import type { FastifyError } from 'fastify'
import type { components } from '../generated/api.js'
import { InsufficientStock, InvoiceHasPayments, InvoiceNotOpen, PaymentExceedsBalance, StockLimitExceeded, StockNotTracked } from './db/errors.js'
import { DuplicateValue, isConnectionError, RowNotFound, StillReferenced, unexpectedViolation, UnknownReference, type RefusedField } from './db/pg-errors.js'
import { IllegalTransition, InvalidTicketValue, ReauthorizationRequired, StaleTicket, TicketContention, TicketFull, TicketLocked } from './db/ticket-errors.js'
import { QueueFull } from './lib/concurrency.js'
import { toMoney } from './lib/money.js'

export type FieldError = components['schemas']['FieldError']

export class HttpProblem extends Error {
  constructor (
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly type = 'about:blank',
    readonly errors?: FieldError[],
    /** Members of the problem beyond RFC 9457's, declared by the operation's schema (`from`, `to`, `allowed`, `available`). */
    readonly extras?: Record<string, unknown>,
  ) {
    super(detail)
  }
}

const PROBLEM_TYPES = {
  validation: '/problems/validation-error',
  conflict: '/problems/conflict',
  unknownReference: '/problems/unknown-reference',
  unavailable: '/problems/service-unavailable',
  preconditionFailed: '/problems/precondition-failed',
  illegalTransition: '/problems/illegal-transition',
  reauthorizationRequired: '/problems/reauthorization-required',
  ticketLocked: '/problems/ticket-locked',
  insufficientStock: '/problems/insufficient-stock',
  stockNotTracked: '/problems/stock-not-tracked',
  stockLimit: '/problems/stock-limit',
  idempotencyKeyInUse: '/problems/idempotency-key-in-use',
  idempotencyKeyReused: '/problems/idempotency-key-reused',
  paymentExceedsBalance: '/problems/payment-exceeds-balance',
  invoiceNotOpen: '/problems/invoice-not-open',
  invoiceHasPayments: '/problems/invoice-has-payments',
} as const

export const badRequest = (detail: string, errors: FieldError[]) =>
  new HttpProblem(400, 'Bad Request', detail, PROBLEM_TYPES.validation, errors)
export const unauthorized = (detail = 'A valid bearer token is required.') =>
  new HttpProblem(401, 'Unauthorized', detail)
export const forbidden = (detail: string) => new HttpProblem(403, 'Forbidden', detail)
const notFound = (what: string, id: number) => new HttpProblem(404, 'Not Found', `No ${what} with id ${id}.`)

/**
 * The one "not found" convention: a repository answers `undefined` for a row that is not there (or
 * `false` for a delete that found none), and the handler turns that into a 404 naming what and id.
 */
export function found<R> (row: R | undefined | false, what: string, id: number): R {
  if (row === undefined || row === false) throw notFound(what, id)
  return row
}
export const conflict = (detail: string) => new HttpProblem(409, 'Conflict', detail, PROBLEM_TYPES.conflict)
const serviceUnavailable = (detail = 'The database is unavailable; try again shortly.') =>
  new HttpProblem(503, 'Service Unavailable', detail, PROBLEM_TYPES.unavailable)
export const shuttingDown = () => serviceUnavailable('The server is shutting down; try again shortly.')

export const idempotencyKeyInUse = () =>
  new HttpProblem(409, 'Conflict', 'A request with this Idempotency-Key is still running; retry once it has answered.', PROBLEM_TYPES.idempotencyKeyInUse)
export const idempotencyKeyReused = () =>
  new HttpProblem(422, 'Unprocessable Content', 'This Idempotency-Key was used with another request; use a new key for a new change.',
    PROBLEM_TYPES.idempotencyKeyReused, [{ name: 'Idempotency-Key', in: 'header', reason: 'was used with another request body' }])

/** Fields of the body a repository refused, as the problem's `errors`. */
const bodyFields = (fields: readonly RefusedField[]): FieldError[] =>
  fields.map(({ field, reason }) => ({ name: `/${field}`, in: 'body', reason }))

/** The answer to a refusal of the database layer (src/db/pg-errors.ts, errors.ts, ticket-errors.ts); undefined for anything else. */
function repositoryProblem (err: unknown): HttpProblem | undefined {
  if (err instanceof DuplicateValue || err instanceof StillReferenced || err instanceof TicketContention || err instanceof TicketFull) return conflict(err.message)
  if (err instanceof UnknownReference) {
    return new HttpProblem(422, 'Unprocessable Content', err.message, PROBLEM_TYPES.unknownReference, bodyFields(err.fields))
  }
  if (err instanceof RowNotFound) return notFound(err.what, err.id)
  if (err instanceof InvalidTicketValue) return badRequest(err.message, bodyFields(err.fields))
  if (err instanceof StaleTicket) return new HttpProblem(412, 'Precondition Failed', err.message, PROBLEM_TYPES.preconditionFailed)
  if (err instanceof TicketLocked) return new HttpProblem(409, 'Conflict', err.message, PROBLEM_TYPES.ticketLocked)
  if (err instanceof ReauthorizationRequired) return new HttpProblem(409, 'Conflict', err.message, PROBLEM_TYPES.reauthorizationRequired)
  if (err instanceof IllegalTransition) {
    return new HttpProblem(409, 'Conflict', err.message, PROBLEM_TYPES.illegalTransition, undefined, { from: err.from, to: err.to, allowed: [...err.allowed] })
  }
  if (err instanceof InsufficientStock) {
    return new HttpProblem(409, 'Conflict', err.message, PROBLEM_TYPES.insufficientStock, undefined, { available: err.available })
  }
  if (err instanceof StockNotTracked) return new HttpProblem(409, 'Conflict', err.message, PROBLEM_TYPES.stockNotTracked)
  if (err instanceof StockLimitExceeded) return new HttpProblem(409, 'Conflict', err.message, PROBLEM_TYPES.stockLimit)
  if (err instanceof PaymentExceedsBalance) {
    return new HttpProblem(409, 'Conflict', err.message, PROBLEM_TYPES.paymentExceedsBalance, undefined, { balance_due: toMoney(err.balanceDue) })
  }
  if (err instanceof InvoiceNotOpen) return new HttpProblem(409, 'Conflict', err.message, PROBLEM_TYPES.invoiceNotOpen)
  if (err instanceof InvoiceHasPayments) return new HttpProblem(409, 'Conflict', err.message, PROBLEM_TYPES.invoiceHasPayments)
  return undefined
}

const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

const VALIDATION_LOCATIONS: Record<string, FieldError['in']> = {
  body: 'body',
  params: 'path',
  querystring: 'query',
  headers: 'header',
}

interface AjvError {
  instancePath: string
  keyword: string
  message?: string
  params: Record<string, unknown>
}

function fieldName (e: AjvError): string {
  if (e.keyword === 'required') return `${e.instancePath}/${String(e.params.missingProperty)}`
  if (e.keyword === 'additionalProperties') return `${e.instancePath}/${String(e.params.additionalProperty)}`
  return e.instancePath === '' ? '/' : e.instancePath
}

function fieldReason (e: AjvError): string {
  if (e.keyword === 'additionalProperties') return 'is not an accepted field'
  return e.message ?? 'is invalid'
}

export function toProblem (err: unknown): HttpProblem {
  if (err instanceof HttpProblem) return err
  const fromRepository = repositoryProblem(err)
  if (fromRepository !== undefined) return fromRepository
  const e = err as Partial<FastifyError> & { validation?: AjvError[], validationContext?: string }

  if (Array.isArray(e.validation)) {
    const location = VALIDATION_LOCATIONS[e.validationContext ?? 'body'] ?? 'body'
    const errors = e.validation.map((v) => ({ name: fieldName(v), in: location, reason: fieldReason(v) }))
    const detail = errors.length === 1 ? 'The request has 1 invalid field.' : `The request has ${errors.length} invalid fields.`
    return badRequest(detail, errors)
  }

  const violation = unexpectedViolation(err)
  if (violation === 'duplicate') return conflict('A record with this value already exists.')
  if (violation === 'referenced') return conflict('The record is still referenced by other records.')
  if (isConnectionError(err)) return serviceUnavailable()
  if (err instanceof QueueFull) return serviceUnavailable('Too many password checks are waiting; try again shortly.')

  const status = typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 600 ? e.statusCode : 500
  if (status >= 500 && status !== 503) return new HttpProblem(status, STATUS_TITLES[status] ?? 'Internal Server Error', 'An unexpected error occurred.')
  const title = STATUS_TITLES[status] ?? 'Error'
  if (status === 400) {
    // Fastify's own 400s (malformed JSON, a body on a GET…) have no AJV details: name the body.
    return badRequest(e.message ?? 'The request is malformed.', [{ name: '/', in: 'body', reason: e.message ?? 'is malformed' }])
  }
  return new HttpProblem(status, title, e.message ?? title)
}

/** Error fields that carry a statement's values: pg's `detail` and `where`, PGlite's `params`. */
const VALUE_FIELDS = ['detail', 'where', 'params', 'internalQuery'] as const

/**
 * The error as it may be logged. A database error quotes the values involved: on a failed write
 * to customers or mechanics, PostgreSQL's `detail` ("Failing row contains (…)") and PGlite's
 * `params` hold the password hash, and a 500's log line (test/input.test.ts, "logs hold no
 * password") or a failed rehash's (test/login.test.ts) carried it. The rest of the error
 * (message, code, constraint, table, stack) stays.
 */
export function loggable (err: unknown): unknown {
  if (!(err instanceof Error) || !VALUE_FIELDS.some((field) => field in err)) return err
  const copy = Object.assign(new Error(err.message), err)
  for (const field of VALUE_FIELDS) if (field in copy) Object.assign(copy, { [field]: '[redacted]' })
  copy.name = err.name
  if (err.stack !== undefined) copy.stack = err.stack
  return copy
}
