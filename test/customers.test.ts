// Customers: sign-up, login, the mechanic-only list and the owner-or-mechanic record operations.
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { components } from '../generated/api.js'
import type { TokenClaims } from '../src/plugins/auth.js'
import { auth, BOSS, buildTestApp, expectInvalid, expectNoSecrets, expectOk, expectProblem, mechanicToken, signUpCustomer, type TestCustomer, uniqueEmail } from './helpers.js'

type Customer = components['schemas']['Customer']
type Token = components['schemas']['Token']

const app = await buildTestApp(t)
const boss = auth(await mechanicToken(app))
const garbage = { authorization: 'Bearer not.a.jwt' }

const publicView = (c: TestCustomer): Customer => ({ id: c.id, name: c.name, email: c.email, phone: c.phone })

async function countCustomers (): Promise<number> {
  const { n } = await app.db.selectFrom('customers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  return n
}

const getAs = (headers: Record<string, string>, id: number | string): Promise<LightMyRequestResponse> =>
  app.inject({ method: 'GET', url: `/customers/${id}`, headers })

/** The record as a mechanic sees it now; undefined once it is gone. */
async function current (id: number): Promise<Customer | undefined> {
  const res = await getAs(boss, id)
  return res.statusCode === 404 ? undefined : res.json<Customer>()
}

const login = (email: string, password: string): Promise<LightMyRequestResponse> =>
  app.inject({ method: 'POST', url: '/customers/login', payload: { email, password } })

t.test('POST /customers (createCustomer)', async (t) => {
  const input = { name: 'Ada Lovelace', email: uniqueEmail('ada'), phone: '+1 555 0100', password: 'correct horse battery' }

  t.test('201 with the customer, a Location and no password', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/customers', payload: input })
    const body = expectOk<Customer>(t, res, 'createCustomer', 201)
    t.type(body.id, 'number')
    t.strictSame(body, { id: body.id, name: input.name, email: input.email, phone: input.phone })
    t.equal(res.headers.location, `/customers/${body.id}`)
    expectNoSecrets(t, res)
    t.strictSame(await current(body.id), body, 'what was created is what is stored')
  })

  t.test('409 for an email in use, in any case, writing nothing', async (t) => {
    const before = await countCustomers()
    for (const email of [input.email, input.email.toUpperCase()]) {
      const res = await app.inject({ method: 'POST', url: '/customers', payload: { ...input, email, name: 'Someone Else' } })
      const body = expectProblem(t, res, 'createCustomer', 409)
      t.strictSame(body, {
        type: '/problems/conflict', title: 'Conflict', status: 409,
        detail: 'A customer with this email already exists.', instance: '/customers',
      })
    }
    t.equal(await countCustomers(), before)
  })

  t.test('400 naming each bad body field, writing nothing', async (t) => {
    const before = await countCustomers()
    const cases: Array<[string, Record<string, unknown>, string[]]> = [
      ['bad email and no password', { name: 'X', email: 'not-an-email', phone: '+1 555 0100' }, ['/email', '/password']],
      ['short password', { ...input, email: uniqueEmail(), password: 'short' }, ['/password']],
      ['bad phone, empty name', { ...input, email: uniqueEmail(), phone: 'call me', name: '' }, ['/phone', '/name']],
      ['an unknown field', { ...input, email: uniqueEmail(), role: 'mechanic' }, ['/role']],
      ['a number for a string', { ...input, email: uniqueEmail(), phone: 5550100 }, ['/phone']],
    ]
    for (const [what, payload, fields] of cases) {
      t.test(what, async (t) => {
        const res = await app.inject({ method: 'POST', url: '/customers', payload })
        expectInvalid(t, res, 'createCustomer', fields.map((name) => ({ name, in: 'body' })))
      })
    }
    t.test('no body at all', async (t) => {
      const res = await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': 'application/json' } })
      expectInvalid(t, res, 'createCustomer', [{ name: '/', in: 'body' }])
    })
    t.test('nothing was written', async (t) => {
      t.equal(await countCustomers(), before)
    })
  })
})

t.test('POST /customers/login (loginCustomer)', async (t) => {
  const customer = await signUpCustomer(app, { email: uniqueEmail('Login') })

  t.test('200 with a customer token for this customer', async (t) => {
    const res = await login(customer.email, customer.password)
    const body = expectOk<Token>(t, res, 'loginCustomer', 200)
    t.strictSame(Object.keys(body).sort(), ['expires_in', 'refresh_expires_in', 'refresh_token', 'token', 'token_type'])
    t.equal(body.token_type, 'Bearer')
    t.equal(body.expires_in, 3600)
    t.equal(body.refresh_expires_in, 30 * 86400, 'REFRESH_TOKEN_TTL defaults to 30 days')
    t.match(body.refresh_token, /^[\w-]{43}$/, '256 random bits, base64url')
    const claims = app.jwt.decode<TokenClaims>(body.token)
    t.match(claims, { sub: String(customer.id), role: 'customer', sid: /^[0-9a-f-]{36}$/ })
    t.equal(claims?.exp, (claims?.iat ?? 0) + 3600)
    expectOk(t, await getAs(auth(body.token), customer.id), 'getCustomer', 200)
  })

  t.test('the email matches in any case', async (t) => {
    const res = await login(customer.email.toUpperCase(), customer.password)
    const body = expectOk<Token>(t, res, 'loginCustomer', 200)
    t.equal(app.jwt.decode<TokenClaims>(body.token)?.sub, String(customer.id))
  })

  t.test('401, the same answer for a wrong password, an unknown email and a mechanic account', async (t) => {
    const expected = {
      type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Email or password is wrong.', instance: '/customers/login',
    }
    const attempts: Array<[string, string]> = [
      [customer.email, 'wrong-password'],
      [uniqueEmail('nobody'), customer.password],
      [BOSS.email, BOSS.password],
    ]
    for (const [email, password] of attempts) {
      const res = await login(email, password)
      t.strictSame(expectProblem(t, res, 'loginCustomer', 401), expected)
    }
  })

  t.test('400 naming the bad fields', async (t) => {
    expectInvalid(t, await app.inject({ method: 'POST', url: '/customers/login', payload: { email: customer.email } }),
      'loginCustomer', [{ name: '/password', in: 'body' }])
    expectInvalid(t, await app.inject({ method: 'POST', url: '/customers/login', payload: { email: 'nope', password: '' } }),
      'loginCustomer', [{ name: '/email', in: 'body' }, { name: '/password', in: 'body' }])
  })
})

t.test('GET /customers/{customer_id} (getCustomer)', async (t) => {
  const [owner, other] = [await signUpCustomer(app), await signUpCustomer(app)]

  t.test('200 for the owner and for a mechanic, without secrets', async (t) => {
    for (const headers of [auth(owner.token), boss]) {
      const res = await getAs(headers, owner.id)
      t.strictSame(expectOk<Customer>(t, res, 'getCustomer', 200), publicView(owner))
      expectNoSecrets(t, res)
    }
  })

  t.test('403 for another customer, whether or not the id exists', async (t) => {
    for (const id of [other.id, 2147483647]) {
      const body = expectProblem(t, await getAs(auth(owner.token), id), 'getCustomer', 403)
      t.equal(body.detail, 'A customer may only access their own record.')
    }
  })

  t.test('404 for a mechanic asking for an unknown id', async (t) => {
    const body = expectProblem(t, await getAs(boss, 2147483647), 'getCustomer', 404)
    t.strictSame(body, { type: 'about:blank', title: 'Not Found', status: 404, detail: 'No customer with id 2147483647.', instance: '/customers/2147483647' })
  })

  t.test('400 for an id that is not a positive integer', async (t) => {
    for (const id of ['abc', '0', '2147483648']) {
      expectInvalid(t, await getAs(boss, id), 'getCustomer', [{ name: '/customer_id', in: 'path' }])
    }
  })

  t.test('401 without a token or with a bad one', async (t) => {
    expectProblem(t, await getAs({}, owner.id), 'getCustomer', 401)
    expectProblem(t, await getAs(garbage, owner.id), 'getCustomer', 401)
  })
})

t.test('PUT /customers/{customer_id} (updateCustomer)', async (t) => {
  const put = (headers: Record<string, string>, id: number | string, payload: object): Promise<LightMyRequestResponse> =>
    app.inject({ method: 'PUT', url: `/customers/${id}`, headers, payload })

  t.test('the owner replaces the details; without a password it stays', async (t) => {
    const c = await signUpCustomer(app)
    const changes = { name: 'Ada King', email: uniqueEmail('king'), phone: '+44 20 7946 0000' }
    const res = await put(auth(c.token), c.id, changes)
    t.strictSame(expectOk<Customer>(t, res, 'updateCustomer', 200), { id: c.id, ...changes })
    expectNoSecrets(t, res)
    t.strictSame(await current(c.id), { id: c.id, ...changes })
    expectOk(t, await login(changes.email, c.password), 'loginCustomer', 200)
  })

  t.test('a mechanic may change the password: the old one stops working', async (t) => {
    const c = await signUpCustomer(app)
    const res = await put(boss, c.id, { name: c.name, email: c.email, phone: c.phone, password: 'a brand new password' })
    t.strictSame(expectOk<Customer>(t, res, 'updateCustomer', 200), publicView(c))
    expectNoSecrets(t, res)
    expectProblem(t, await login(c.email, c.password), 'loginCustomer', 401)
    expectOk(t, await login(c.email, 'a brand new password'), 'loginCustomer', 200)
  })

  t.test('keeping one\'s own email in another case is not a conflict', async (t) => {
    const c = await signUpCustomer(app)
    const res = await put(auth(c.token), c.id, { name: c.name, email: c.email.toUpperCase(), phone: c.phone })
    t.strictSame(expectOk<Customer>(t, res, 'updateCustomer', 200), { ...publicView(c), email: c.email.toUpperCase() })
  })

  t.test('409 for another customer\'s email in any case, changing nothing', async (t) => {
    const [c, taken] = [await signUpCustomer(app), await signUpCustomer(app)]
    const res = await put(auth(c.token), c.id, { name: 'Changed', email: taken.email.toUpperCase(), phone: c.phone, password: 'another password' })
    const body = expectProblem(t, res, 'updateCustomer', 409)
    t.equal(body.detail, 'A customer with this email already exists.')
    t.strictSame(await current(c.id), publicView(c))
    expectOk(t, await login(c.email, c.password), 'loginCustomer', 200)
  })

  t.test('403 for another customer, changing nothing', async (t) => {
    const [c, other] = [await signUpCustomer(app), await signUpCustomer(app)]
    const res = await put(auth(other.token), c.id, { name: 'Hijacked', email: uniqueEmail(), phone: c.phone })
    expectProblem(t, res, 'updateCustomer', 403)
    t.strictSame(await current(c.id), publicView(c))
  })

  t.test('404 for a mechanic and an unknown id', async (t) => {
    const res = await put(boss, 2147483647, { name: 'Nobody', email: uniqueEmail(), phone: '+1 555 0100' })
    expectProblem(t, res, 'updateCustomer', 404)
  })

  t.test('400 naming the bad fields, changing nothing', async (t) => {
    const c = await signUpCustomer(app)
    expectInvalid(t, await put(auth(c.token), c.id, { name: 'No phone', email: c.email }), 'updateCustomer', [{ name: '/phone', in: 'body' }])
    expectInvalid(t, await put(auth(c.token), c.id, { ...publicView(c), password: 'short' }), 'updateCustomer',
      [{ name: '/id', in: 'body' }, { name: '/password', in: 'body' }])
    expectInvalid(t, await put(boss, 'abc', { name: c.name, email: c.email, phone: c.phone }), 'updateCustomer', [{ name: '/customer_id', in: 'path' }])
    t.strictSame(await current(c.id), publicView(c))
    expectOk(t, await login(c.email, c.password), 'loginCustomer', 200)
  })

  t.test('401 without a token or with a bad one, changing nothing', async (t) => {
    const c = await signUpCustomer(app)
    const changes = { name: 'Anonymous', email: uniqueEmail(), phone: c.phone }
    expectProblem(t, await put({}, c.id, changes), 'updateCustomer', 401)
    expectProblem(t, await put(garbage, c.id, changes), 'updateCustomer', 401)
    t.strictSame(await current(c.id), publicView(c))
  })
})

t.test('DELETE /customers/{customer_id} (deleteCustomer)', async (t) => {
  const del = (headers: Record<string, string>, id: number | string): Promise<LightMyRequestResponse> =>
    app.inject({ method: 'DELETE', url: `/customers/${id}`, headers })

  t.test('204 for the owner; the account is gone', async (t) => {
    const c = await signUpCustomer(app)
    const res = await del(auth(c.token), c.id)
    expectOk(t, res, 'deleteCustomer', 204)
    t.equal(res.body, '')
    t.equal(await current(c.id), undefined)
    expectProblem(t, await login(c.email, c.password), 'loginCustomer', 401)
    expectProblem(t, await getAs(auth(c.token), c.id), 'getCustomer', 401, 'and their token stops working')
  })

  t.test('204 for a mechanic, then 404 the second time', async (t) => {
    const c = await signUpCustomer(app)
    expectOk(t, await del(boss, c.id), 'deleteCustomer', 204)
    expectProblem(t, await del(boss, c.id), 'deleteCustomer', 404)
  })

  t.test('409 while the customer has a service ticket, deleting nothing', async (t) => {
    const c = await signUpCustomer(app)
    const ticket = await app.inject({
      method: 'POST', url: '/service-tickets', headers: boss,
      payload: { customer_id: c.id, vin: '1HGCM82633A004352', service_date: '2026-12-01', service_desc: 'Brakes' },
    })
    expectOk(t, ticket, 'createServiceTicket', 201)
    for (const headers of [auth(c.token), boss]) {
      const body = expectProblem(t, await del(headers, c.id), 'deleteCustomer', 409)
      t.strictSame(body, {
        type: '/problems/conflict', title: 'Conflict', status: 409,
        detail: 'The customer still has service tickets.', instance: `/customers/${c.id}`,
      })
    }
    t.strictSame(await current(c.id), publicView(c))
  })

  t.test('403 for another customer, whether or not the id exists, deleting nothing', async (t) => {
    const [c, other] = [await signUpCustomer(app), await signUpCustomer(app)]
    expectProblem(t, await del(auth(other.token), c.id), 'deleteCustomer', 403)
    expectProblem(t, await del(auth(other.token), 2147483647), 'deleteCustomer', 403)
    t.strictSame(await current(c.id), publicView(c))
  })

  t.test('400 for a bad id, 401 without a valid token', async (t) => {
    const c = await signUpCustomer(app)
    expectInvalid(t, await del(boss, 'abc'), 'deleteCustomer', [{ name: '/customer_id', in: 'path' }])
    expectProblem(t, await del({}, c.id), 'deleteCustomer', 401)
    expectProblem(t, await del(garbage, c.id), 'deleteCustomer', 401)
    t.strictSame(await current(c.id), publicView(c))
  })
})
