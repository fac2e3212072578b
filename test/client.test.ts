// The typed client SDK against the real app: every call goes through openapi-fetch, and a fetch that
// hands the Request to app.inject, so paths, bodies and answers are the contract's, end to end.
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { createShopClient, type Schemas } from '../src/client.js'
import { BOSS, buildTestApp, uniqueEmail } from './helpers.js'

/** A fetch that serves a Request with app.inject instead of the network. */
function injectFetch (app: FastifyInstance, seen: Request[] = []) {
  return async (request: Request): Promise<Response> => {
    seen.push(request.clone())
    const url = new URL(request.url)
    const payload = request.body === null ? undefined : Buffer.from(await request.arrayBuffer())
    const res = await app.inject({
      method: request.method as 'GET',
      url: url.pathname + url.search,
      headers: Object.fromEntries(request.headers),
      ...(payload === undefined ? {} : { payload }),
    })
    const headers = new Headers()
    for (const [name, value] of Object.entries(res.headers)) {
      for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) headers.append(name, String(v))
    }
    const empty = res.statusCode === 204 || res.statusCode === 304
    return new Response(empty ? null : res.rawPayload, { status: res.statusCode, headers })
  }
}

t.test('createShopClient', async (t) => {
  const app = await buildTestApp(t)
  const seen: Request[] = []
  const fetch = injectFetch(app, seen)
  const baseUrl = 'http://shop.test'

  t.test('sign up, log in, set the token, read my tickets', async (t) => {
    const shop = createShopClient({ baseUrl, fetch })
    const input = { name: 'Client Customer', email: uniqueEmail('client'), phone: '+1 555 0199', password: 'client-password' }

    const signUp = await shop.POST('/customers', { body: input })
    t.equal(signUp.response.status, 201)
    t.match(signUp.response.headers.get('location'), /^\/customers\/\d+$/)
    const customer: Schemas['Customer'] | undefined = signUp.data
    t.match(customer, { name: input.name, email: input.email, phone: input.phone })
    t.notOk(seen.at(-1)?.headers.has('authorization'), 'no token, no Authorization header')

    const login = await shop.POST('/customers/login', { body: { email: input.email, password: input.password } })
    t.equal(login.response.status, 200)
    t.equal(login.data?.token_type, 'Bearer')
    shop.setToken(login.data?.token)
    t.equal(shop.token, login.data?.token)

    const mine = await shop.GET('/customers/my-tickets', { params: { query: { page: 1, per_page: 5 } } })
    t.equal(mine.response.status, 200)
    t.equal(seen.at(-1)?.headers.get('authorization'), `Bearer ${String(login.data?.token)}`)
    t.same(mine.data, { data: [], meta: { page: 1, per_page: 5, total: 0, total_pages: 0 } })

    // A mechanic opens a ticket for this customer; the customer's client then sees it.
    const mechanic = createShopClient({ baseUrl, fetch })
    const boss = await mechanic.POST('/mechanics/login', { body: { email: BOSS.email, password: BOSS.password } })
    mechanic.setToken(boss.data?.token)
    const opened = await mechanic.POST('/service-tickets', {
      body: { customer_id: customer?.id ?? 0, vin: '1HGCM82633A004352', service_date: '2026-12-01', service_desc: 'Brake check' },
    })
    t.equal(opened.response.status, 201)
    const ticket: Schemas['ServiceTicket'] | undefined = opened.data
    const again = await shop.GET('/customers/my-tickets')
    t.equal(again.data?.meta.total, 1)
    t.equal(again.data?.data[0]?.id, ticket?.id)
    const one = await shop.GET('/service-tickets/{ticket_id}', { params: { path: { ticket_id: ticket?.id ?? 0 } } })
    t.match(one.data, { id: ticket?.id, customer_id: customer?.id, service_desc: 'Brake check', mechanics: [], parts: [], total: 0 })
  })

  t.test('errors come back typed as problems, without throwing', async (t) => {
    const shop = createShopClient({ baseUrl, fetch })
    const anonymous = await shop.GET('/customers/my-tickets')
    t.equal(anonymous.response.status, 401)
    t.equal(anonymous.data, undefined)
    t.match(anonymous.error, { status: 401, title: 'Unauthorized' })
    t.match(anonymous.response.headers.get('content-type'), /^application\/problem\+json/)

    const bad = await shop.POST('/customers/login', { body: { email: 'not-an-email', password: '' } })
    t.equal(bad.response.status, 400)
    const fields = bad.error !== undefined && 'errors' in bad.error ? bad.error.errors.map((e) => `${e.in}:${e.name}`).sort() : []
    t.same(fields, ['body:/email', 'body:/password'], '400 names each bad field')
  })

  t.test('with a refresh token: a 401 is refreshed once and the request sent again, body and all', async (t) => {
    const input = { name: 'Refreshing Customer', email: uniqueEmail('refresh'), phone: '+1 555 0198', password: 'client-password' }
    const signUp = await createShopClient({ baseUrl, fetch }).POST('/customers', { body: input })
    const id = signUp.data?.id ?? 0
    const login = await createShopClient({ baseUrl, fetch }).POST('/customers/login', { body: { email: input.email, password: input.password } })
    const pairs: Array<Schemas['Token']> = []
    const shop = createShopClient({ baseUrl, fetch, token: 'an.expired.token', refreshToken: login.data?.refresh_token, onRefresh: (pair) => pairs.push(pair) })

    const before = seen.length
    const renamed = await shop.PUT('/customers/{customer_id}', { params: { path: { customer_id: id } }, body: { name: 'Renamed after refresh', email: input.email, phone: input.phone } })
    t.equal(renamed.response.status, 200, 'the request succeeds after one refresh')
    t.equal(renamed.data?.name, 'Renamed after refresh', 'with its body sent again')
    t.same(seen.slice(before).map((r) => `${r.method} ${new URL(r.url).pathname}`), [`PUT /customers/${id}`, 'POST /auth/refresh', `PUT /customers/${id}`])
    t.equal(pairs.length, 1, 'onRefresh hears the new pair')
    t.equal(shop.token, pairs[0]?.token, 'which the client now sends')
    t.equal(shop.refreshToken, pairs[0]?.refresh_token)
    t.not(shop.refreshToken, login.data?.refresh_token, 'the spent refresh token is not kept')

    shop.setToken('expired.again.token')
    const both = await Promise.all([shop.GET('/customers/{customer_id}', { params: { path: { customer_id: id } } }), shop.GET('/customers/my-tickets')])
    t.same(both.map((r) => r.response.status), [200, 200], 'two requests meeting a 401 at once')
    t.equal(pairs.length, 2, 'share one refresh: a second one with the same token would end the session')

    const logout = await shop.POST('/auth/logout')
    t.equal(logout.response.status, 204)
    const after = seen.length
    const ended = await shop.GET('/customers/my-tickets')
    t.equal(ended.response.status, 401, 'the session has ended: the refresh fails, and the 401 comes back')
    t.same(seen.slice(after).map((r) => `${r.method} ${new URL(r.url).pathname}`), ['GET /customers/my-tickets', 'POST /auth/refresh'], 'refreshed once, not retried')
    t.equal(shop.refreshToken, undefined, 'the dead refresh token is dropped')
    const again = await shop.GET('/customers/my-tickets')
    t.equal(again.response.status, 401)
    t.equal(seen.at(-1)?.url.endsWith('/customers/my-tickets'), true, 'and no refresh is tried without one')
  })

  t.test('the token: from the options, replaced, cleared, and overridden per call', async (t) => {
    const shop = createShopClient({ baseUrl, fetch, token: 'first' })
    await shop.GET('/health')
    t.equal(seen.at(-1)?.headers.get('authorization'), 'Bearer first')
    shop.setToken('second')
    await shop.GET('/health')
    t.equal(seen.at(-1)?.headers.get('authorization'), 'Bearer second')
    await shop.GET('/health', { headers: { authorization: 'Bearer per-call' } })
    t.equal(seen.at(-1)?.headers.get('authorization'), 'Bearer per-call')
    shop.setToken(undefined)
    const health = await shop.GET('/health')
    t.notOk(seen.at(-1)?.headers.has('authorization'))
    t.same(health.data, { status: 'ok', database: 'up' })
  })
})
