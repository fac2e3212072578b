// fast-check arbitraries from the contract's JSON Schemas, for the subset openapi.yaml uses: object
// (properties, required, additionalProperties), string (minLength, maxLength, pattern, format email
// and date), integer and number (minimum, maximum, multipleOf), array (items, minItems, maxItems,
// uniqueItems), boolean, const, enum and local $refs. `valid` makes values the schema accepts;
// `invalid` takes a valid value and breaks exactly one thing in it (a wrong type, a value out of
// range, an extra property, a missing required one), and says what it broke.
// Both are checked against the contract's schema with an independent JSON Schema validator, so a
// converter bug shows up as a test failure here rather than as a wrong verdict on the server.
import { Ajv2020 } from 'ajv/dist/2020.js'
import type { ValidateFunction } from 'ajv'
import ajvFormats from 'ajv-formats'
import { fullFormats } from 'ajv-formats/dist/formats.js'
import fc from 'fast-check'
import { multipleOfKeyword } from './multiple-of.js'
import { resolve, spec, type Json } from './operations.js'

export interface Invalid { value: unknown, why: string }

export interface ArbitraryOptions {
  /** Replaces the arbitrary for a `$ref` (e.g. ids biased towards rows that exist). */
  refs?: Record<string, fc.Arbitrary<unknown>>
}

const ajv = new Ajv2020({ strict: false, allErrors: false, validateSchema: false })
ajvFormats.default(ajv)
ajv.removeKeyword('multipleOf') // exact decimals, by the tests' own code (./multiple-of.ts)
ajv.addKeyword(multipleOfKeyword)
const validators = new WeakMap<Json, ValidateFunction>()

/** The contract's verdict on `value` under `schema` (refs resolve against openapi.yaml). */
function contractAccepts (schema: Json, value: unknown): boolean {
  let validate = validators.get(schema)
  if (validate === undefined) {
    validate = ajv.compile({ ...schema, components: spec.components })
    validators.set(schema, validate)
  }
  return validate(value) as boolean
}

/** Length as JSON Schema counts it: in code points, not UTF-16 units. */
const codePoints = (s: string): number => [...s].length

const emailFormat = fullFormats.email as RegExp

/** Strings that have broken other servers; each is used wherever the schema accepts it. */
const HOSTILE_STRINGS = [
  "'); drop table customers; --",
  "1' OR '1'='1",
  'Robert"); DROP TABLE service_tickets;--',
  '$$; delete from mechanics; $$',
  '%s%n${jndi:x}{{7*7}}',
  '<script>alert(1)</script>',
  '👩‍🔧🚗💨',
  'abc\u202Eevil',
  'שלום مرحبا',
  'Z\u0335a\u0336l\u0337g\u0338o e\u0301',
  '\u200B\uFEFF',
  'one\u2028two',
  'line\nbreak',
  '\\',
  'null',
  'undefined',
  '[object Object]',
]

// A Unicode string that "accepts anything but control characters" patterns take: when a pattern
// takes it, generation also tries arbitrary Unicode, not just the ASCII that stringMatching makes.
const UNICODE_PROBE = 'Zoë 👩‍🔧 שלום'

function validString (schema: Json): fc.Arbitrary<string> {
  const min = (schema.minLength as number | undefined) ?? 0
  const max = (schema.maxLength as number | undefined) ?? 1000
  const fits = (s: string): boolean => codePoints(s) >= min && codePoints(s) <= max
  if (schema.format === 'email') {
    return fc.emailAddress().filter((s) => s.length <= max && emailFormat.test(s))
  }
  if (schema.format === 'date') {
    // Years 0001–9999: the server refuses year 0000, which PostgreSQL cannot store (see
    // src/plugins/validation.ts), though RFC 3339 allows it.
    return fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true })
      .map((d) => d.toISOString().slice(0, 10))
  }
  if (schema.format !== undefined) throw new Error(`no arbitrary for format ${String(schema.format)}`)
  const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern, 'u') : undefined
  const matches = (s: string): boolean => pattern === undefined || pattern.test(s)
  const sources: Array<fc.Arbitrary<string>> = []
  if (pattern !== undefined) sources.push(fc.stringMatching(pattern))
  if (pattern === undefined || pattern.test(UNICODE_PROBE)) {
    sources.push(fc.string({ unit: 'binary', minLength: min, maxLength: Math.min(max, 300) }))
    sources.push(fc.string({ unit: 'grapheme', minLength: min, maxLength: Math.min(max, 40) }))
  }
  const hostile = HOSTILE_STRINGS.filter((s) => fits(s) && matches(s))
  if (hostile.length > 0) sources.push(fc.constantFrom(...hostile))
  const longest = 'x'.repeat(max)
  if (max > 300 && fits(longest) && matches(longest)) sources.push(fc.constant(longest))
  return fc.oneof(...sources).filter((s) => fits(s) && matches(s))
}

function decimalsOf (step: number): number {
  const [, fraction = ''] = String(step).split('.')
  return fraction.length
}

function validNumber (schema: Json, integer: boolean): fc.Arbitrary<number> {
  const min = (schema.minimum as number | undefined) ?? (integer ? -(2 ** 31) : -1e12)
  const max = (schema.maximum as number | undefined) ?? (integer ? 2 ** 31 - 1 : 1e12)
  const step = schema.multipleOf as number | undefined
  if (step !== undefined) {
    // A multiple of `step` as k × step, rounded to step's decimals so 7 × 0.01 is 0.07, not 0.07000000000000001.
    const decimals = decimalsOf(step)
    return fc.integer({ min: Math.ceil(min / step), max: Math.floor(max / step) }).map((k) => Number((k * step).toFixed(decimals)))
  }
  return integer ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true })
}

export function valid (node: Json, opts: ArbitraryOptions = {}): fc.Arbitrary<unknown> {
  if (typeof node.$ref === 'string') return opts.refs?.[node.$ref] ?? valid(resolve(node), opts)
  const schema = node
  if ('const' in schema) return fc.constant(schema.const)
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]))
  // The contract's oneOf branches are disjoint (an id or null), so any branch's value is valid.
  if (Array.isArray(schema.oneOf)) return fc.oneof(...(schema.oneOf as Json[]).map((branch) => valid(branch, opts)))
  switch (schema.type) {
    case 'null': return fc.constant(null)
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Json>
      const required = (schema.required ?? []) as string[]
      const model = Object.fromEntries(Object.entries(properties).map(([key, sub]) => [key, valid(sub, opts)]))
      return fc.record(model, { requiredKeys: required })
    }
    case 'array': {
      const item = valid(schema.items as Json, opts)
      const constraints = { minLength: (schema.minItems as number | undefined) ?? 0, maxLength: Math.min((schema.maxItems as number | undefined) ?? 20, 60) }
      return schema.uniqueItems === true
        ? fc.uniqueArray(item, { ...constraints, selector: (v) => JSON.stringify(v) })
        : fc.array(item, constraints)
    }
    case 'string': return validString(schema)
    case 'integer': return validNumber(schema, true)
    case 'number': return validNumber(schema, false)
    case 'boolean': return fc.boolean()
  }
  throw new Error(`no arbitrary for schema ${JSON.stringify(schema)}`)
}

const typeName = (value: unknown): string => value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value

/** Values of every JSON type but `type`. */
function wrongType (type: unknown): fc.Arbitrary<Invalid> {
  const samples: unknown[] = ['12', 'text', 12, 12.5, true, null, [], [1], {}, { a: 1 }]
  const wrong = samples.filter((v) => {
    const t = typeName(v)
    if (type === 'integer') return t !== 'number' || !Number.isInteger(v)
    return t !== type
  })
  return fc.constantFrom(...wrong).map((value) => ({ value, why: `wrong type (${typeName(value)} for ${String(type)})` }))
}

function invalidString (schema: Json): Array<fc.Arbitrary<Invalid>> {
  const options = [wrongType('string')]
  const min = schema.minLength as number | undefined
  const max = schema.maxLength as number | undefined
  if (min !== undefined && min > 0) options.push(fc.constant({ value: 'a'.repeat(min - 1), why: `shorter than ${min}` }))
  if (max !== undefined) options.push(fc.constantFrom('a', 'A', '7').map((c) => ({ value: c.repeat(max + 1), why: `longer than ${max}` })))
  if (typeof schema.pattern === 'string') {
    const pattern = new RegExp(schema.pattern, 'u')
    const breakers = ['nul\u0000byte', 'tab\there', 'bell\u0007', 'del\u007f', 'lower iooq vin x', '!!!', 'ñ'].filter((s) => !pattern.test(s))
    if (breakers.length > 0) options.push(fc.constantFrom(...breakers).map((value) => ({ value, why: `does not match ${String(schema.pattern)}` })))
  }
  if (schema.format === 'email') {
    options.push(fc.constantFrom('not-an-email', 'a@', '@example.com', 'a b@example.com', 'a@b@example.com').map((value) => ({ value, why: 'not an email' })))
  }
  if (schema.format === 'date') {
    options.push(fc.constantFrom('2026-02-30', '2026-13-01', '2026-1-1', '20261201', '2026-12-01T00:00:00Z', 'tomorrow').map((value) => ({ value, why: 'not a date' })))
  }
  return options
}

function invalidNumber (schema: Json, integer: boolean): Array<fc.Arbitrary<Invalid>> {
  const options = [wrongType(integer ? 'integer' : 'number')]
  const min = schema.minimum as number | undefined
  const max = schema.maximum as number | undefined
  if (min !== undefined) options.push(fc.constantFrom(min - 1, min - 1e6).map((value) => ({ value, why: `below ${min}` })))
  if (max !== undefined) options.push(fc.constantFrom(max + 1, max * 10 + 1).map((value) => ({ value, why: `above ${max}` })))
  if (integer) options.push(fc.constant({ value: 1.5, why: 'not an integer' }))
  const step = schema.multipleOf as number | undefined
  if (step !== undefined) options.push(fc.constantFrom(step / 2, 1 + step / 3).map((value) => ({ value, why: `not a multiple of ${step}` })))
  return options
}

/** Arbitraries that break `node` in one way each; none when nothing can be broken. */
function breakers (node: Json, opts: ArbitraryOptions): Array<fc.Arbitrary<Invalid>> {
  const schema = typeof node.$ref === 'string' ? resolve(node) : node
  if ('const' in schema || Array.isArray(schema.enum)) {
    return [fc.constantFrom('something-else', 42, null).map((value) => ({ value, why: 'not an allowed value' }))]
  }
  // What breaks one branch may be another branch's value: invalid() keeps only what the contract refuses.
  if (Array.isArray(schema.oneOf)) return (schema.oneOf as Json[]).flatMap((branch) => breakers(branch, opts))
  switch (schema.type) {
    case 'null': return [wrongType('null')]
    case 'string': return invalidString(schema)
    case 'integer': return invalidNumber(schema, true)
    case 'number': return invalidNumber(schema, false)
    case 'boolean': return [wrongType('boolean')]
    case 'array': {
      const item = valid(schema.items as Json, opts)
      const options = [wrongType('array')]
      const max = schema.maxItems as number | undefined
      if (max !== undefined) {
        options.push(fc.constant(null).map(() => ({ value: Array.from({ length: max + 1 }, (_, i) => i + 1), why: `more than ${max} items` })))
      }
      if (schema.uniqueItems === true) options.push(item.map((v) => ({ value: [v, v], why: 'a duplicate item' })))
      for (const bad of breakers(schema.items as Json, opts)) {
        options.push(fc.tuple(fc.array(item, { maxLength: 3 }), bad).map(([items, b]) => ({ value: [...items, b.value], why: `an item: ${b.why}` })))
      }
      return options
    }
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Json>
      const required = (schema.required ?? []) as string[]
      const whole = valid(schema, opts) as fc.Arbitrary<Json>
      const options = [wrongType('object')]
      if (schema.additionalProperties === false) {
        const extras = ['id', 'role', 'password_hash', 'created_at', 'ticket_count', 'customer_id', 'is_admin', 'extra', ''].filter((k) => !(k in properties))
        options.push(fc.tuple(whole, fc.constantFrom(...extras), fc.jsonValue()).map(([v, key, extra]) => ({ value: { ...v, [key]: extra }, why: `an extra property "${key}"` })))
      }
      for (const key of required) {
        options.push(whole.map((v) => {
          const { [key]: _removed, ...rest } = v
          return { value: rest, why: `missing required "${key}"` }
        }))
      }
      for (const [key, sub] of Object.entries(properties)) {
        for (const bad of breakers(sub, opts)) {
          options.push(fc.tuple(whole, bad).map(([v, b]) => ({ value: { ...v, [key]: b.value }, why: `"${key}": ${b.why}` })))
        }
      }
      return options
    }
  }
  throw new Error(`no invalid arbitrary for schema ${JSON.stringify(schema)}`)
}

/** A value the contract refuses, broken in one way; filtered through the contract's own validator. */
export function invalid (node: Json, opts: ArbitraryOptions = {}): fc.Arbitrary<Invalid> {
  const options = breakers(node, opts)
  if (options.length === 0) throw new Error(`nothing to break in ${JSON.stringify(node)}`)
  return fc.oneof(...options).filter(({ value }) => !contractAccepts(node, value))
}

/**
 * Path, query and header values travel as text and the server coerces them to the schema's type,
 * so "wrong type" there means text that is no number at all.
 */
export function invalidParameter (node: Json): fc.Arbitrary<Invalid> {
  const schema = typeof node.$ref === 'string' ? resolve(node) : node
  if (schema.type === 'integer') {
    const options: Array<fc.Arbitrary<Invalid>> = [
      fc.constantFrom('abc', '1.5', 'true', 'null', '1e400', '9'.repeat(30), "1'--").map((value) => ({ value, why: 'not an integer' })),
    ]
    if (typeof schema.minimum === 'number') options.push(fc.constantFrom(String(schema.minimum - 1), '-1').filter((v) => Number(v) < Number(schema.minimum)).map((value) => ({ value, why: `below ${String(schema.minimum)}` })))
    if (typeof schema.maximum === 'number') options.push(fc.constant({ value: String(schema.maximum + 1), why: `above ${String(schema.maximum)}` }))
    return fc.oneof(...options)
  }
  if (schema.type === 'boolean') {
    return fc.constantFrom('yes', 'maybe', 'on', 'TRUE ').map((value) => ({ value, why: 'not true or false' }))
  }
  if (schema.type === 'string' && typeof schema.maxLength === 'number') {
    const options: Array<fc.Arbitrary<Invalid>> = [fc.constant({ value: 'W/"'.padEnd(schema.maxLength + 1, 'x'), why: `longer than ${schema.maxLength}` })]
    if (typeof schema.pattern === 'string') {
      const pattern = new RegExp(schema.pattern, 'u')
      const breakers = ['two words', 'a\tb'].filter((s) => !pattern.test(s))
      if (breakers.length > 0) options.push(fc.constantFrom(...breakers).map((value) => ({ value, why: `does not match ${String(schema.pattern)}` })))
    }
    return fc.oneof(...options)
  }
  if (schema.type === 'string' && typeof schema.pattern === 'string') {
    const pattern = new RegExp(schema.pattern, 'u')
    const misfits = ['not valid!', 'a', '0'.repeat(40)].filter((value) => !pattern.test(value))
    if (misfits.length > 0) return fc.constantFrom(...misfits).map((value) => ({ value, why: `not matching ${String(schema.pattern)}` }))
  }
  throw new Error(`no invalid parameter for ${JSON.stringify(schema)}`)
}

/** Text for a header: visible ASCII only, which is all HTTP lets through unencoded. */
export function headerText (node: Json): fc.Arbitrary<string> {
  const schema = typeof node.$ref === 'string' ? resolve(node) : node
  const max = (schema.maxLength as number | undefined) ?? 100
  const pattern = typeof schema.pattern === 'string' ? new RegExp(schema.pattern, 'u') : undefined
  return fc.oneof(fc.stringMatching(/^[\x21-\x7e]{1,60}$/), fc.constant('"inventory-abc"'), fc.constant('*'), fc.constant('W/"x", "y"'))
    .filter((s) => s.length <= max && (pattern === undefined || pattern.test(s)))
}
