// Checks a response against what openapi.yaml declares for that operation and status, with a
// JSON Schema 2020-12 validator independent of the server's own serializer.
import { Ajv2020 } from 'ajv/dist/2020.js'
import ajvFormats from 'ajv-formats'
import type { LightMyRequestResponse } from 'fastify'
import type { ValidateFunction } from 'ajv'
import { loadSpec, resolveRef } from '../../src/contract/spec.js'
import { multipleOfKeyword } from './multiple-of.js'

type Json = Record<string, unknown>
const spec = loadSpec()
const ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false })
ajvFormats.default(ajv)
ajv.removeKeyword('multipleOf')
ajv.addKeyword(multipleOfKeyword)

const resolve = (node: unknown): Json => resolveRef(spec, node)

const operations = new Map<string, Json>()
for (const item of Object.values(spec.paths)) {
  for (const op of Object.values(item) as Json[]) {
    if (typeof op?.operationId === 'string') operations.set(op.operationId, op)
  }
}

const validators = new Map<string, ValidateFunction>()
function validatorFor (operationId: string, status: number, media: string): ValidateFunction | undefined {
  const key = `${operationId} ${status} ${media}`
  if (!validators.has(key)) {
    const op = operations.get(operationId)
    if (op === undefined) throw new Error(`no operation ${operationId} in openapi.yaml`)
    const response = (op.responses as Json)[String(status)]
    if (response === undefined) throw new Error(`${operationId} does not declare status ${status}`)
    const content = resolve(response).content as Record<string, { schema?: Json }> | undefined
    if (content === undefined) return undefined
    const schema = content[media]?.schema
    if (schema === undefined) throw new Error(`${operationId} ${status} does not declare ${media}; declares ${Object.keys(content).join(', ')}`)
    // `#/components/...` refs resolve against the root of this wrapper, which carries the components.
    validators.set(key, ajv.compile({ ...schema, components: spec.components }))
  }
  return validators.get(key)
}

/**
 * Throws unless the response's status, media type and body are what the contract declares for
 * `operationId`. Returns the parsed body.
 */
export function expectContract (res: LightMyRequestResponse, operationId: string): unknown {
  const declared = (operations.get(operationId)?.responses ?? {}) as Json
  if (!(String(res.statusCode) in declared)) {
    throw new Error(`${operationId} answered ${res.statusCode}, which the contract does not declare: ${res.body.slice(0, 300)}`)
  }
  const media = String(res.headers['content-type'] ?? '').split(';')[0] ?? ''
  const validate = validatorFor(operationId, res.statusCode, media || 'application/json')
  if (validate === undefined) {
    if (res.body !== '') throw new Error(`${operationId} ${res.statusCode} declares no body but sent: ${res.body.slice(0, 200)}`)
    return undefined
  }
  const body = media.endsWith('json') ? res.json() : res.body
  if (!validate(body)) {
    throw new Error(`${operationId} ${res.statusCode} body breaks the contract: ${ajv.errorsText(validate.errors)}\n${res.body.slice(0, 500)}`)
  }
  return body
}
