// Recognises the constraint violations a client can cause, by SQLSTATE and constraint name, so a
// repository can turn the one it expects into a precise problem and leave every other error alone.
// pg and PGlite both put `code` and `constraint` on the error they throw.

const UNIQUE_VIOLATION = '23505'
const FOREIGN_KEY_VIOLATION = '23503'
// PostgreSQL 18 (and so PGlite 0.5) reports a delete blocked by an ON DELETE RESTRICT key as
// restrict_violation rather than foreign_key_violation; older servers say 23503 for both.
const RESTRICT_VIOLATION = '23001'

interface ConstraintError { code?: unknown, constraint?: unknown }

function violates (err: unknown, codes: readonly string[], constraint: string): boolean {
  if (typeof err !== 'object' || err === null) return false
  const { code, constraint: name } = err as ConstraintError
  return typeof code === 'string' && codes.includes(code) && name === constraint
}

export const isUniqueViolation = (err: unknown, constraint: string): boolean =>
  violates(err, [UNIQUE_VIOLATION], constraint)

/** The row is still referenced through `constraint`, whichever ON DELETE action refused it. */
export const isStillReferenced = (err: unknown, constraint: string): boolean =>
  violates(err, [FOREIGN_KEY_VIOLATION, RESTRICT_VIOLATION], constraint)

/** An insert or update named a row that does not exist through `constraint`. */
export const isMissingReference = (err: unknown, constraint: string): boolean =>
  violates(err, [FOREIGN_KEY_VIOLATION], constraint)
