// What the contract says about idempotent retries, read the same way by the code generator
// (scripts/generate-handlers.ts) and by the server (src/contract/plugin.ts): an operation marked
// `x-idempotent: required | optional` takes the `Idempotency-Key` header, and declares the answers
// the mechanism can give besides the handler's own.
//
// Making another operation idempotent: in openapi.yaml add `x-idempotent: optional` (or
// `required`), the `IdempotencyKey` (or `IdempotencyKeyRequired`) parameter, `Idempotent-Replayed`
// among the headers of its 2xx answer, and the 409/422 answers (IdempotencyKeyInUse and
// IdempotencyKeyReused, or their examples beside the operation's own 409/422); `npm run generate`
// then gives its handler a third argument, `trx`, and every write of the handler goes through it
// (repositories join it through src/db/transactions.ts's inTransaction).
import { createHash } from 'node:crypto'

export type Idempotency = 'required' | 'optional'

export const IDEMPOTENCY_HEADER = 'Idempotency-Key'
export const REPLAYED_HEADER = 'Idempotent-Replayed'

interface ResolvedParameter { name?: unknown, in?: unknown, required?: unknown }

/**
 * The operation's `x-idempotent`, checked against the rest of it; throws when the declaration is
 * incomplete, so a half-declared operation fails `npm run generate` and start-up alike.
 */
export function idempotencyOf (
  where: string,
  op: Record<string, unknown>,
  parameters: ResolvedParameter[],
  responseHeaders: (status: string) => string[],
): Idempotency | undefined {
  const declared = op['x-idempotent']
  if (declared === undefined) return undefined
  if (declared !== 'required' && declared !== 'optional') throw new Error(`${where}: x-idempotent must be required or optional`)
  const header = parameters.find((p) => p.in === 'header' && String(p.name).toLowerCase() === IDEMPOTENCY_HEADER.toLowerCase())
  if (header === undefined) throw new Error(`${where}: x-idempotent needs the ${IDEMPOTENCY_HEADER} header parameter`)
  if ((header.required === true) !== (declared === 'required')) {
    throw new Error(`${where}: x-idempotent: ${declared} needs the ${declared === 'required' ? 'IdempotencyKeyRequired' : 'IdempotencyKey'} parameter`)
  }
  const responses = Object.keys((op.responses ?? {}) as Record<string, unknown>)
  const needed = ['409', '422', ...(declared === 'required' ? ['400'] : [])]
  const missing = needed.filter((status) => !responses.includes(status))
  if (missing.length > 0) throw new Error(`${where}: x-idempotent needs the responses ${missing.join(', ')} (key in use, key reused, key missing)`)
  for (const status of responses.filter((s) => /^2\d\d$/.test(s))) {
    if (!responseHeaders(status).some((name) => name.toLowerCase() === REPLAYED_HEADER.toLowerCase())) {
      throw new Error(`${where}: x-idempotent needs the ${REPLAYED_HEADER} header on its ${status} response`)
    }
  }
  return declared
}

/** JSON with object keys sorted at every level, so member order never tells two bodies apart. */
function canonicalJson (value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value) ?? 'null'
}

/** What "the same request" means for a key: the validated body (defaults filled in), hashed. */
export const requestFingerprint = (body: unknown): string =>
  createHash('sha256').update(canonicalJson(body)).digest('base64url')

/** The route part of a key's scope: the operation and its path parameters. */
export const routeOf = (operationId: string, params: unknown): string => `${operationId} ${canonicalJson(params ?? {})}`
