// The contract check glue runs at start-up uses the OAS 3.1 validator compiled by `npm run generate`:
// it must be compiled from the schema installed, judge every document as that schema compiled now
// would, and still stop glue from serving an invalid contract.
import Ajv2020 from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import Fastify from 'fastify'
import openapiGlue from 'fastify-openapi-glue'
import t from 'tap'
import { PRECOMPILED_VALIDATOR_PATH, readInstalledOasSchema, usePrecompiledContractValidator } from '../src/contract/validator.js'
import { loadSpec, type OpenApiDocument } from '../src/contract/spec.js'

// The mistakes below reach anywhere into the document, whatever its shape.
type Loose = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any
type Mutate = (spec: Loose) => void

/** Documents the OAS 3.1 schema rejects, each one mistake in our contract. */
const BROKEN: Record<string, Mutate> = {
  'responses is not an object': (spec) => { spec.paths['/health'].get.responses = 'ok' },
  'no info': (spec) => { delete spec.info },
  'an unknown field in an operation': (spec) => { spec.paths['/health'].get.summery = 'typo' },
  'a numeric operationId': (spec) => { spec.paths['/health'].get.operationId = 42 },
  'a response without a description': (spec) => { delete spec.paths['/health'].get.responses['200'].description },
  'a 3.0 version string': (spec) => { spec.openapi = '3.0.3' },
}

function broken (mutate: Mutate): OpenApiDocument {
  const spec = loadSpec()
  mutate(spec)
  return spec
}

t.test('compiled from the schema that is installed', async (t) => {
  const generated = await import(PRECOMPILED_VALIDATOR_PATH) as { schemaDigest: string }
  t.equal(generated.schemaDigest, readInstalledOasSchema().digest, 'run npm run generate after upgrading fastify-openapi-glue')
})

t.test('judges documents as the schema compiled at run time does', async (t) => {
  const precompiled = await usePrecompiledContractValidator()
  if (precompiled === undefined) throw new Error('the precompiled validator was not installed')
  const ajv = new Ajv2020.default({ strict: false })
  addFormats.default(ajv)
  ajv.addFormat('media-range', true)
  const compiled = ajv.compile(JSON.parse(readInstalledOasSchema().text) as object)

  t.equal(precompiled(loadSpec()), true, 'our contract is valid')
  t.equal(compiled(loadSpec()), true)
  for (const [name, mutate] of Object.entries(BROKEN)) {
    const document = broken(mutate)
    t.equal(precompiled(document), false, name)
    t.equal(compiled(document), false, `${name} (compiled now)`)
    t.same(precompiled.errors, compiled.errors, `${name}: the same errors`)
  }
})

t.test('glue still refuses an invalid contract, and serves a valid one', async (t) => {
  t.ok(await usePrecompiledContractValidator())
  const serviceHandlers = new Proxy({}, { get: () => async () => ({}) })

  const invalid = Fastify({ logger: false })
  t.teardown(() => invalid.close())
  const log = console.log // glue prints the validation errors before it throws
  console.log = () => {}
  try {
    await t.rejects(async () => { await invalid.register(openapiGlue, { specification: broken(BROKEN['responses is not an object']!), serviceHandlers }).ready() },
      /must contain a valid specification/)
  } finally {
    console.log = log
  }

  const valid = Fastify({ logger: false })
  t.teardown(() => valid.close())
  await valid.register(openapiGlue, { specification: loadSpec(), serviceHandlers, securityHandlers: new Proxy({}, { get: () => async () => {} }) }).ready()
  t.ok(valid.hasRoute({ method: 'GET', url: '/health' }))
})
