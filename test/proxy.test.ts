// Behind a reverse proxy (TRUST_PROXY): the client is X-Forwarded-For's address only when the peer
// that sent the header is a listed proxy, and every limit and log line uses that client. One
// keep-alive connection from a proxy carries many clients, so the key comes from each request.
import { once } from 'node:events'
import http from 'node:http'
import { randomInt } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { buildTestApp, expectContract, testEnv, uniqueEmail } from './helpers.js'

const MAX = 5
const LOGIN_MAX = 2
const LIMITS = { RATE_LIMIT_MAX: String(MAX), LOGIN_RATE_LIMIT_MAX: String(LOGIN_MAX) }

// Random per run, so that a shared Redis (when a later test points one here) holds no old counters.
const net = `${randomInt(1, 250)}.${randomInt(0, 256)}`
let hosts = 0
const clientAddress = (): string => `198.${net}.${++hosts % 250 + 1}`
const PROXY_NET = '10.77.0.0/16'
const PROXY = '10.77.3.4'
const NOT_A_PROXY = '10.78.3.4'

const remaining = (res: LightMyRequestResponse | http.IncomingMessage): number => Number(res.headers['x-ratelimit-remaining'])

function send (app: FastifyInstance, peer: string, forwardedFor?: string, opts: InjectOptions = { method: 'GET', url: '/health/live' }): Promise<LightMyRequestResponse> {
  const headers = { ...(opts.headers ?? {}), ...(forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }) }
  return app.inject({ ...opts, headers, remoteAddress: peer })
}

/** Spends a client's whole blanket budget through `peer`, then checks the next request is a 429. */
async function exhaust (t: Test, app: FastifyInstance, peer: string, forwardedFor: string): Promise<void> {
  for (let i = 1; i <= MAX; i++) {
    const res = await send(app, peer, forwardedFor)
    t.equal(res.statusCode, 200)
    t.equal(remaining(res), MAX - i, `request ${i} counted`)
  }
  const limited = await send(app, peer, forwardedFor)
  t.equal(limited.statusCode, 429, 'the next one is limited')
  t.doesNotThrow(() => expectContract(limited, 'getLiveness'), 'a 429 the contract declares')
}

t.test('TRUST_PROXY unset: X-Forwarded-For is never believed', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  const peer = clientAddress()
  for (let i = 1; i <= MAX; i++) {
    const res = await send(app, peer, clientAddress())
    t.equal(remaining(res), MAX - i, 'every forged address draws on the peer\'s one budget')
  }
  t.equal((await send(app, peer, clientAddress())).statusCode, 429)
})

t.test('TRUST_PROXY lists the proxies', async (t) => {
  const app = await buildTestApp(t, { ...LIMITS, TRUST_PROXY: `${PROXY_NET}, 127.0.0.1` })

  t.test('each client the proxy forwards has a bucket of its own', async (t) => {
    const [a, b] = [clientAddress(), clientAddress()]
    await exhaust(t, app, PROXY, a)
    const other = await send(app, PROXY, b)
    t.equal(other.statusCode, 200, 'another client behind the same proxy is not limited')
    t.equal(remaining(other), MAX - 1)
  })

  t.test('the address the proxy saw counts, not what the client wrote in front of it', async (t) => {
    const client = clientAddress()
    await exhaust(t, app, PROXY, client)
    const forged = await send(app, PROXY, `${clientAddress()}, ${client}`)
    t.equal(forged.statusCode, 429, 'a forged hop in the header earns no fresh budget')
  })

  t.test('a chain of trusted proxies is walked back to the client', async (t) => {
    const client = clientAddress()
    await exhaust(t, app, PROXY, `${client}, 10.77.9.9`)
    t.equal((await send(app, PROXY, client)).statusCode, 429, 'the same client, one hop closer')
  })

  t.test('from a peer that is not listed the header is ignored', async (t) => {
    for (let i = 1; i <= MAX; i++) {
      t.equal(remaining(await send(app, NOT_A_PROXY, clientAddress())), MAX - i, 'one budget: the peer\'s')
    }
    t.equal((await send(app, NOT_A_PROXY, clientAddress())).statusCode, 429)
  })

  t.test('the login limit is per forwarded client (and email)', async (t) => {
    const email = uniqueEmail('login')
    const login = { method: 'POST', url: '/customers/login', payload: { email, password: 'wrong-password' } } as const
    const attacker = clientAddress()
    for (let i = 1; i <= LOGIN_MAX; i++) t.equal((await send(app, PROXY, attacker, login)).statusCode, 401)
    const limited = await send(app, PROXY, attacker, login)
    t.equal(limited.statusCode, 429, 'the attacker meets the login limit')
    t.doesNotThrow(() => expectContract(limited, 'loginCustomer'))
    t.equal((await send(app, PROXY, clientAddress(), login)).statusCode, 401, 'another client behind the proxy may still try')
  })
})

/** GET over a real connection; the agent's one socket makes every request share one connection. */
async function get (agent: http.Agent, port: number, path: string, forwardedFor: string): Promise<http.IncomingMessage> {
  const req = http.request({ host: '127.0.0.1', port, path, agent, headers: { 'x-forwarded-for': forwardedFor } })
  req.end()
  const [res] = await once(req, 'response') as [http.IncomingMessage]
  res.resume()
  await once(res, 'end')
  return res
}

t.test('over one keep-alive connection from the proxy, each request has its own client', async (t) => {
  const lines: Array<{ msg?: string, req?: { remoteAddress?: string, url?: string } }> = []
  const stream = new Writable({
    write (chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line) as typeof lines[number])
      done()
    },
  })
  const config = loadConfig({ env: await testEnv(t, { ...LIMITS, LOG_LEVEL: 'info', TRUST_PROXY: '127.0.0.1' }), dotenvPath: false })
  const app = await buildApp(config, { logger: { level: 'info', stream } })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  let connections = 0
  app.server.on('connection', () => { connections++ })

  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(() => agent.destroy())
  const [a, b] = [clientAddress(), clientAddress()]
  for (let i = 1; i <= MAX; i++) {
    t.equal(remaining(await get(agent, port, '/health/live', a)), MAX - i, `client a, request ${i}`)
    t.equal(remaining(await get(agent, port, '/health/live', b)), MAX - i, `client b, request ${i}`)
  }
  t.equal((await get(agent, port, '/health/live', a)).statusCode, 429)
  t.equal((await get(agent, port, '/health/live', b)).statusCode, 429)
  t.equal((await get(agent, port, '/health/live', clientAddress())).statusCode, 200, 'a third client still has its budget')
  t.equal(connections, 1, 'all of it on one connection')

  const logged = lines.filter((line) => line.msg === 'incoming request').map((line) => line.req?.remoteAddress)
  t.equal(logged.length, 2 * MAX + 3, 'every request logged')
  t.same([...new Set(logged)].slice(0, 2), [a, b], 'logs name the forwarded client, not the proxy')
  t.notOk(logged.includes('127.0.0.1'), 'the proxy\'s own address is in no request line')
})
