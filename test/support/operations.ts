// The operations of openapi.yaml as tests need them: method, path, parameters, body schema and the
// roles the security requirement accepts, all read from the parsed contract (never restated), so a
// new operation shows up in every test that iterates over them.
import { loadSpec, resolveRef } from '../../src/contract/spec.js'

export type Json = Record<string, unknown>
export type Role = 'customer' | 'mechanic'

interface Parameter {
  name: string
  in: 'path' | 'query' | 'header'
  required: boolean
  schema: Json
}

export interface Operation {
  id: string
  method: 'GET' | 'POST' | 'PUT' | 'DELETE'
  /** As in the contract: `/customers/{customer_id}`. */
  path: string
  parameters: Parameter[]
  /** The `application/json` request body schema, when the operation takes one. */
  body: Json | undefined
  /** The roles the `bearer` requirement lists, or `public` for `security: []`. */
  access: Role[] | 'public'
}

export const spec = loadSpec()

/** Follows `$ref`s inside openapi.yaml until it reaches a node that is not one. */
export const resolve = (node: unknown): Json => resolveRef(spec, node)

const METHODS = ['get', 'post', 'put', 'delete', 'patch', 'head', 'options', 'trace'] as const

function readOperations (): Operation[] {
  const found: Operation[] = []
  for (const [path, item] of Object.entries(spec.paths)) {
    const shared = (item.parameters ?? []) as unknown[]
    for (const method of METHODS) {
      const op = item[method] as Json | undefined
      if (op === undefined) continue
      if (!['get', 'post', 'put', 'delete'].includes(method)) throw new Error(`${method} ${path}: the tests know no ${method} operations yet`)
      const parameters = [...shared, ...((op.parameters ?? []) as unknown[])].map((p) => {
        const param = resolve(p)
        return { name: String(param.name), in: param.in as Parameter['in'], required: param.required === true, schema: param.schema as Json }
      })
      const content = op.requestBody === undefined ? undefined : resolve(op.requestBody).content as Record<string, { schema: Json }> | undefined
      const security = (op.security ?? spec.security ?? []) as Array<Record<string, string[]>>
      const roles = security.flatMap((requirement) => Object.values(requirement).flat()) as Role[]
      found.push({
        id: String(op.operationId),
        method: method.toUpperCase() as Operation['method'],
        path,
        parameters,
        body: content?.['application/json']?.schema,
        access: security.length === 0 ? 'public' : roles,
      })
    }
  }
  return found
}

export const operations: readonly Operation[] = readOperations()

export function operation (id: string): Operation {
  const op = operations.find((o) => o.id === id)
  if (op === undefined) throw new Error(`no operation ${id} in openapi.yaml`)
  return op
}

/** The contract's path with its `{params}` filled in. */
export function fillPath (op: Operation, values: Record<string, string | number>, fallback?: string | number): string {
  return op.path.replace(/{(\w+)}/g, (_, name: string) => {
    const value = values[name] ?? fallback
    if (value === undefined) throw new Error(`${op.id}: no value for path parameter ${name}`)
    return encodeURIComponent(String(value))
  })
}
