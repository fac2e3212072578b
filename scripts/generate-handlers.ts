// Writes generated/handlers.ts: one typed method per operationId, the TypeScript twin of
// oapi-codegen's strict server interface. Types come from generated/api.d.ts; this script only
// decides, from openapi.yaml, which statuses a handler returns (the rest are thrown as problems), which headers a handler must set, and which
// request fields AJV fills with defaults (so the handler may rely on them). An operation marked
// `x-idempotent` gets a third argument, the transaction the idempotency mechanism opened for it
// (src/plugins/idempotency.ts): its writes go there, so its stored answer commits with them.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { ROOT, SPEC_PATH } from '../src/contract/paths.js'
import { resolveRef } from '../src/contract/spec.js'
import { idempotencyOf } from '../src/lib/idempotency.js'

type Json = Record<string, unknown>
const spec = parse(readFileSync(SPEC_PATH, 'utf8')) as Json

const resolve = <T = Json>(node: unknown): T => resolveRef<T>(spec, node)

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const
const q = (s: string) => JSON.stringify(s)

function defaultedProperties (schema: unknown): string[] {
  const resolved = resolve(schema)
  const properties = (resolved.properties ?? {}) as Record<string, unknown>
  return Object.entries(properties).filter(([, p]) => resolve(p).default !== undefined).map(([name]) => name)
}

function withDefaults (type: string, keys: string[]): string {
  return keys.length === 0 ? type : `WithDefaults<${type}, ${keys.map(q).join(' | ')}>`
}

const out: string[] = []
const paths = spec.paths as Record<string, Json>
for (const [path, item] of Object.entries(paths)) {
  const shared = (item.parameters ?? []) as unknown[]
  for (const method of METHODS) {
    const op = item[method] as Json | undefined
    if (op === undefined) continue
    const id = op.operationId as string
    const opType = `operations[${q(id)}]`
    const params = [...shared, ...((op.parameters ?? []) as unknown[])].map((p) => resolve(p))
    const generic: string[] = []
    if (params.some((p) => p.in === 'path')) generic.push(`Params: ${opType}['parameters']['path']`)
    const query = params.filter((p) => p.in === 'query')
    if (query.length > 0) {
      const defaulted = query.filter((p) => resolve(p.schema).default !== undefined).map((p) => p.name as string)
      generic.push(`Querystring: ${withDefaults(`NonNullable<${opType}['parameters']['query']>`, defaulted)}`)
    }
    if (params.some((p) => p.in === 'header')) generic.push(`Headers: NonNullable<${opType}['parameters']['header']>`)
    const body = op.requestBody === undefined ? undefined : resolve(op.requestBody)
    const bodySchema = (body?.content as Record<string, Json> | undefined)?.['application/json']?.schema
    if (bodySchema !== undefined) {
      generic.push(`Body: ${withDefaults(`${opType}['requestBody']['content']['application/json']`, defaultedProperties(bodySchema))}`)
    }

    const replies: string[] = []
    for (const [status, response] of Object.entries(op.responses as Json)) {
      const res = resolve(response)
      const media = Object.keys((res.content ?? {}) as Json)[0]
      // Errors are thrown as problems; a non-problem error body (health's 503) is a normal reply.
      const isReply = /^[23]\d\d$/.test(status) || (media !== undefined && media !== 'application/problem+json')
      if (!isReply) continue
      const headers = Object.entries((res.headers ?? {}) as Json).map(([name, h]) => {
        const header = resolve(h)
        return `${q(name.toLowerCase())}${header.required === true ? '' : '?'}: string`
      })
      const fields = [`status: ${status}`]
      if (media !== undefined) fields.push(`body: ${opType}['responses'][${status}]['content'][${q(media)}]`)
      if (headers.length > 0) fields.push(`headers${headers.some((h) => !h.includes('?:')) ? '' : '?'}: { ${headers.join(', ')} }`)
      replies.push(`{ ${fields.join('; ')} }`)
    }
    if (replies.length === 0) throw new Error(`${id} declares no 2xx/3xx response`)

    const responses = op.responses as Json
    const idempotent = idempotencyOf(`${method.toUpperCase()} ${path}`, op, params,
      (status) => Object.keys((resolve(responses[status]).headers ?? {}) as Json))
    const trx = idempotent === undefined ? '' : ', trx: Transaction<Database>'
    out.push(`  /** ${op.summary as string} (${method.toUpperCase()} ${path})${idempotent === undefined ? '' : `; x-idempotent: ${idempotent}, writes go through trx`} */`)
    out.push(`  ${id}: (req: ${generic.length === 0 ? 'FastifyRequest' : `FastifyRequest<{ ${generic.join('; ')} }>`}, reply: FastifyReply${trx}) => Promise<${replies.join(' | ')}>`)
  }
}

const file = `// Generated from openapi.yaml by scripts/generate-handlers.ts. Do not edit: run \`npm run generate\`.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Transaction } from 'kysely'
import type { Database } from '../src/db/schema.js'
import type { operations } from './api.js'

/** Request fields that the contract gives a default: AJV fills them in before the handler runs. */
type WithDefaults<T, K extends keyof T> = T & { [P in K]-?: Exclude<T[P], undefined> }

/**
 * One method per operationId. A handler returns its success status, body and headers; every
 * error is thrown (see src/errors.ts) and becomes application/problem+json.
 */
export interface Handlers {
${out.join('\n')}
}

export type OperationId = keyof Handlers
export type HandlerReply<K extends OperationId> = Awaited<ReturnType<Handlers[K]>>
`
writeFileSync(join(ROOT, 'generated', 'handlers.ts'), file)
