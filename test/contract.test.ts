// The wiring between openapi.yaml and the server: every operation is routed, implemented and
// answers only what the contract declares; errors are problem+json; auth runs before validation.
import { brotliDecompressSync, gunzipSync } from 'node:zlib'
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import t from 'tap'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { answerOnlyMediaTypes } from '../src/contract/plugin.js'
import problems from '../src/plugins/problems.js'
import { loadSpec, type OpenApiDocument } from '../src/contract/spec.js'
import { auth, buildTestApp, expectContract, mechanicToken, signUpCustomer, testEnv } from './helpers.js'

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const
const spec = loadSpec()
const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
  METHODS.filter((m) => m in item).map((method) => ({ path, method, id: (item[method] as { operationId: string }).operationId })))

t.test('contract wiring', async (t) => {
  const app = await buildTestApp(t)
  const mechanic = await mechanicToken(app)
  const customer = await signUpCustomer(app)

  t.test('GET /openapi.json serves openapi.yaml as parsed', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/openapi.json' })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^application\/json/)
    t.same(res.json(), loadSpec())
  })

  t.test('GET /docs serves the Redoc page with no script from elsewhere', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/docs' })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^text\/html/)
    t.match(res.body, /<title>Mechanic Shop API/)
    t.match(res.body, /Sign up a customer/)
    t.notMatch(res.body, /<script[^>]+src=["']?https?:/)
    t.notMatch(res.body, /<link[^>]+href=["']?https?:/)
  })

  t.test('GET /docs is compressed and revalidated with its ETag, never no-store', async (t) => {
    const plain = await app.inject({ method: 'GET', url: '/docs' })
    const tag = String(plain.headers.etag)
    t.match(tag, /^W\/"docs-[\w-]+"$/, 'a weak ETag: one for every encoding of the page')
    t.equal(plain.headers['cache-control'], 'public, no-cache')
    for (const [encoding, decode] of [['br', brotliDecompressSync], ['gzip', gunzipSync]] as const) {
      const res = await app.inject({ method: 'GET', url: '/docs', headers: { 'accept-encoding': encoding } })
      t.equal(res.statusCode, 200)
      t.equal(res.headers['content-encoding'], encoding, `${encoding} when the client accepts it`)
      t.match(String(res.headers.vary), /accept-encoding/i)
      t.ok(res.rawPayload.length * 3 < plain.rawPayload.length, `${res.rawPayload.length} bytes instead of ${plain.rawPayload.length}`)
      t.equal(decode(res.rawPayload).toString('utf8'), plain.body, 'and decodes to the page')
      t.equal(res.headers.etag, tag)
    }
    for (const inm of [tag, tag.slice(2), '*', `"other", ${tag}`]) {
      const res = await app.inject({ method: 'GET', url: '/docs', headers: { 'if-none-match': inm, 'accept-encoding': 'br' } })
      t.equal(res.statusCode, 304, `If-None-Match: ${inm}`)
      t.equal(res.body, '')
      t.equal(res.headers.etag, tag)
      expectContract(res, 'getDocs')
    }
    t.equal((await app.inject({ method: 'GET', url: '/docs', headers: { 'if-none-match': '"stale"' } })).statusCode, 200)
    t.equal((await app.inject({ method: 'GET', url: '/openapi.json', headers: { 'accept-encoding': 'br' } })).headers['content-encoding'], undefined, 'JSON answers are not compressed')
  })

  t.test('every operation has a route', async (t) => {
    t.ok(operations.length >= 31)
    for (const { path, method, id } of operations) {
      t.ok(app.hasRoute({ method: method.toUpperCase() as 'GET', url: path.replace(/{(\w+)}/g, ':$1') }), `${id}: ${method} ${path}`)
    }
  })

  t.test('no operation is left unimplemented, and each answers only what it declares', async (t) => {
    for (const { path, method, id } of operations) {
      const res = await app.inject({
        method: method.toUpperCase() as 'GET',
        url: path.replace(/{\w+}/g, '999999'),
        // endSession ends the session it is called with: a session of its own, not the shared one.
        headers: auth(id === 'endSession' ? await mechanicToken(app) : mechanic),
        ...(method === 'post' || method === 'put' ? { payload: {} } : {}),
      })
      t.not(res.statusCode, 501, `${id} is implemented`)
      t.ok(res.statusCode < 500, `${id} answers ${res.statusCode}`)
      t.doesNotThrow(() => expectContract(res, id), `${id} ${res.statusCode} matches the contract`)
    }
  })

  t.test('401 and 403 come before validation', async (t) => {
    const bad = { name: '', email: 'not-an-email' }
    const none = await app.inject({ method: 'POST', url: '/mechanics', payload: bad })
    t.equal(none.statusCode, 401)
    t.equal(none.headers['content-type'], 'application/problem+json; charset=utf-8')
    const wrongRole = await app.inject({ method: 'POST', url: '/mechanics', headers: auth(customer.token), payload: bad })
    t.equal(wrongRole.statusCode, 403)
    expectContract(wrongRole, 'createMechanic')
  })

  t.test('400 names every bad field and where it is', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/customers', payload: { email: 'nope', phone: '+1 555', password: 'x', role: 'mechanic' } })
    t.equal(res.statusCode, 400)
    const body = expectContract(res, 'createCustomer') as { errors: Array<{ name: string, in: string }>, type: string }
    t.equal(body.type, '/problems/validation-error')
    const names = body.errors.map((e) => `${e.in}:${e.name}`).sort()
    t.same(names, ['body:/email', 'body:/name', 'body:/password', 'body:/role'])

    const path = await app.inject({ method: 'GET', url: '/customers/abc', headers: auth(mechanic) })
    t.equal(path.statusCode, 400)
    t.match(path.json(), { errors: [{ name: '/customer_id', in: 'path' }] })

    const query = await app.inject({ method: 'GET', url: '/customers?per_page=101&page=0', headers: auth(mechanic) })
    t.equal(query.statusCode, 400)
    t.same(query.json<{ errors: Array<{ name: string }> }>().errors.map((e) => e.name).sort(), ['/page', '/per_page'])

    const tooBig = await app.inject({ method: 'GET', url: '/customers/2147483648', headers: auth(mechanic) })
    t.equal(tooBig.statusCode, 400, 'an id past PostgreSQL integer is refused, not a 500')
  })

  t.test('a body value of the wrong type is refused, not coerced', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/inventory', headers: auth(mechanic), payload: { name: 'Bolt', price: '1.50' } })
    t.equal(res.statusCode, 400)
    t.match(res.json(), { errors: [{ name: '/price', in: 'body' }] })
  })

  t.test('malformed JSON and wrong media types are problems', async (t) => {
    const json = await app.inject({ method: 'POST', url: '/customers/login', headers: { 'content-type': 'application/json' }, payload: '{"email":' })
    t.equal(json.statusCode, 400)
    expectContract(json, 'loginCustomer')
    const media = await app.inject({ method: 'POST', url: '/customers/login', headers: { 'content-type': 'text/plain' }, payload: 'hello' })
    t.equal(media.statusCode, 415, 'text/plain is not parsed, so it cannot slip past validation')
    t.equal(media.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.match(expectContract(media, 'loginCustomer'), { status: 415, title: 'Unsupported Media Type' })
    for (const answerOnly of ['application/problem+json', 'text/html; charset=utf-8']) {
      const res = await app.inject({ method: 'POST', url: '/customers/login', headers: { 'content-type': answerOnly }, payload: '{"email":"a@b.c","password":"x"}' })
      t.equal(res.statusCode, 415, `${answerOnly} is a type of answers, never a request body`)
      t.same(expectContract(res, 'loginCustomer'), media.json(), `${answerOnly}: the same problem as any type without a parser`)
    }
    const none = await app.inject({ method: 'POST', url: '/customers/login' })
    t.equal(none.statusCode, 400, 'no body at all is a 400, not an unvalidated handler call')
    t.match(expectContract(none, 'loginCustomer'), { errors: [{ name: '/', in: 'body', reason: 'is required' }] })
    const huge = await app.inject({ method: 'POST', url: '/customers', payload: { name: 'x'.repeat(70 * 1024) } })
    t.equal(huge.statusCode, 413)
    expectContract(huge, 'createCustomer')
  })

  t.test('an unknown route is a 404 problem', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/nowhere?x=1' })
    t.equal(res.statusCode, 404)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.same(res.json(), { type: 'about:blank', title: 'Not Found', status: 404, detail: 'No route for GET /nowhere.', instance: '/nowhere' })
  })
})

t.test('a 500 reveals nothing internal', async (t) => {
  const app = Fastify({ logger: false })
  await app.register(problems)
  app.get('/boom', async () => { throw new Error('password_hash column exploded at db.internal:5432') })
  const res = await app.inject({ method: 'GET', url: '/boom' })
  t.equal(res.statusCode, 500)
  t.same(res.json(), { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'An unexpected error occurred.', instance: '/boom' })
  await app.close()
})

t.test('the media types of answers only are told apart from those of request bodies', async (t) => {
  t.same(answerOnlyMediaTypes(loadSpec()).sort(), ['application/problem+json', 'text/html'])
  const spec: OpenApiDocument = {
    paths: {
      '/a': {
        post: {
          requestBody: { content: { 'application/xml': {} } },
          responses: { 200: { content: { 'application/xml': {}, 'text/csv': { schema: { properties: { content: { type: 'string' } } } } } } },
        },
      },
    },
    components: { requestBodies: { B: { content: { 'text/csv': {} } } }, responses: { E: { content: { 'application/problem+json': {} } } } },
  }
  t.same(answerOnlyMediaTypes(spec), ['application/problem+json'], 'a type some request body uses is not answer-only, wherever it is declared')
})

t.test('start-up logs no warning', async (t) => {
  const lines: Array<{ level: number, msg: string }> = []
  const stream = new Writable({
    write (chunk: Buffer | string, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number, msg: string })
      done()
    },
  })
  const config = loadConfig({ env: await testEnv(t), dotenvPath: false })
  const app = await buildApp(config, { logger: { level: 'info', stream } })
  t.teardown(() => app.close())
  await app.ready()
  const warnings = lines.filter((line) => line.level >= 40).map((line) => line.msg)
  app.log.warn('a warning after start-up')
  t.same(lines.at(-1)?.msg, 'a warning after start-up', 'the stream receives warnings')
  t.same(warnings, [])
})
