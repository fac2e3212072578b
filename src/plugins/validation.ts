// Owns request validation. Bodies are validated strictly (a string is never coerced into a price),
// while path, query and header values, which arrive as strings, are coerced to the contract's types.
// Register before any route. @see https://fastify.dev/docs/latest/Reference/Validation-and-Serialization/
import { Ajv, type Options } from 'ajv'
import ajvFormats from 'ajv-formats'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify'
import { badRequest } from '../errors.js'

const common: Options = {
  allErrors: true, // name every bad field at once; every input schema bounds its lengths and sizes
  useDefaults: true,
  removeAdditional: false, // an unknown field is refused (400), never silently dropped
  multipleOfPrecision: 6, // without it multipleOf: 0.01 refuses 0.07 and 19.99
  strict: true,
}

function createAjv (options: Options): Ajv {
  const ajv = new Ajv({ ...common, ...options })
  ajvFormats.default(ajv) // CommonJS default export, as seen from ESM
  return ajv
}

const toArray = <T>(hooks: T | T[] | undefined): T[] => hooks === undefined ? [] : Array.isArray(hooks) ? hooks : [hooks]

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
    if ((route.schema as { body?: unknown } | undefined)?.body === undefined) return
    route.preValidation = [...toArray(route.preValidation), requireBody]
  })
  const strict = createAjv({ coerceTypes: false })
  const coercing = createAjv({ coerceTypes: 'array' })
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing
    // glue gives every dereferenced schema the same placeholder $id; AJV would refuse the second one.
    const { $id: _id, ...rest } = schema as Record<string, unknown>
    return ajv.compile(rest)
  })
}

export default fp(validation, { name: 'validation' })
