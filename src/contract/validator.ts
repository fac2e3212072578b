// fastify-openapi-glue validates the contract against the OpenAPI 3.1 JSON Schema at every start
// (@seriousme/openapi-schema-validator), compiling that schema with Ajv each time: about 0.2 s and
// 6 MiB of a cold start, with no option to skip or cache it. `npm run generate` compiles the same
// schema ahead of time (scripts/generate-contract-validator.ts); this hands that validator to glue.
// The contract is still validated on every start, by the same schema, only not compiled first.
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT } from './paths.js'

export const PRECOMPILED_VALIDATOR_PATH = join(ROOT, 'generated', 'oas-3.1-schema-validator.js')

type SchemaValidator = ((data: unknown) => boolean) & { errors?: unknown }
type GetAjvValidator = (this: unknown, version: string) => SchemaValidator

// The copy glue itself imports, wherever npm placed it: patching another copy would change nothing.
const VALIDATOR_ENTRY = createRequire(createRequire(import.meta.url).resolve('fastify-openapi-glue'))
  .resolve('@seriousme/openapi-schema-validator')
const VALIDATOR_DIR = dirname(VALIDATOR_ENTRY)

/** The OAS 3.1 schema glue's validator compiles, as installed, with its digest and package version. */
export function readInstalledOasSchema (): { text: string, digest: string, version: string } {
  const text = readFileSync(join(VALIDATOR_DIR, 'schemas', 'v3.1', 'schema.json'), 'utf8')
  const { version } = JSON.parse(readFileSync(join(VALIDATOR_DIR, 'package.json'), 'utf8')) as { version: string }
  return { text, digest: createHash('sha256').update(text).digest('hex'), version }
}

let installed: SchemaValidator | undefined

/**
 * Makes every Validator glue creates use the precompiled OAS 3.1 validator, and returns it. Returns
 * undefined, changing nothing, when it is missing or was compiled from another schema than the one
 * installed (a dependency upgraded without `npm run generate`): glue then compiles the schema itself.
 */
export async function usePrecompiledContractValidator (): Promise<SchemaValidator | undefined> {
  if (installed !== undefined) return installed
  let precompiled: { schemaDigest: string, validate: SchemaValidator }
  try {
    precompiled = await import(pathToFileURL(PRECOMPILED_VALIDATOR_PATH).href) as typeof precompiled
  } catch {
    return undefined
  }
  if (precompiled.schemaDigest !== readInstalledOasSchema().digest) return undefined

  // getAjvValidator(version) is where the Validator compiles (and memoises) a version's schema.
  const { Validator } = await import(pathToFileURL(VALIDATOR_ENTRY).href) as { Validator: { prototype: object } }
  const prototype = Validator.prototype as { getAjvValidator?: GetAjvValidator }
  const compile = prototype.getAjvValidator
  if (typeof compile !== 'function') return undefined
  const validate = precompiled.validate
  prototype.getAjvValidator = function getAjvValidator (version) {
    return version === '3.1' ? validate : compile.call(this, version)
  }
  installed = validate
  return installed
}
