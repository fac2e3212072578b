// Every status the server can answer is declared on the operation that answers it. This walks every
// operation of openapi.yaml (new ones included, with no change here) and provokes each answer the
// server gives on any route: an unknown query parameter, a non-canonical id, no token, the other
// role's token, a body too large, not JSON or malformed, a target too long, the rate limit, a
// request that never finishes (408, over HTTP), headers too large (431, over HTTP), a request that
// arrives while the server closes (503, over HTTP), and, on a PostgreSQL of its own that is then
// stopped, the example request of every operation (503). Each answer must be one the operation
// declares, in the media type and shape it declares.
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { MAX_HEADER_BYTES } from '../src/lib/client-errors.js'
import { MAX_REQUEST_TARGET_LENGTH } from '../src/plugins/problems.js'
import { auth, expectContract, mechanicToken, pgliteSnapshot, signUpCustomer, testEnv, fillPath, operations, resolve, spec, type Operation, ownPostgresUnavailable, startPostgresServer } from './helpers.js'

type Json = Record<string, unknown>
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
const RATE_LIMIT_MAX = 300

function declaredStatuses (op: Operation): Set<number> {
  const node = (spec.paths[op.path] as Record<string, Json>)[op.method.toLowerCase()] as Json
  return new Set(Object.keys(node.responses as Json).map(Number))
}

/** The first example of the operation's JSON request body, as the contract gives it. */
function exampleBody (op: Operation): unknown {
  const node = (spec.paths[op.path] as Record<string, Json>)[op.method.toLowerCase()] as Json
  if (node.requestBody === undefined) return undefined
  const media = (resolve(node.requestBody).content as Record<string, Json>)['application/json']
  const first = Object.values((media?.examples ?? {}) as Json)[0]
  return first === undefined ? {} : resolve(first).value
}

async function build (t: Test, env: Record<string, string>, requestTimeoutMs?: number): Promise<FastifyInstance> {
  const config = loadConfig({ env: await testEnv(t, env), dotenvPath: false })
  const app = await buildApp(config, { requestTimeoutMs, pgliteSnapshot: config.database.kind === 'pglite' ? pgliteSnapshot() : undefined })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

function expectDeclared (t: Test, op: Operation, res: LightMyRequestResponse, what: string): void {
  const declared = declaredStatuses(op)
  if (!declared.has(res.statusCode)) {
    t.fail(`${op.id}, ${what}: answered ${res.statusCode}, which it does not declare (${[...declared].join(', ')})`, { body: res.body.slice(0, 300) })
    return
  }
  t.doesNotThrow(() => expectContract(res, op.id), `${op.id}, ${what}: ${res.statusCode} as declared`)
}

interface Tokens { customer: string, mechanic: string, ids: Record<string, number> }

async function tokens (app: FastifyInstance): Promise<Tokens> {
  const customer = await signUpCustomer(app)
  // Every path parameter of the contract, so operations added later need no change here.
  const names = operations.flatMap((op) => [...op.path.matchAll(/{(\w+)}/g)].map((m) => m[1] as string))
  const ids: Record<string, number> = Object.fromEntries(names.map((name) => [name, 1]))
  return { customer: customer.token, mechanic: await mechanicToken(app), ids: { ...ids, customer_id: customer.id } }
}

const accepted = (op: Operation, tk: Tokens): Record<string, string> =>
  op.access === 'public' ? {} : auth(op.access.includes('mechanic') ? tk.mechanic : tk.customer)

t.test('every answer the server gives on any route is declared by every operation', async (t) => {
  const app = await build(t, { RATE_LIMIT_MAX: String(RATE_LIMIT_MAX) }, 1000)
  const tk = await tokens(app)

  for (const [i, op] of operations.entries()) {
    // Each operation probes from an address of its own, so no probe meets another's rate limit.
    const remoteAddress = `10.1.${i}.1`
    const send = async (what: string, options: InjectOptions) => expectDeclared(t, op, await app.inject({ remoteAddress, method: op.method, ...options }), what)
    const path = fillPath(op, tk.ids)
    const headers = accepted(op, tk)
    await send('an unknown query parameter', { url: `${path}?unknown=1`, headers })
    await send('a target too long', { url: `${path}?x=${'a'.repeat(MAX_REQUEST_TARGET_LENGTH)}`, headers })
    if (op.path.includes('{')) await send('a non-canonical id', { url: fillPath(op, Object.fromEntries(Object.keys(tk.ids).map((k) => [k, '01']))), headers })
    if (op.access !== 'public') {
      await send('no token', { url: path })
      await send('a token that is no JWT', { url: path, headers: auth('not-a-token') })
      for (const role of ['customer', 'mechanic'] as const) {
        if (!op.access.includes(role)) await send(`a ${role} token`, { url: path, headers: auth(tk[role]) })
      }
    }
    if (BODY_METHODS.has(op.method)) {
      const json = { ...headers, 'content-type': 'application/json' }
      await send('a body over 64 KiB', { url: path, headers: json, payload: JSON.stringify({ padding: 'x'.repeat(70 * 1024) }) })
      await send('a body that is not JSON', { url: path, headers: { ...headers, 'content-type': 'text/plain' }, payload: 'hello' })
      await send('malformed JSON', { url: path, headers: json, payload: '{"a":' })
    }
  }

  t.test('the rate limit', async (t) => {
    const remoteAddress = '10.200.0.1'
    for (let i = 0; i < RATE_LIMIT_MAX; i++) await app.inject({ remoteAddress, method: 'GET', url: '/health' })
    for (const op of operations) {
      const res = await app.inject({ remoteAddress, method: op.method, url: fillPath(op, tk.ids), headers: accepted(op, tk) })
      t.equal(res.statusCode, 429, op.id)
      expectDeclared(t, op, res, 'over the rate limit')
    }
  })

  const target = (op: Operation) => `${op.method} ${fillPath(op, tk.ids)} HTTP/1.1\r\nHost: 127.0.0.1\r\n`
  const token = (op: Operation) => Object.entries(accepted(op, tk)).map(([k, v]) => `${k}: ${v}\r\n`).join('')

  t.test('a request that never arrives whole: 408 problem+json, over HTTP', async (t) => {
    const stall = await rawRequests(t, app)
    const cases = [
      // The headers never end: every operation, before routing.
      ...operations.map((op) => ({ op, what: 'headers never finished', head: target(op), instance: String as unknown })),
      // The body never ends: every operation that reads one, with a token it accepts.
      ...operations.filter((op) => BODY_METHODS.has(op.method)).map((op) => ({
        op,
        what: 'body never finished',
        head: `${target(op)}${token(op)}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
        instance: fillPath(op, tk.ids) as unknown,
      })),
    ]
    const answers = await Promise.all(cases.map(({ op, head }) => stall(op, head)))
    for (const [i, { op, what, instance }] of cases.entries()) {
      const raw = answers[i] ?? ''
      t.match(raw, /^HTTP\/1\.1 408 /, `${op.id}, ${what}: 408`)
      t.match(raw, /\r\ncontent-type: application\/problem\+json\r\n/i, 'as problem+json')
      t.match(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Json, { type: 'about:blank', title: 'Request Timeout', status: 408, detail: String, instance })
      t.ok(declaredStatuses(op).has(408), `${op.id} declares 408`)
    }
  })

  t.test('headers over 16 KiB: 431 problem+json, over HTTP', async (t) => {
    const send = await rawRequests(t, app)
    const padding = `X-Padding: ${'a'.repeat(MAX_HEADER_BYTES)}\r\n`
    const answers = await Promise.all(operations.map((op) => send(op, `${target(op)}${token(op)}${padding}\r\n`)))
    for (const [i, op] of operations.entries()) {
      const raw = answers[i] ?? ''
      t.match(raw, /^HTTP\/1\.1 431 /, `${op.id}: 431`)
      t.match(raw, /\r\ncontent-type: application\/problem\+json\r\n/i, 'as problem+json')
      t.match(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Json, { type: 'about:blank', title: 'Request Header Fields Too Large', status: 431, detail: String, instance: String })
      t.ok(declaredStatuses(op).has(431), `${op.id} declares 431`)
    }
    const fits = await send(operations[0]!, `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Padding: ${'a'.repeat(MAX_HEADER_BYTES - 200)}\r\n\r\n`)
    t.match(fits, /^HTTP\/1\.1 200 /, 'headers just under the limit are served')
  })
})

/** Writes `head` on a new connection to the listening app and resolves with all it answers before closing. */
async function rawRequests (t: Test, app: FastifyInstance): Promise<(op: Operation, head: string) => Promise<string>> {
  if (app.server.address() === null) await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  return (op, head) => new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    socket.on('data', (chunk) => { received += chunk.toString() })
    socket.on('error', () => {}) // the server closes after answering; 'close' reports it
    socket.on('close', () => resolve(received))
    socket.setTimeout(10_000, () => { socket.destroy(); reject(new Error(`${op.id}: no answer in 10 s`)) })
    t.teardown(() => { socket.destroy() })
    socket.write(head)
  })
}

t.test('a request that reaches the server while it closes: 503 problem+json, declared by every operation', async (t) => {
  const app = await build(t, { RATE_LIMIT_MAX: '10000', LOGIN_RATE_LIMIT_MAX: '10000', LOGIN_ACCOUNT_RATE_LIMIT_MAX: '10000' })
  const tk = await tokens(app)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  // On each connection a request whose body is still to come holds it busy, so close() cannot reap
  // it; once closing has begun, the rest of that body arrives with the operation's own request
  // pipelined behind it, which reaches routing while the server closes.
  const held = '{"email":"held@example.com","password":"held-password"}'
  const connections = operations.map((op, i) => {
    const socket = connect(port, '127.0.0.1')
    let received = ''
    const answered = new Promise<string>((resolve) => {
      socket.on('data', (chunk) => { received += chunk.toString() })
      socket.on('error', () => {})
      socket.on('close', () => resolve(received))
    })
    socket.write(`POST /customers/login HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Forwarded-For: 10.3.${i}.1\r\nContent-Type: application/json\r\nContent-Length: ${held.length}\r\n\r\n${held.slice(0, 5)}`)
    return { op, socket, answered }
  })
  await new Promise((resolve) => setTimeout(resolve, 200)) // every held request has been routed
  const closed = app.close()
  await new Promise((resolve) => setTimeout(resolve, 50))
  for (const { op, socket } of connections) {
    const payload = BODY_METHODS.has(op.method) ? JSON.stringify(exampleBody(op) ?? {}) : ''
    const body = payload === '' ? '' : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n`
    socket.write(`${held.slice(5)}${op.method} ${fillPath(op, tk.ids)} HTTP/1.1\r\nHost: 127.0.0.1\r\n${Object.entries(accepted(op, tk)).map(([k, v]) => `${k}: ${v}\r\n`).join('')}${body}\r\n${payload}`)
  }
  const answers = await Promise.all(connections.map((c) => c.answered))
  await closed
  for (const [i, { op }] of connections.entries()) {
    const raw = answers[i] ?? ''
    const second = raw.slice(raw.indexOf('HTTP/1.1 ', 1))
    t.match(second, /^HTTP\/1\.1 503 /, `${op.id}: 503`)
    t.match(second, /\r\ncontent-type: application\/problem\+json/i, 'as problem+json')
    t.match(second, /\r\nretry-after: 5\r\n/i, 'with retry-after')
    t.match(second, /\r\nconnection: close\r\n/i, 'and closes the connection')
    const body = second.slice(second.indexOf('\r\n\r\n') + 4)
    t.match(JSON.parse(body) as Json, { type: '/problems/service-unavailable', title: 'Service Unavailable', status: 503, detail: String, instance: fillPath(op, tk.ids) })
    t.ok(declaredStatuses(op).has(503), `${op.id} declares 503`)
  }
})

t.test('every operation declares what it answers while the database is down', { skip: ownPostgresUnavailable }, async (t) => {
  const postgres = await startPostgresServer(t)
  const app = await build(t, { DATABASE_URL: postgres.url })
  const tk = await tokens(app)
  await postgres.stop()
  const statuses: number[] = []
  for (const op of operations) {
    const payload = exampleBody(op)
    const res = await app.inject({ method: op.method, url: fillPath(op, tk.ids), headers: accepted(op, tk), ...(payload === undefined ? {} : { payload: payload as Json }) })
    statuses.push(res.statusCode)
    expectDeclared(t, op, res, 'the database down')
  }
  t.ok(statuses.filter((s) => s === 503).length >= operations.length - 4, `503 from every operation that needs the database: ${statuses.join(' ')}`)
})
