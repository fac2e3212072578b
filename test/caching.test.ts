// HTTP and server-side caching as a client meets it: ETag and Cache-Control on the cached reads,
// 304 on If-None-Match, answers served from the cache until a write that changes them, never a
// cached answer to the wrong caller, and no ETag that outlives the data it names, not even across a
// restart. The same checks run on the in-process cache and, when REDIS_URL is set, on Redis.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import type { components } from '../generated/api.js'
import { auth, buildTestApp, claimRedisDb, createMechanic, createTestPostgres, expectContract, mechanicToken, sharedRedisUrl, signUpCustomer, uniqueEmail, usingPostgres } from './helpers.js'

type Part = components['schemas']['Part']
type PartPage = components['schemas']['PartPage']
type MechanicPage = components['schemas']['MechanicPage']
type RankingPage = components['schemas']['MechanicRankingPage']
type ServiceTicket = components['schemas']['ServiceTicket']

const VIN = '1HGCM82633A004352'

/** Sends the request, checks the answer against the contract, and returns it. */
async function call (app: FastifyInstance, operationId: string, options: InjectOptions): Promise<LightMyRequestResponse> {
  const res = await app.inject(options)
  expectContract(res, operationId)
  return res
}

function expectOk (t: Test, res: LightMyRequestResponse, status = 200): void {
  t.equal(res.statusCode, status, `answers ${status}`, { body: res.body })
}

/** A cached read: a strong ETag and Cache-Control with this scope, revalidated on every use. */
function expectValidator (t: Test, res: LightMyRequestResponse, scope: 'public' | 'private'): string {
  expectOk(t, res)
  const etag = res.headers.etag
  t.match(etag, /^"[!#-~]+"$/, 'a strong ETag')
  t.equal(res.headers['cache-control'], `${scope}, no-cache`, `Cache-Control: ${scope}, no-cache`)
  if (scope === 'private') t.match(res.headers.vary, /\bauthorization\b/i, 'Vary: authorization')
  else t.notMatch(String(res.headers.vary ?? ''), /authorization/i, 'no Vary on authorization for a public read')
  return String(etag)
}

function expectNotModified (t: Test, res: LightMyRequestResponse, etag: string): void {
  t.equal(res.statusCode, 304, 'answers 304', { body: res.body })
  t.equal(res.body, '', 'with no body')
  t.equal(res.headers.etag, etag, 'and the same ETag')
  t.match(res.headers['cache-control'], /, no-cache$/)
}

function expectNoStore (t: Test, res: LightMyRequestResponse): void {
  t.equal(res.headers['cache-control'], 'no-store', 'Cache-Control: no-store')
  t.notOk(res.headers.etag, 'no ETag')
}

/** Every check of this file against one app. */
async function cachingChecks (t: Test, app: FastifyInstance): Promise<void> {
  const boss = auth(await mechanicToken(app))
  const listParts = (url = '/inventory?per_page=100', headers: Record<string, string> = {}) =>
    call(app, 'listParts', { method: 'GET', url, headers })
  const getPart = (id: number, headers: Record<string, string> = {}) =>
    call(app, 'getPart', { method: 'GET', url: `/inventory/${id}`, headers })
  const createPart = async (name: string, price: number): Promise<Part> => {
    const res = await call(app, 'createPart', { method: 'POST', url: '/inventory', headers: boss, payload: { name, price } })
    if (res.statusCode !== 201) throw new Error(`createPart: ${res.statusCode} ${res.body}`)
    return res.json<Part>()
  }
  const listMechanics = (headers: Record<string, string> = boss) =>
    call(app, 'listMechanics', { method: 'GET', url: '/mechanics?per_page=100', headers })
  const ranking = (headers: Record<string, string> = boss) =>
    call(app, 'getMechanicRanking', { method: 'GET', url: '/mechanics/ranking?per_page=100', headers })

  await createPart('Seed part', 1.5)

  t.test('GET /inventory: ETag and public, no-cache; If-None-Match answers 304 with no body', async (t) => {
    const first = await listParts()
    const etag = expectValidator(t, first, 'public')
    t.match(first.headers.link, /rel="first"/, 'with its Link header')

    expectNotModified(t, await listParts(undefined, { 'if-none-match': etag }), etag)
    expectNotModified(t, await listParts(undefined, { 'if-none-match': `W/${etag}` }), etag) // weak comparison
    expectNotModified(t, await listParts(undefined, { 'if-none-match': `"something-else", ${etag}` }), etag)
    t.equal((await listParts(undefined, { 'if-none-match': '"something-else"' })).statusCode, 200, 'another tag: 200')

    const smaller = await listParts('/inventory?per_page=1')
    t.not(expectValidator(t, smaller, 'public'), etag, 'another page has another ETag')
    t.equal(smaller.json<PartPage>().data.length, 1)
  })

  t.test('GET /inventory is served from the cache until a write changes the catalogue', async (t) => {
    const before = await listParts()
    const etag = expectValidator(t, before, 'public')
    // Behind the API's back: no write of the API, so nothing invalidates the cached answer.
    await app.db.insertInto('inventory').values({ name: 'Smuggled part', price: '9.99' }).execute()
    const cached = await listParts()
    t.equal(cached.body, before.body, 'the same body, from the cache')
    t.equal(cached.headers.etag, etag)
    t.equal(cached.headers.link, before.headers.link, 'and the same Link header')

    const created = await call(app, 'createPart', { method: 'POST', url: '/inventory', headers: boss, payload: { name: 'Brake pad', price: 24.5 } })
    expectOk(t, created, 201)
    expectNoStore(t, created)
    const after = await listParts()
    const names = after.json<PartPage>().data.map((p) => p.name)
    t.ok(names.includes('Brake pad') && names.includes('Smuggled part'), 'the write shows at once', { names })
    t.not(expectValidator(t, after, 'public'), etag, 'under a new ETag')
    t.equal((await listParts(undefined, { 'if-none-match': etag })).statusCode, 200, 'the old ETag no longer matches')
  })

  t.test('GET /inventory/{part_id}: ETag and 304; an update or a delete shows at once', async (t) => {
    const part = await createPart('Oil filter', 12.5)
    const first = await getPart(part.id)
    const etag = expectValidator(t, first, 'public')
    t.same(first.json(), part)
    expectNotModified(t, await getPart(part.id, { 'if-none-match': etag }), etag)

    const updated = await call(app, 'updatePart', { method: 'PUT', url: `/inventory/${part.id}`, headers: boss, payload: { name: 'Oil filter', price: 13.75 } })
    expectOk(t, updated)
    const fresh = await getPart(part.id, { 'if-none-match': etag })
    expectOk(t, fresh)
    t.equal(fresh.json<Part>().price, 13.75, 'the new price')
    t.not(expectValidator(t, fresh, 'public'), etag, 'under a new ETag')
    t.equal((await listParts()).json<PartPage>().data.find((p) => p.id === part.id)?.price, 13.75, 'the list shows it too')

    expectOk(t, await call(app, 'deletePart', { method: 'DELETE', url: `/inventory/${part.id}`, headers: boss }), 204)
    const gone = await getPart(part.id)
    t.equal(gone.statusCode, 404, 'a deleted part is gone, not served from the cache')
    expectNoStore(t, gone)
    t.notOk((await listParts()).json<PartPage>().data.some((p) => p.id === part.id), 'and gone from the list')
  })

  t.test('a failed write changes nothing, so the ETag still matches', async (t) => {
    const etag = expectValidator(t, await listParts(), 'public')
    t.equal((await call(app, 'createPart', { method: 'POST', url: '/inventory', headers: boss, payload: { name: '' } })).statusCode, 400)
    t.equal((await call(app, 'updatePart', { method: 'PUT', url: '/inventory/2000000000', headers: boss, payload: { name: 'x', price: 1 } })).statusCode, 404)
    t.equal((await call(app, 'createPart', { method: 'POST', url: '/inventory', payload: { name: 'x', price: 1 } })).statusCode, 401)
    expectNotModified(t, await listParts(undefined, { 'if-none-match': etag }), etag)
  })

  t.test('GET /mechanics: private, no-cache, Vary: authorization; every mechanic write shows at once', async (t) => {
    const first = await listMechanics()
    const etag = expectValidator(t, first, 'private')
    expectNotModified(t, await listMechanics({ ...boss, 'if-none-match': etag }), etag)

    const email = uniqueEmail('cached')
    const created = await call(app, 'createMechanic', { method: 'POST', url: '/mechanics', headers: boss, payload: { name: 'New Hire', email, phone: '+1 555 0300', salary: 40000, password: 'mechanic-password' } })
    expectOk(t, created, 201)
    const id = created.json<{ id: number }>().id
    const afterCreate = await listMechanics({ ...boss, 'if-none-match': etag })
    expectOk(t, afterCreate)
    t.ok(afterCreate.json<MechanicPage>().data.some((m) => m.id === id), 'a new mechanic shows at once')
    const etag2 = expectValidator(t, afterCreate, 'private')
    t.not(etag2, etag)

    expectOk(t, await call(app, 'updateMechanic', { method: 'PUT', url: `/mechanics/${id}`, headers: boss, payload: { name: 'Renamed Hire', email, phone: '+1 555 0300', salary: 41000 } }))
    const afterUpdate = await listMechanics({ ...boss, 'if-none-match': etag2 })
    expectOk(t, afterUpdate)
    t.equal(afterUpdate.json<MechanicPage>().data.find((m) => m.id === id)?.name, 'Renamed Hire', 'an update shows at once')

    expectOk(t, await call(app, 'deleteMechanic', { method: 'DELETE', url: `/mechanics/${id}`, headers: boss }), 204)
    t.notOk((await listMechanics()).json<MechanicPage>().data.some((m) => m.id === id), 'a delete shows at once')
  })

  t.test('no cached answer reaches a caller who may not see it', async (t) => {
    const etag = expectValidator(t, await listMechanics(), 'private') // cached now
    const customer = await signUpCustomer(app)
    for (const [who, headers, status] of [['no token', {}, 401], ['a bad token', auth('not.a.jwt'), 401], ['a customer', auth(customer.token), 403]] as const) {
      for (const read of [listMechanics, ranking]) {
        const plain = await read(headers)
        t.equal(plain.statusCode, status, `${who}: ${status}`)
        t.notMatch(plain.body, /"data"/, 'no list in the body')
        expectNoStore(t, plain)
        const revalidating = await read({ ...headers, 'if-none-match': etag })
        t.equal(revalidating.statusCode, status, `${who} with a valid ETag: ${status}, not 304`)
      }
    }

    // Per-caller reads are not cached at all: each customer sees their own tickets only.
    const other = await signUpCustomer(app)
    const ticket = await call(app, 'createServiceTicket', { method: 'POST', url: '/service-tickets', headers: boss, payload: { customer_id: customer.id, vin: VIN, service_date: '2026-12-01', service_desc: 'Mine only' } })
    expectOk(t, ticket, 201)
    for (const [who, owner, count] of [['the owner', customer, 1], ['another customer', other, 0], ['the owner again', customer, 1]] as const) {
      const mine = await call(app, 'listMyCustomerTickets', { method: 'GET', url: '/customers/my-tickets', headers: auth(owner.token) })
      expectOk(t, mine)
      t.equal(mine.json<{ data: ServiceTicket[] }>().data.length, count, `${who} sees ${count} ticket(s)`)
      expectNoStore(t, mine)
    }
    expectNoStore(t, await call(app, 'getCustomer', { method: 'GET', url: `/customers/${customer.id}`, headers: auth(customer.token) }))
  })

  t.test('GET /mechanics/ranking: every ticket write that moves it shows at once, others keep the ETag', async (t) => {
    const customer = await signUpCustomer(app)
    const [m1, m2] = [await createMechanic(app, { name: 'Rank One' }), await createMechanic(app, { name: 'Rank Two' })]
    const countOf = (res: LightMyRequestResponse, id: number) => res.json<RankingPage>().data.find((m) => m.id === id)?.ticket_count

    const start = await ranking()
    let etag = expectValidator(t, start, 'private')
    t.same([countOf(start, m1.id), countOf(start, m2.id)], [0, 0])
    expectNotModified(t, await ranking({ ...boss, 'if-none-match': etag }), etag)

    /** Reads the ranking with the last ETag: it must be a fresh 200 under a new one. */
    const expectMoved = async (what: string, expected: [number | undefined, number | undefined]) => {
      const res = await ranking({ ...boss, 'if-none-match': etag })
      t.equal(res.statusCode, 200, `${what}: the ranking changed`)
      t.same([countOf(res, m1.id), countOf(res, m2.id)], expected, `${what}: counts`)
      const next = expectValidator(t, res, 'private')
      t.not(next, etag, `${what}: new ETag`)
      etag = next
      return res
    }

    const created = await call(app, 'createServiceTicket', { method: 'POST', url: '/service-tickets', headers: boss, payload: { customer_id: customer.id, vin: VIN, service_date: '2026-12-01', service_desc: 'Brakes', mechanic_ids: [m1.id] } })
    expectOk(t, created, 201)
    const ticketId = created.json<ServiceTicket>().id
    await expectMoved('a new ticket', [1, 0])

    expectOk(t, await call(app, 'editTicketMechanics', { method: 'PUT', url: `/service-tickets/${ticketId}/edit`, headers: boss, payload: { add_ids: [m2.id], remove_ids: [m1.id] } }))
    const edited = await expectMoved('a ticket edit', [0, 1])
    const order = edited.json<RankingPage>().data.map((m) => m.ticket_count)
    t.same(order, [...order].sort((a, b) => b - a), 'most tickets first')

    // A write to another collection leaves the ranking, and its ETag, alone.
    await createPart('Not a ranking change', 3)
    expectNotModified(t, await ranking({ ...boss, 'if-none-match': etag }), etag)

    expectOk(t, await call(app, 'deleteServiceTicket', { method: 'DELETE', url: `/service-tickets/${ticketId}`, headers: boss }), 204)
    await expectMoved('a ticket delete', [0, 0])

    expectOk(t, await call(app, 'deleteMechanic', { method: 'DELETE', url: `/mechanics/${m1.id}`, headers: boss }), 204)
    await expectMoved('a mechanic delete', [undefined, 0])
  })

  // A URL that validated once is answered from the cache before validation when asked again
  // (src/plugins/caching.ts); from outside, nothing of the validated path may change.
  t.test('a URL seen before is still validated, rate-limited and answered as before', async (t) => {
    const url = '/inventory?per_page=7&page=1'
    const first = await listParts(url)
    const etag = expectValidator(t, first, 'public')
    const again = await listParts(url)
    t.equal(again.body, first.body, 'the same body')
    t.equal(again.headers.etag, etag, 'the same ETag')
    t.equal(again.headers.link, first.headers.link, 'the same Link header')
    t.equal(again.headers['content-type'], first.headers['content-type'])
    t.equal(again.headers['x-content-type-options'], 'nosniff', 'the security headers')
    t.equal(Number(again.headers['x-ratelimit-remaining']), Number(first.headers['x-ratelimit-remaining']) - 1, 'and it counts against the rate limit')

    const tooLong = await listParts(url, { 'if-none-match': `"${'a'.repeat(600)}"` })
    t.equal(tooLong.statusCode, 400, 'an If-None-Match the contract refuses is still refused')
    expectNotModified(t, await listParts(url, { 'if-none-match': etag }), etag)

    for (let i = 0; i < 2; i++) t.equal((await listParts('/inventory?per_page=0')).statusCode, 400, `an invalid URL is refused every time (${i + 1})`)

    for (const time of ['first', 'second']) {
      const head = await app.inject({ method: 'HEAD', url })
      t.equal(head.statusCode, 200, `HEAD, ${time} time`)
      t.equal(head.body, '', 'HEAD: no body')
      t.equal(head.headers.etag, etag, 'HEAD: the same ETag')
    }

    await createPart('Seen-before part', 2.5)
    const after = await listParts(url)
    const afterTag = expectValidator(t, after, 'public')
    t.not(afterTag, etag, 'a write still shows at once')
    // That miss was found before validation; its answer must be stored where the next hit looks.
    await app.db.insertInto('inventory').values({ name: 'Behind the cache', price: '1.00' }).execute()
    const cached = await listParts(url)
    t.equal(cached.body, after.body, 'the next read is the stored answer')
    t.equal(cached.headers.etag, afterTag)
  })

  t.test('reads that are not cached say no-store', async (t) => {
    expectNoStore(t, await call(app, 'listCustomers', { method: 'GET', url: '/customers', headers: boss }))
    expectNoStore(t, await call(app, 'listServiceTickets', { method: 'GET', url: '/service-tickets', headers: boss }))
    expectNoStore(t, await call(app, 'getHealth', { method: 'GET', url: '/health' }))
  })

  t.test('If-None-Match: * is 404 for a part that does not exist, 304 for one that does', async (t) => {
    const star = { 'if-none-match': '*' }
    const missing = await call(app, 'getPart', { method: 'GET', url: '/inventory/2147483647', headers: star })
    t.equal(missing.statusCode, 404, 'no part, no representation to match')
    const created = await call(app, 'createPart', { method: 'POST', url: '/inventory', headers: boss, payload: { name: 'Starred', price: 3 } })
    const url = `/inventory/${created.json<Part>().id}`
    const fresh = await call(app, 'getPart', { method: 'GET', url, headers: star })
    t.equal(fresh.statusCode, 304, 'on a miss, once the part is found')
    t.equal(fresh.body, '')
    t.ok(fresh.headers.etag)
    const hit = await call(app, 'getPart', { method: 'GET', url, headers: star })
    t.equal(hit.statusCode, 304, 'and on a hit')
    await call(app, 'deletePart', { method: 'DELETE', url, headers: boss })
    t.equal((await call(app, 'getPart', { method: 'GET', url, headers: star })).statusCode, 404, 'deleted: 404 again')
  })
}

t.test('the in-process cache', async (t) => {
  // The database outlives the first app, as it outlives a restarted server.
  let database: Record<string, string>
  if (usingPostgres()) {
    database = { DATABASE_URL: await createTestPostgres(t) ?? '' }
  } else {
    const dir = await mkdtemp(join(tmpdir(), 'mst-caching-'))
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    database = { PGLITE_DIR: dir }
  }

  const first = await buildTestApp(t, database)
  t.equal(first.redis, undefined, 'no Redis configured')
  const boss = auth(await mechanicToken(first))
  const before = await call(first, 'listParts', { method: 'GET', url: '/inventory' })
  const oldTag = expectValidator(t, before, 'public')
  expectOk(t, await call(first, 'createPart', { method: 'POST', url: '/inventory', headers: boss, payload: { name: 'Made before the restart', price: 5 } }), 201)
  await first.close()

  const app = await buildTestApp(t, database)
  t.test('after a restart, an ETag from before it never matches changed data', async (t) => {
    const res = await call(app, 'listParts', { method: 'GET', url: '/inventory', headers: { 'if-none-match': oldTag } })
    t.equal(res.statusCode, 200, 'the catalogue changed since that ETag: 200, not 304')
    t.ok(res.json<PartPage>().data.some((p) => p.name === 'Made before the restart'))
    t.not(res.headers.etag, oldTag)
  })
  await cachingChecks(t, app)
})

t.test('the Redis cache (REDIS_URL)', { skip: sharedRedisUrl() === undefined && 'REDIS_URL is not set: the Redis cache is not exercised (CI sets it)' }, async (t) => {
  const redis = await claimRedisDb(t)
  if (redis === undefined) throw new Error('unreachable: REDIS_URL is set')
  const app = await buildTestApp(t, { REDIS_URL: redis.url })
  t.equal(app.redis?.status, 'ready', 'connected to Redis')
  await cachingChecks(t, app)
  t.test('the answers and the collection versions are in Redis', async (t) => {
    t.ok((await redis.client.keys('mst:cache:entry:*')).length > 0, 'cached answers')
    t.same((await redis.client.keys('mst:cache:version:*')).sort(), ['mst:cache:version:inventory', 'mst:cache:version:mechanics', 'mst:cache:version:ranking'])
  })
})
