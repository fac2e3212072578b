// The contract, read once from openapi.yaml: glue builds routes from it and /openapi.json serves it.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { COMPILED_SPEC_PATH, SPEC_PATH } from './paths.js'

export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> }

/** generated/openapi.json: the parsed contract, and a digest of the openapi.yaml it came from. */
export interface CompiledSpec { source: string, document: OpenApiDocument }

export const specDigest = (yamlText: string | Buffer): string => createHash('sha256').update(yamlText).digest('hex')

/** The YAML parser, loaded only when openapi.yaml has changed since `npm run generate`. */
function parseYaml (text: string): OpenApiDocument {
  const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml')
  return parse(text) as OpenApiDocument
}

function readContract (): OpenApiDocument {
  const yamlText = readFileSync(SPEC_PATH, 'utf8')
  try {
    const compiled = JSON.parse(readFileSync(COMPILED_SPEC_PATH, 'utf8')) as CompiledSpec
    // Only while it still describes openapi.yaml: an edit not yet regenerated must not be ignored.
    if (compiled.source === specDigest(yamlText)) return compiled.document
  } catch { /* missing or unreadable: parse the YAML */ }
  return parseYaml(yamlText)
}

let cached: OpenApiDocument | undefined

/** A fresh deep copy each call: glue and callers may mutate what they get. */
export function loadSpec (): OpenApiDocument {
  cached ??= readContract()
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
