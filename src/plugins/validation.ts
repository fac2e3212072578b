// Owns request validation. Bodies are validated strictly (a string is never coerced into a price),
// while path, query and header values, which arrive as strings, are coerced to the contract's types.
// Register before any route. @see https://fastify.dev/docs/latest/Reference/Validation-and-Serialization/
import { Ajv, type ErrorObject, type FuncKeywordDefinition, type Options, type ValidateFunction } from 'ajv'
import ajvFormats from 'ajv-formats'
import { fullFormats } from 'ajv-formats/dist/formats.js'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import { badRequest } from '../errors.js'
import { toArray } from '../lib/hooks.js'

const common: Options = {
  allErrors: true, // name every bad field at once; every input schema bounds its lengths and sizes
  useDefaults: true,
  removeAdditional: false, // an unknown field is refused (400), never silently dropped
  strict: true,
  // The contract's schemas are checked by Redocly's lint in CI, and AJV's strict mode still refuses
  // unknown keywords; validating every route schema against the meta-schema again at each start
  // cost a tenth of the cold start.
  validateSchema: false,
}

/** `x` as an exact decimal, digits × 10^exponent, from JS's shortest round-trip form of it. */
function decimal (x: number): { digits: bigint, exponent: number } {
  const [mantissa = '0', exponent = '0'] = String(Math.abs(x)).split('e')
  const [whole = '0', fraction = ''] = mantissa.split('.')
  return { digits: BigInt(whole + fraction) * (x < 0 ? -1n : 1n), exponent: Number(exponent) - fraction.length }
}

/**
 * Whether `value` is a whole multiple of `step`, decided on the decimals a client wrote rather than
 * on a float division. AJV divides (2187509738.24 / 0.01 = 218750973824.00003) and compares with a
 * tolerance (multipleOfPrecision), which at 6 digits refused valid prices and salaries above about
 * 10^8 with "must be multiple of 0.01" (found by test/fuzz.test.ts), and at fewer digits would let
 * 12.340001 through. Here 0.07 and 2187509738.24 pass and 12.345 fails, exactly.
 */
function isDecimalMultiple (value: number, step: number): boolean {
  if (!Number.isFinite(value) || !Number.isFinite(step) || step <= 0) return false
  const v = decimal(value)
  const s = decimal(step)
  const exponent = Math.min(v.exponent, s.exponent)
  const scaled = (d: { digits: bigint, exponent: number }): bigint => d.digits * 10n ** BigInt(d.exponent - exponent)
  return scaled(v) % scaled(s) === 0n
}

/** JSON Schema's `multipleOf`, decided by isDecimalMultiple; replaces AJV's own keyword. */
const decimalMultipleOf: FuncKeywordDefinition = {
  keyword: 'multipleOf',
  type: 'number',
  schemaType: 'number',
  errors: true,
  validate: function multipleOf (step: number, value: number): boolean {
    const ok = isDecimalMultiple(value, step)
    ;(multipleOf as unknown as { errors: Array<Partial<ErrorObject>> }).errors =
      ok ? [] : [{ keyword: 'multipleOf', message: `must be multiple of ${step}`, params: { multipleOf: step } }]
    return ok
  },
}

/**
 * RFC 3339's `full-date`, minus year 0000: PostgreSQL's `date` has no year 0 (1 BC comes before
 * 0001), so `"service_date": "0000-06-15"` passed validation and failed the insert with a 500.
 * Pinned by test/input.test.ts and test/fuzz.test.ts.
 */
const fullDate = fullFormats.date as { validate: (value: string) => boolean, compare: (a: string, b: string) => number | undefined }
const storableDate = { ...fullDate, validate: (value: string) => fullDate.validate(value) && !value.startsWith('0000') }

function createAjv (options: Options): Ajv {
  const ajv = new Ajv({ ...common, ...options })
  ajvFormats.default(ajv) // CommonJS default export, as seen from ESM
  ajv.addFormat('date', storableDate)
  ajv.removeKeyword('multipleOf')
  ajv.addKeyword(decimalMultipleOf)
  return ajv
}

/** A lone UTF-16 surrogate: legal in JSON (`"\ud800"`), but no Unicode text. */
const LONE_SURROGATE = /\p{Cs}/u

/** A JSON pointer segment (RFC 6901). */
const pointerSegment = (key: string | number): string => String(key).replaceAll('~', '~0').replaceAll('/', '~1')

/**
 * Every string in `value` that holds a lone surrogate, by JSON pointer, in document order. A loop,
 * not recursion: 20,000 nested arrays fit in the body limit and must not overflow the stack.
 */
function loneSurrogateErrors (value: unknown): ErrorObject[] {
  const errors: ErrorObject[] = []
  const pending: Array<[unknown, string]> = [[value, '']]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, path] = next
    if (typeof item === 'string') {
      if (LONE_SURROGATE.test(item)) {
        errors.push({ instancePath: path, schemaPath: '#', keyword: 'wellFormed', params: {}, message: 'must be well-formed Unicode text (no lone surrogates)' })
      }
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, child] of Object.entries(item).reverse()) pending.push([child, `${path}/${pointerSegment(key)}`])
    }
  }
  return errors
}

/**
 * PostgreSQL stores text as UTF-8, where a lone surrogate cannot exist: pg and PGlite silently
 * turn `"a\ud800b"` into `"a\ufffdb"`, so the row would not hold what the client sent and the
 * 201 would show different text. The contract's JSON Schema cannot say "well-formed", so every body
 * string is checked here, after the schema, and refused with the schema's errors (400).
 * Pinned by test/input.test.ts.
 */
function refusingLoneSurrogates (validate: ValidateFunction): ValidateFunction {
  const check = ((data: unknown) => {
    const valid = validate(data)
    const errors = [...(validate.errors ?? []), ...loneSurrogateErrors(data)]
    check.errors = errors.length > 0 ? errors : null
    return valid && errors.length === 0
  }) as ValidateFunction
  return Object.assign(check, { schema: validate.schema, schemaEnv: validate.schemaEnv })
}

/**
 * Path, query and header values are text that AJV coerces, and it coerces "1e400" to Infinity,
 * which then passed `type: integer` and `maximum` (AJV's strict mode skips its NaN/Infinity checks
 * on coerced values): `GET /inventory/1e400` and `?per_page=1e400` reached SQL and answered 500
 * (found by test/fuzz.test.ts). A coerced value must be a finite number or not a number at all.
 */
function refusingNonFinite (validate: ValidateFunction): ValidateFunction {
  const check = ((data: unknown) => {
    const valid = validate(data)
    const errors: ErrorObject[] = [...(validate.errors ?? [])]
    if (typeof data === 'object' && data !== null) {
      for (const [key, value] of Object.entries(data)) {
        if (typeof value === 'number' && !Number.isFinite(value)) {
          errors.push({ instancePath: `/${pointerSegment(key)}`, schemaPath: '#', keyword: 'type', params: {}, message: 'must be a finite number' })
        }
      }
    }
    check.errors = errors.length > 0 ? errors : null
    return valid && errors.length === 0
  }) as ValidateFunction
  return Object.assign(check, { schema: validate.schema, schemaEnv: validate.schemaEnv })
}

const CANONICAL_INTEGER = /^-?(0|[1-9][0-9]*)$/
const CANONICAL_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/

/** The numeric type a property's schema declares, looking through `array` to its items. */
function numericType (schema: unknown): 'integer' | 'number' | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined
  const { type, items } = schema as { type?: unknown, items?: unknown }
  if (type === 'integer' || type === 'number') return type
  return type === 'array' ? numericType(items) : undefined
}

/**
 * Path and query numbers must be written the one canonical decimal way. AJV's coercion reads text
 * with JavaScript's Number(), so `/customers/1e3`, `/customers/0x10`, `/customers/7.0`,
 * `/customers/+7`, `/customers/%207` and `/customers/07` all reached customers 1000, 16 and 7:
 * one resource under many URLs, each its own cache entry. Checked on the raw text, before AJV
 * coerces it. Pinned by test/input.test.ts.
 */
function refusingNonCanonicalNumbers (validate: ValidateFunction, schema: Record<string, unknown>): ValidateFunction {
  const properties = Object.entries((schema.properties ?? {}) as Record<string, unknown>)
    .map(([name, sub]) => [name, numericType(sub)] as const)
    .filter((entry): entry is readonly [string, 'integer' | 'number'] => entry[1] !== undefined)
  if (properties.length === 0) return validate
  const check = ((data: unknown) => {
    const errors: ErrorObject[] = []
    if (typeof data === 'object' && data !== null) {
      for (const [name, type] of properties) {
        const raw = (data as Record<string, unknown>)[name]
        const pattern = type === 'integer' ? CANONICAL_INTEGER : CANONICAL_NUMBER
        if ((Array.isArray(raw) ? raw : [raw]).some((v) => typeof v === 'string' && !pattern.test(v))) {
          errors.push({ instancePath: `/${pointerSegment(name)}`, schemaPath: '#', keyword: 'type', params: {}, message: `must be written as a canonical decimal ${type === 'integer' ? 'integer' : 'number'}` })
        }
      }
    }
    const valid = validate(data)
    const flagged = new Set(errors.map((e) => e.instancePath))
    const all = [...errors, ...(validate.errors ?? []).filter((e) => !flagged.has(e.instancePath))]
    check.errors = all.length > 0 ? all : null
    return valid && all.length === 0
  }) as ValidateFunction
  return Object.assign(check, { schema: validate.schema, schemaEnv: validate.schemaEnv })
}

/**
 * Every query parameter an operation accepts is declared in the contract; any other is refused
 * (400) rather than ignored. Ignored, it still reached the cache key and the Link header, so
 * `?x=<16 KB>` stored a new copy of a page per request. Operations without query parameters get an
 * empty query schema, so they refuse them too. Pinned by test/query-strings.test.ts.
 */
function closedQuery (schema: Record<string, unknown> | undefined): Record<string, unknown> {
  return { type: 'object', properties: {}, ...(schema ?? {}), additionalProperties: false }
}

/**
 * Fastify lowercases a headers schema's property names (request.headers are lowercase) only for
 * its own validator compiler, not for a custom one like ours: `If-None-Match` would stay
 * capitalized, never match `if-none-match`, and its maxLength: 512 would go unchecked
 * (test/fuzz.test.ts). Done here instead, for the only shapes the contract makes.
 */
function lowerCaseHeaderNames (schema: Record<string, unknown>): Record<string, unknown> {
  const properties = schema.properties as Record<string, unknown> | undefined
  const required = schema.required as string[] | undefined
  return {
    ...schema,
    ...(properties === undefined ? {} : { properties: Object.fromEntries(Object.entries(properties).map(([name, sub]) => [name.toLowerCase(), sub])) }),
    ...(required === undefined ? {} : { required: required.map((name) => name.toLowerCase()) }),
  }
}

/**
 * Fastify validates a body against the schema of the request's media type, so a body in a media
 * type the contract does not declare, or no body at all, would reach the handler unvalidated.
 * Every body in the contract is JSON: other media types get 415 (their parsers are removed) and a
 * missing body gets 400 here.
 */
async function requireBody (req: FastifyRequest): Promise<void> {
  if (req.body === undefined) throw badRequest('The request needs a JSON body.', [{ name: '/', in: 'body', reason: 'is required' }])
}

async function validation (app: FastifyInstance): Promise<void> {
  app.removeContentTypeParser('text/plain')
  app.addHook('onRoute', (route: RouteOptions) => {
    // Only the contract's routes carry an operationId; Fastify's own (HEAD twins) copy the schema.
    if (route.schema !== undefined && (route.schema as { operationId?: unknown }).operationId !== undefined) {
      route.schema.querystring = closedQuery(route.schema.querystring as Record<string, unknown> | undefined)
    }
    if ((route.schema as { body?: unknown } | undefined)?.body === undefined) return
    route.preValidation = [...toArray(route.preValidation), requireBody]
  })
  const strict = createAjv({ coerceTypes: false })
  const coercing = createAjv({ coerceTypes: 'array' })
  app.setValidatorCompiler(({ schema, httpPart }) => {
    // glue gives every dereferenced schema the same placeholder $id; AJV would refuse the second one.
    const { $id: _id, ...rest } = schema as Record<string, unknown>
    if (httpPart === 'body') return refusingLoneSurrogates(strict.compile(rest))
    if (httpPart === 'headers') return refusingNonFinite(coercing.compile(lowerCaseHeaderNames(rest)))
    return refusingNonCanonicalNumbers(refusingNonFinite(coercing.compile(rest)), rest)
  })
}

export default fp(validation, { name: 'validation' })
