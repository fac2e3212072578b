// Writes generated/openapi.json: openapi.yaml parsed, with the digest of the YAML it came from.
// The server reads it at start-up because parsing the YAML took a quarter of a second of it;
// src/contract/spec.ts falls back to the YAML whenever the digest no longer matches.
import { readFileSync, writeFileSync } from 'node:fs'
import { parse } from 'yaml'
import { COMPILED_SPEC_PATH, SPEC_PATH } from '../src/contract/paths.js'
import { specDigest, type CompiledSpec, type OpenApiDocument } from '../src/contract/spec.js'

const yamlText = readFileSync(SPEC_PATH, 'utf8')
const compiled: CompiledSpec = { source: specDigest(yamlText), document: parse(yamlText) as OpenApiDocument }
writeFileSync(COMPILED_SPEC_PATH, `${JSON.stringify(compiled, null, 1)}\n`)
console.log(`wrote ${COMPILED_SPEC_PATH}`)
