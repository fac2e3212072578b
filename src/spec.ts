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
