// The contract, read once from openapi.yaml: glue builds routes from it and /openapi.json serves it.
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { SPEC_PATH } from './paths.js'

export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> }

let cached: OpenApiDocument | undefined

/** A fresh deep copy each call: glue and callers may mutate what they get. */
export function loadSpec (): OpenApiDocument {
  cached ??= parse(readFileSync(SPEC_PATH, 'utf8')) as OpenApiDocument
  return structuredClone(cached)
}

/**
 * Follows local `$ref`s (`#/components/...`, JSON-pointer escaped) from `node` to what they name.
 * Generators and contract tests walk the document with it; the server never needs to.
 */
export function resolveRef<T = Record<string, unknown>> (spec: object, node: unknown): T {
  let current = node as Record<string, unknown> | undefined
  while (typeof current?.$ref === 'string') {
    const ref = current.$ref
    if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported, got ${ref}`)
    current = ref.slice(2).split('/').reduce<Record<string, unknown> | undefined>(
      (at, key) => at?.[key.replace(/~1/g, '/').replace(/~0/g, '~')] as Record<string, unknown> | undefined, spec as Record<string, unknown>)
    if (current === undefined) throw new Error(`unresolvable $ref ${ref}`)
  }
  return current as T
}
