// Mechanics: the bootstrap account, login, and the mechanic-only operations including the ranking.
import t from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { components } from '../generated/api.js'
import { ensureBootstrapMechanic } from '../src/db/mechanics.js'
import { hashPassword } from '../src/lib/passwords.js'
import type { TokenClaims } from '../src/plugins/auth.js'
import { auth, BOSS, buildTestApp, createMechanic, expectContract, expectInvalid, expectNoSecrets, expectOk, expectProblem, mechanicToken, signUpCustomer, type TestMechanic, uniqueEmail } from './helpers.js'

type Mechanic = components['schemas']['Mechanic']
type MechanicPage = components['schemas']['MechanicPage']
type MechanicRankingPage = components['schemas']['MechanicRankingPage']
type ServiceTicket = components['schemas']['ServiceTicket']
type Token = components['schemas']['Token']

const app = await buildTestApp(t)
const boss = auth(await mechanicToken(app))
const garbage = { authorization: 'Bearer not.a.jwt' }
const customer = await signUpCustomer(app)
const asCustomer = auth(customer.token)

interface Hired extends TestMechanic { phone: string, salary: number }

/** A new mechanic, logged in, with every field the API shows (helpers' createMechanic always uses this phone). */
async function hire (salary = 50000, overrides: { email?: string } = {}): Promise<Hired> {
  return { ...await createMechanic(app, { salary, ...overrides }), phone: '+1 555 0200', salary }
}

const publicView = (m: Hired): Mechanic => ({ id: m.id, name: m.name, email: m.email, phone: m.phone, salary: m.salary })

async function countMechanics (email?: string): Promise<number> {
  let query = app.db.selectFrom('mechanics').select((eb) => eb.fn.countAll<number>().as('n'))
  if (email !== undefined) query = query.where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
  const { n } = await query.executeTakeFirstOrThrow()
  return n
}

const getAs = (headers: Record<string, string>, id: number | string): Promise<LightMyRequestResponse> =>
  app.inject({ method: 'GET', url: `/mechanics/${id}`, headers })

/** The record as it is stored now; undefined once it is gone. */
async function current (id: number): Promise<Mechanic | undefined> {
  const res = await getAs(boss, id)
  return res.statusCode === 404 ? undefined : res.json<Mechanic>()
}

const login = (email: string, password: string): Promise<LightMyRequestResponse> =>
  app.inject({ method: 'POST', url: '/mechanics/login', payload: { email, password } })

const post = (headers: Record<string, string>, payload: object): Promise<LightMyRequestResponse> =>
  app.inject({ method: 'POST', url: '/mechanics', headers, payload })

async function openTicket (mechanicIds: number[]): Promise<ServiceTicket> {
  const res = await app.inject({
    method: 'POST', url: '/service-tickets', headers: boss,
    payload: { customer_id: customer.id, vin: '1HGCM82633A004352', service_date: '2026-12-01', service_desc: 'Brakes', mechanic_ids: mechanicIds },
  })
  if (res.statusCode !== 201) throw new Error(`opening a ticket: ${res.statusCode} ${res.body}`)
  return expectContract(res, 'createServiceTicket') as ServiceTicket
}

t.test('the bootstrap mechanic', async (t) => {
  t.test('exists with the configured name and email, a placeholder phone and no salary', async (t) => {
    const res = await login(BOSS.email, BOSS.password)
    const token = expectOk<Token>(t, res, 'loginMechanic', 200)
    const id = Number(app.jwt.decode<TokenClaims>(token.token)?.sub)
    t.strictSame(await current(id), { id, name: BOSS.name, email: BOSS.email, phone: '000-000-0000', salary: 0 })
    t.equal(await countMechanics(BOSS.email), 1)
  })

  t.test('bootstrapping again, in any case, creates nothing and keeps the password', async (t) => {
    const again = await ensureBootstrapMechanic(app.db, { email: BOSS.email.toUpperCase(), password: 'another-password', name: 'Impostor' }, hashPassword)
    t.equal(again, false)
    t.equal(await countMechanics(BOSS.email), 1)
    expectOk(t, await login(BOSS.email, BOSS.password), 'loginMechanic', 200)
    expectProblem(t, await login(BOSS.email, 'another-password'), 'loginMechanic', 401)
  })

  t.test('two instances starting at once create exactly one', async (t) => {
    const account = { email: uniqueEmail('Boss'), password: 'boss-password-2', name: 'Second Boss' }
    const results = await Promise.all([
      ensureBootstrapMechanic(app.db, account, hashPassword),
      ensureBootstrapMechanic(app.db, { ...account, email: account.email.toUpperCase() }, hashPassword),
    ])
    t.strictSame([...results].sort(), [false, true])
    t.equal(await countMechanics(account.email), 1)
    expectOk(t, await login(account.email, account.password), 'loginMechanic', 200)
  })
})

t.test('POST /mechanics (createMechanic)', async (t) => {
  const input = { name: 'Grace Hopper', email: uniqueEmail('grace'), phone: '+1 555 0200', salary: 54500.5, password: 'hopper-1906-cobol' }

  t.test('201 with the mechanic, a Location and no password', async (t) => {
    const res = await post(boss, input)
    const body = expectOk<Mechanic>(t, res, 'createMechanic', 201)
    t.strictSame(body, { id: body.id, name: input.name, email: input.email, phone: input.phone, salary: 54500.5 })
    t.equal(res.headers.location, `/mechanics/${body.id}`)
    expectNoSecrets(t, res)
    t.strictSame(await current(body.id), body)
    expectOk(t, await login(input.email, input.password), 'loginMechanic', 200)
  })

  t.test('salaries keep their cents exactly', async (t) => {
    for (const salary of [0.07, 19.99, 0, 9999999999.99]) {
      const res = await post(boss, { ...input, email: uniqueEmail(), salary })
      const body = expectOk<Mechanic>(t, res, 'createMechanic', 201)
      t.equal(body.salary, salary)
      t.equal((await current(body.id))?.salary, salary)
    }
  })

  t.test('a customer\'s email is free for a mechanic', async (t) => {
    expectOk(t, await post(boss, { ...input, email: customer.email }), 'createMechanic', 201)
  })

  t.test('409 for an email in use, in any case, writing nothing', async (t) => {
    const before = await countMechanics()
    for (const email of [input.email, input.email.toUpperCase(), BOSS.email.toUpperCase()]) {
      const body = expectProblem(t, await post(boss, { ...input, email }), 'createMechanic', 409)
      t.strictSame(body, {
        type: '/problems/conflict', title: 'Conflict', status: 409,
        detail: 'A mechanic with this email already exists.', instance: '/mechanics',
      })
    }
    t.equal(await countMechanics(), before)
  })

  t.test('400 naming each bad body field, writing nothing', async (t) => {
    const before = await countMechanics()
    const cases: Array<[string, Record<string, unknown>, string[]]> = [
      ['more than two decimals', { ...input, email: uniqueEmail(), salary: 12.345 }, ['/salary']],
      ['a negative salary', { ...input, email: uniqueEmail(), salary: -1 }, ['/salary']],
      ['a salary as a string', { ...input, email: uniqueEmail(), salary: '100' }, ['/salary']],
      ['no password, bad email', { name: 'X', email: 'nope', phone: '+1 555 0200', salary: 1 }, ['/email', '/password']],
      ['a ticket_count, which only the server keeps', { ...input, email: uniqueEmail(), ticket_count: 99 }, ['/ticket_count']],
    ]
    for (const [what, payload, fields] of cases) {
      t.test(what, async (t) => {
        expectInvalid(t, await post(boss, payload), 'createMechanic', fields.map((name) => ({ name, in: 'body' })))
      })
    }
    t.test('nothing was written', async (t) => {
      t.equal(await countMechanics(), before)
    })
  })

  t.test('401 without a valid token (before validating the body), 403 for a customer; nothing written', async (t) => {
    const before = await countMechanics()
    const valid = { ...input, email: uniqueEmail() }
    expectProblem(t, await post({}, valid), 'createMechanic', 401)
    expectProblem(t, await post(garbage, valid), 'createMechanic', 401)
    expectProblem(t, await post({}, { salary: 'not even close' }), 'createMechanic', 401)
    const body = expectProblem(t, await post(asCustomer, valid), 'createMechanic', 403)
    t.equal(body.detail, 'This operation is for mechanic tokens only.')
    t.equal(await countMechanics(), before)
  })
})

t.test('POST /mechanics/login (loginMechanic)', async (t) => {
  const m = await hire(50000, { email: uniqueEmail('Login') })

  t.test('200 with a mechanic token for this mechanic', async (t) => {
    const body = expectOk<Token>(t, await login(m.email, m.password), 'loginMechanic', 200)
    t.strictSame(Object.keys(body).sort(), ['expires_in', 'refresh_expires_in', 'refresh_token', 'token', 'token_type'])
    t.match(body, { token_type: 'Bearer', expires_in: 3600, refresh_expires_in: 30 * 86400 })
    t.match(app.jwt.decode<TokenClaims>(body.token), { sub: String(m.id), role: 'mechanic', sid: /^[0-9a-f-]{36}$/ })
    expectOk(t, await getAs(auth(body.token), m.id), 'getMechanic', 200)
  })

  t.test('the email matches in any case', async (t) => {
    const body = expectOk<Token>(t, await login(m.email.toUpperCase(), m.password), 'loginMechanic', 200)
    t.equal(app.jwt.decode<TokenClaims>(body.token)?.sub, String(m.id))
  })

  t.test('401, the same answer for a wrong password, an unknown email and a customer account', async (t) => {
    const expected = {
      type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Email or password is wrong.', instance: '/mechanics/login',
    }
    const attempts: Array<[string, string]> = [[m.email, 'wrong-password'], [uniqueEmail('nobody'), m.password], [customer.email, customer.password]]
    for (const [email, password] of attempts) {
      t.strictSame(expectProblem(t, await login(email, password), 'loginMechanic', 401), expected)
    }
  })

  t.test('400 naming the bad fields', async (t) => {
    expectInvalid(t, await app.inject({ method: 'POST', url: '/mechanics/login', payload: { password: 'x' } }),
      'loginMechanic', [{ name: '/email', in: 'body' }])
    expectInvalid(t, await app.inject({ method: 'POST', url: '/mechanics/login', payload: { email: m.email, password: 'x', role: 'mechanic' } }),
      'loginMechanic', [{ name: '/role', in: 'body' }])
  })
})

t.test('GET /mechanics (listMechanics): ETag and 304', async (t) => {
  const list = (query: string, headers: Record<string, string> = boss): Promise<LightMyRequestResponse> =>
    app.inject({ method: 'GET', url: `/mechanics${query}`, headers })

  t.test('304 while nothing changed; every mechanic write shows at once', async (t) => {
    const first = await list('?per_page=100')
    const etag = first.headers.etag
    if (typeof etag !== 'string') throw new Error('listMechanics sent no ETag')
    t.equal(first.headers['cache-control'], 'private, no-cache')
    const unchanged = await list('?per_page=100', { ...boss, 'if-none-match': etag })
    expectOk(t, unchanged, 'listMechanics', 304)
    t.equal(unchanged.body, '')

    const m = await hire()
    const created = await list('?per_page=100', { ...boss, 'if-none-match': etag })
    t.strictSame(expectOk<MechanicPage>(t, created, 'listMechanics', 200).data.at(-1), publicView(m))

    const renamed = { ...m, name: 'Renamed Mechanic' }
    const put = await app.inject({ method: 'PUT', url: `/mechanics/${m.id}`, headers: boss, payload: { name: renamed.name, email: m.email, phone: m.phone, salary: m.salary } })
    expectOk(t, put, 'updateMechanic', 200)
    const updated = await list('?per_page=100', { ...boss, 'if-none-match': String(created.headers.etag) })
    t.strictSame(expectOk<MechanicPage>(t, updated, 'listMechanics', 200).data.at(-1), publicView(renamed))

    expectOk(t, await app.inject({ method: 'DELETE', url: `/mechanics/${m.id}`, headers: boss }), 'deleteMechanic', 204)
    const deleted = await list('?per_page=100', { ...boss, 'if-none-match': String(updated.headers.etag) })
    t.notOk(expectOk<MechanicPage>(t, deleted, 'listMechanics', 200).data.some((x) => x.id === m.id))
  })
})

t.test('GET /mechanics/ranking (getMechanicRanking)', async (t) => {
  const rank = (query: string, headers: Record<string, string> = boss): Promise<LightMyRequestResponse> =>
    app.inject({ method: 'GET', url: `/mechanics/ranking${query}`, headers })
  const [m1, m2, m3] = [await hire(), await hire(), await hire()]
  const ranked = (m: Hired, ticketCount: number) => ({ ...publicView(m), ticket_count: ticketCount })
  // m1 and m3 tie on two tickets (m1 first by id), m2 has one; nobody else in this file keeps any.
  const tickets = [await openTicket([m1.id, m2.id]), await openTicket([m1.id, m3.id]), await openTicket([m3.id])]

  t.test('most tickets first, ties by id, with the counts', async (t) => {
    const res = await rank('?page=1&per_page=3')
    const body = expectOk<MechanicRankingPage>(t, res, 'getMechanicRanking', 200)
    t.strictSame(body.data, [ranked(m1, 2), ranked(m3, 2), ranked(m2, 1)])
    const total = body.meta.total
    t.strictSame(body.meta, { page: 1, per_page: 3, total, total_pages: Math.ceil(total / 3) })
    t.equal(res.headers.link, [
      '</mechanics/ranking?page=1&per_page=3>; rel="first"',
      '</mechanics/ranking?page=2&per_page=3>; rel="next"',
      `</mechanics/ranking?page=${Math.ceil(total / 3)}&per_page=3>; rel="last"`,
    ].join(', '))
    expectNoSecrets(t, res)
  })

  t.test('the rest follow with no tickets, in id order, starting with the bootstrap mechanic', async (t) => {
    const res = await rank('?page=2&per_page=3')
    const body = expectOk<MechanicRankingPage>(t, res, 'getMechanicRanking', 200)
    t.match(body.data[0], { email: BOSS.email, ticket_count: 0 })
    t.ok(body.data.every((m) => m.ticket_count === 0))
    t.match(res.headers.link, /<\/mechanics\/ranking\?page=1&per_page=3>; rel="prev"/)
    const all = expectOk<MechanicRankingPage>(t, await rank('?per_page=100'), 'getMechanicRanking', 200)
    const zeros = all.data.slice(3).map((m) => m.id)
    t.strictSame(zeros, [...zeros].sort((a, b) => a - b))
  })

  t.test('follows the assignments: deleting a ticket and a mechanic re-rank', async (t) => {
    const first = tickets[0]!
    expectOk(t, await app.inject({ method: 'DELETE', url: `/service-tickets/${first.id}`, headers: boss }), 'deleteServiceTicket', 204)
    let body = expectOk<MechanicRankingPage>(t, await rank('?per_page=100'), 'getMechanicRanking', 200)
    t.strictSame(body.data.slice(0, 2), [ranked(m3, 2), ranked(m1, 1)])
    t.match(body.data[2], { email: BOSS.email, ticket_count: 0 }, 'the zeros start again from the lowest id')
    t.strictSame(body.data.find((m) => m.id === m2.id), ranked(m2, 0))
    expectOk(t, await app.inject({ method: 'DELETE', url: `/mechanics/${m3.id}`, headers: boss }), 'deleteMechanic', 204)
    body = expectOk<MechanicRankingPage>(t, await rank('?per_page=1'), 'getMechanicRanking', 200)
    t.strictSame(body.data, [ranked(m1, 1)])
  })

  t.test('304 while nothing changed; a new assignment shows at once', async (t) => {
    const first = await rank('?per_page=100')
    const etag = first.headers.etag
    if (typeof etag !== 'string') throw new Error('getMechanicRanking sent no ETag')
    t.equal(first.headers['cache-control'], 'private, no-cache')
    expectOk(t, await rank('?per_page=100', { ...boss, 'if-none-match': etag }), 'getMechanicRanking', 304)
    const m = await hire()
    await openTicket([m.id])
    const after = expectOk<MechanicRankingPage>(t, await rank('?per_page=100', { ...boss, 'if-none-match': etag }), 'getMechanicRanking', 200)
    t.strictSame(after.data.find((x) => x.id === m.id), ranked(m, 1))
    expectOk(t, await app.inject({ method: 'DELETE', url: `/mechanics/${m.id}`, headers: boss }), 'deleteMechanic', 204)
  })

  t.test('400 naming the bad query parameters', async (t) => {
    expectInvalid(t, await rank('?per_page=0&page=x'), 'getMechanicRanking', [{ name: '/per_page', in: 'query' }, { name: '/page', in: 'query' }])
  })

  t.test('401 without a valid token, 403 for a customer', async (t) => {
    expectProblem(t, await rank('', {}), 'getMechanicRanking', 401)
    expectProblem(t, await rank('', garbage), 'getMechanicRanking', 401)
    expectProblem(t, await rank('', asCustomer), 'getMechanicRanking', 403)
  })
})

t.test('GET /mechanics/{mechanic_id} (getMechanic)', async (t) => {
  const m = await hire(61000.25)

  t.test('200 with the mechanic, without secrets', async (t) => {
    const res = await getAs(boss, m.id)
    t.strictSame(expectOk<Mechanic>(t, res, 'getMechanic', 200), publicView(m))
    expectNoSecrets(t, res)
  })

  t.test('404 for an unknown id', async (t) => {
    const body = expectProblem(t, await getAs(boss, 2147483647), 'getMechanic', 404)
    t.strictSame(body, { type: 'about:blank', title: 'Not Found', status: 404, detail: 'No mechanic with id 2147483647.', instance: '/mechanics/2147483647' })
  })

  t.test('400 for an id that is not a positive integer', async (t) => {
    for (const id of ['abc', '-1', '1.5']) {
      expectInvalid(t, await getAs(boss, id), 'getMechanic', [{ name: '/mechanic_id', in: 'path' }])
    }
  })

  t.test('401 without a valid token, 403 for a customer', async (t) => {
    expectProblem(t, await getAs({}, m.id), 'getMechanic', 401)
    expectProblem(t, await getAs(garbage, m.id), 'getMechanic', 401)
    expectProblem(t, await getAs(asCustomer, m.id), 'getMechanic', 403)
  })
})

t.test('PUT /mechanics/{mechanic_id} (updateMechanic)', async (t) => {
  const put = (headers: Record<string, string>, id: number | string, payload: object): Promise<LightMyRequestResponse> =>
    app.inject({ method: 'PUT', url: `/mechanics/${id}`, headers, payload })

  t.test('replaces the details; without a password it stays', async (t) => {
    const m = await hire()
    const changes = { name: 'Grace B. Hopper', email: uniqueEmail('hopper'), phone: '+1 555 0299', salary: 54500.5 }
    const res = await put(boss, m.id, changes)
    t.strictSame(expectOk<Mechanic>(t, res, 'updateMechanic', 200), { id: m.id, ...changes })
    expectNoSecrets(t, res)
    t.strictSame(await current(m.id), { id: m.id, ...changes })
    expectOk(t, await login(changes.email, m.password), 'loginMechanic', 200)
  })

  t.test('with a password, the old one stops working', async (t) => {
    const m = await hire()
    const res = await put(auth(m.token), m.id, { name: m.name, email: m.email, phone: m.phone, salary: m.salary, password: 'a brand new password' })
    t.strictSame(expectOk<Mechanic>(t, res, 'updateMechanic', 200), publicView(m))
    expectProblem(t, await login(m.email, m.password), 'loginMechanic', 401)
    expectOk(t, await login(m.email, 'a brand new password'), 'loginMechanic', 200)
  })

  t.test('keeping one\'s own email in another case is not a conflict', async (t) => {
    const m = await hire()
    const res = await put(boss, m.id, { name: m.name, email: m.email.toUpperCase(), phone: '+1 555 0200', salary: m.salary })
    t.strictSame(expectOk<Mechanic>(t, res, 'updateMechanic', 200), { ...publicView(m), email: m.email.toUpperCase() })
  })

  t.test('409 for another mechanic\'s email in any case, changing nothing', async (t) => {
    const [m, taken] = [await hire(), await hire()]
    const res = await put(boss, m.id, { name: 'Changed', email: taken.email.toUpperCase(), phone: '+1 555 0200', salary: 1, password: 'another password' })
    t.equal(expectProblem(t, res, 'updateMechanic', 409).detail, 'A mechanic with this email already exists.')
    t.strictSame(await current(m.id), publicView(m))
    expectOk(t, await login(m.email, m.password), 'loginMechanic', 200)
  })

  t.test('404 for an unknown id', async (t) => {
    const res = await put(boss, 2147483647, { name: 'Nobody', email: uniqueEmail(), phone: '+1 555 0200', salary: 1 })
    expectProblem(t, res, 'updateMechanic', 404)
  })

  t.test('400 naming the bad fields, changing nothing', async (t) => {
    const m = await hire()
    expectInvalid(t, await put(boss, m.id, { name: m.name, email: m.email, phone: '+1 555 0200', salary: 1.001 }), 'updateMechanic',
      [{ name: '/salary', in: 'body' }])
    expectInvalid(t, await put(boss, m.id, { name: m.name, email: m.email, phone: '+1 555 0200' }), 'updateMechanic',
      [{ name: '/salary', in: 'body' }])
    expectInvalid(t, await put(boss, 'x', { name: m.name, email: m.email, phone: '+1 555 0200', salary: 1 }), 'updateMechanic',
      [{ name: '/mechanic_id', in: 'path' }])
    t.strictSame(await current(m.id), publicView(m))
  })

  t.test('401 without a valid token, 403 for a customer, changing nothing', async (t) => {
    const m = await hire()
    const changes = { name: 'Intruder', email: uniqueEmail(), phone: '+1 555 0200', salary: 1 }
    expectProblem(t, await put({}, m.id, changes), 'updateMechanic', 401)
    expectProblem(t, await put(garbage, m.id, changes), 'updateMechanic', 401)
    expectProblem(t, await put(asCustomer, m.id, changes), 'updateMechanic', 403)
    t.strictSame(await current(m.id), publicView(m))
  })
})

t.test('DELETE /mechanics/{mechanic_id} (deleteMechanic)', async (t) => {
  const del = (headers: Record<string, string>, id: number | string): Promise<LightMyRequestResponse> =>
    app.inject({ method: 'DELETE', url: `/mechanics/${id}`, headers })

  t.test('204; the mechanic and their assignments go, the ticket stays', async (t) => {
    const [m, colleague] = [await hire(), await hire()]
    const ticket = await openTicket([m.id, colleague.id])
    const res = await del(boss, m.id)
    expectOk(t, res, 'deleteMechanic', 204)
    t.equal(res.body, '')
    t.equal(await current(m.id), undefined)
    expectProblem(t, await login(m.email, m.password), 'loginMechanic', 401)
    expectProblem(t, await getAs(auth(m.token), colleague.id), 'getMechanic', 401, 'and their token stops working')
    const after = await app.inject({ method: 'GET', url: `/service-tickets/${ticket.id}`, headers: boss })
    t.strictSame(expectOk<ServiceTicket>(t, after, 'getServiceTicket', 200).mechanics.map((x) => x.id), [colleague.id])
    expectProblem(t, await del(boss, m.id), 'deleteMechanic', 404)
  })

  t.test('404 for an unknown id, 400 for a bad one', async (t) => {
    expectProblem(t, await del(boss, 2147483647), 'deleteMechanic', 404)
    expectInvalid(t, await del(boss, 'abc'), 'deleteMechanic', [{ name: '/mechanic_id', in: 'path' }])
  })

  t.test('401 without a valid token, 403 for a customer, deleting nothing', async (t) => {
    const m = await hire()
    expectProblem(t, await del({}, m.id), 'deleteMechanic', 401)
    expectProblem(t, await del(garbage, m.id), 'deleteMechanic', 401)
    expectProblem(t, await del(asCustomer, m.id), 'deleteMechanic', 403)
    t.strictSame(await current(m.id), publicView(m))
  })
})
