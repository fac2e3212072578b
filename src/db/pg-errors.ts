// The one place that knows PostgreSQL's error codes, and the database-layer errors repositories
// throw. pg and PGlite both put `code`, `constraint` and `detail` on the error they throw.
// Repositories recognise the violation they expect (by SQLSTATE and constraint name) and throw
// one of the errors below, which know nothing of HTTP; src/errors.ts maps them to problems.

const UNIQUE_VIOLATION = '23505'
const FOREIGN_KEY_VIOLATION = '23503'
// PostgreSQL 18 (and so PGlite 0.5) reports a delete blocked by an ON DELETE RESTRICT key as
// restrict_violation rather than foreign_key_violation; older servers say 23503 for both.
const RESTRICT_VIOLATION = '23001'
// Admin shutdown, crash shutdown, cannot connect now, and the connection exceptions (class 08);
// EAI_AGAIN and ENOTFOUND: the database's host name does not resolve (yet), as while a container
// or a Kubernetes service is still starting, or during a DNS outage.
const CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08006', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'EAI_AGAIN', 'ENOTFOUND'])
// pg reports a lost or refused connection with these messages and no SQLSTATE.
const CONNECTION_MESSAGES = /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|Client has encountered a connection error|Connection ended unexpectedly|Query read timeout/

interface ConstraintError { code?: unknown, constraint?: unknown }

function codeOf (err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined
  const { code } = err as ConstraintError
  return typeof code === 'string' ? code : undefined
}

function violates (err: unknown, codes: readonly string[], constraint: string): boolean {
  const code = codeOf(err)
  return code !== undefined && codes.includes(code) && (err as ConstraintError).constraint === constraint
}

export const isUniqueViolation = (err: unknown, constraint: string): boolean =>
  violates(err, [UNIQUE_VIOLATION], constraint)

/** The row is still referenced through `constraint`, whichever ON DELETE action refused it. */
export const isStillReferenced = (err: unknown, constraint: string): boolean =>
  violates(err, [FOREIGN_KEY_VIOLATION, RESTRICT_VIOLATION], constraint)

/** For a delete's `.catch`: a refusal through `constraint` becomes StillReferenced(message). */
export const rethrowStillReferenced = (constraint: string, message: string) => (err: unknown): never => {
  if (isStillReferenced(err, constraint)) throw new StillReferenced(message)
  throw err
}

/** An insert or update named a row that does not exist through `constraint`. */
export const isMissingReference = (err: unknown, constraint: string): boolean =>
  violates(err, [FOREIGN_KEY_VIOLATION], constraint)

/**
 * What a violation no repository expected means to a client: a duplicate value or a row still
 * referenced (either way a conflict), or nothing a client caused.
 */
export function unexpectedViolation (err: unknown): 'duplicate' | 'referenced' | undefined {
  const code = codeOf(err)
  if (code === UNIQUE_VIOLATION) return 'duplicate'
  if (code === FOREIGN_KEY_VIOLATION || code === RESTRICT_VIOLATION) return 'referenced'
  return undefined
}

/** The database is unreachable or went away: the request may succeed later (503), it is not a bug. */
export function isConnectionError (err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false
  const code = codeOf(err)
  if (code !== undefined && CONNECTION_CODES.has(code)) return true
  const { message } = err as { message?: unknown }
  if (typeof message === 'string' && CONNECTION_MESSAGES.test(message)) return true
  const cause = (err as { cause?: unknown }).cause
  return cause !== undefined && cause !== err && isConnectionError(cause)
}

/** A value that must be unique is taken (`field`: the API's name for it). */
export class DuplicateValue extends Error {
  constructor (readonly field: string, message: string) {
    super(message)
    this.name = 'DuplicateValue'
  }
}

/** A row cannot go while others still refer to it. */
export class StillReferenced extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'StillReferenced'
  }
}

/**
 * A write named rows that do not exist through `field` (the API's name for it). Thrown inside the
 * transaction that found out, so that the transaction rolls back.
 */
export class UnknownReference extends Error {
  constructor (readonly field: string, readonly what: string, readonly ids: readonly number[]) {
    super(`No ${what} with id ${ids.join(', ')}.`)
    this.name = 'UnknownReference'
  }
}

/**
 * The row a write inside a transaction works on does not exist: thrown there so that the
 * transaction rolls back. Outside a transaction a repository returns `undefined` (or `false` for a
 * delete) instead, and the handler answers "not found".
 */
export class RowNotFound extends Error {
  constructor (readonly what: string, readonly id: number) {
    super(`No ${what} with id ${id}.`)
    this.name = 'RowNotFound'
  }
}
