// Bad input is refused, nothing is lost, and nothing leaks: mass assignment, hostile strings,
// security headers, the CORS policy, and what reaches the logs.
import { createHash, randomUUID } from 'node:crypto'
import { Writable } from 'node:stream'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { sql } from 'kysely'
import t, { type Test } from 'tap'
import { buildApp, REDACTED_LOG_PATHS } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { type Account, BOSS, buildTestApp, changedTables, customerAccount, expectContract, expectInvalid, fillPath, type Json, mechanicAccount, operation, type Operation, operations, part, resolve, snapshot, testEnv, ticket } from './helpers.js'
import { countStock } from '../src/db/stock.js'

const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}@example.com`
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

interface World {
  A: Account, M: Account, other: Account, ticket: number, vehicle: number, part: number, freePart: number
  /** Set by the setup of the cases that need one. */
  laborLine?: number
  invoice?: number
}

/** Posts with `token` and answers the JSON body; a refusal fails the setup. */
async function post (app: FastifyInstance, token: string, url: string, payload?: Json): Promise<Json> {
  const res = await app.inject({ method: 'POST', url, headers: bearer(token), ...(payload === undefined ? {} : { payload }) })
  if (res.statusCode >= 300) throw new Error(`setup: POST ${url} answered ${res.statusCode}: ${res.body}`)
  return res.json<Json>()
}

async function makeWorld (app: FastifyInstance): Promise<World> {
  const A = await customerAccount(app, 'Customer A')
  const M = await mechanicAccount(app, 'Calling Mechanic')
  const other = await mechanicAccount(app, 'Other Mechanic')
  const onTicket = await part(app, 'Brake pad set', 24.5)
  const freePart = await part(app, 'Oil filter', 7.5)
  const ticketId = await ticket(app, A.id, { mechanicIds: [other.id], partIds: [onTicket] })
  const { vehicle_id: vehicle } = await app.db.selectFrom('service_tickets').select('vehicle_id').where('id', '=', ticketId).executeTakeFirstOrThrow()
  return { A, M, other, part: onTicket, freePart, ticket: ticketId, vehicle }
}

/** A valid request for every operation that takes a body, and who sends it. */
interface BodyCase {
  token: (w: World) => string | undefined
  params?: (w: World) => Record<string, number>
  headers?: () => Record<string, string>
  /** What the world needs beyond makeWorld's rows for the request to succeed. */
  setup?: (app: FastifyInstance, w: World) => Promise<void>
  body: (w: World) => Json
}

const BODY_CASES: Record<string, BodyCase> = {
  createCustomer: { token: () => undefined, body: () => ({ name: 'New Customer', email: unique('new'), phone: '+1 555 0100', password: 'a-new-password' }) },
  loginCustomer: { token: () => undefined, body: (w) => ({ email: w.A.email, password: w.A.password }) },
  // The owner's own token: a customer must not make themselves anything by adding fields.
  updateCustomer: { token: (w) => w.A.token, params: (w) => ({ customer_id: w.A.id }), body: () => ({ name: 'Renamed', email: unique('renamed'), phone: '+1 555 0101' }) },
  createMechanic: { token: (w) => w.M.token, body: () => ({ name: 'New Mechanic', email: unique('mech'), phone: '+1 555 0200', salary: 1000, password: 'a-new-password' }) },
  loginMechanic: { token: () => undefined, body: (w) => ({ email: w.M.email, password: w.M.password }) },
  updateMechanic: { token: (w) => w.M.token, params: (w) => ({ mechanic_id: w.other.id }), body: () => ({ name: 'Renamed', email: unique('mech-renamed'), phone: '+1 555 0201', salary: 2000 }) },
  createServiceTicket: { token: (w) => w.M.token, body: (w) => ({ customer_id: w.A.id, vin: '1HGCM82633A004352', service_date: '2026-12-01', service_desc: 'Brakes' }) },
  updateServiceTicket: { token: (w) => w.M.token, params: (w) => ({ ticket_id: w.ticket }), body: () => ({ vin: '1HGCM82633A004352', service_date: '2026-12-02', service_desc: 'Brakes and discs' }) },
  editTicketMechanics: { token: (w) => w.M.token, params: (w) => ({ ticket_id: w.ticket }), body: (w) => ({ add_ids: [w.M.id] }) },
  addTicketPart: { token: (w) => w.M.token, params: (w) => ({ ticket_id: w.ticket }), body: (w) => ({ part_id: w.freePart, quantity: 2 }) },
  recordTicketApproval: { token: (w) => w.A.token, params: (w) => ({ ticket_id: w.ticket }), body: () => ({ decision: 'approve', note: 'Go ahead' }) },
  transitionServiceTicket: { token: (w) => w.M.token, params: (w) => ({ ticket_id: w.ticket }), body: () => ({ to: 'cancelled', reason: 'Customer changed their mind' }) },
  createVehicle: { token: (w) => w.M.token, body: (w) => ({ customer_id: w.A.id, vin: '2T1BURHE0JC034461', year: 2018, make: 'Toyota', model: 'Corolla', license_plate: 'XYZ-987' }) },
  updateVehicle: { token: (w) => w.M.token, params: (w) => ({ vehicle_id: w.vehicle }), body: (w) => ({ customer_id: w.A.id, vin: '1HGCM82633A004352', year: 2003, make: 'Honda' }) },
  createPart: { token: (w) => w.M.token, body: () => ({ name: 'Bolt', price: 0.5 }) },
  updatePart: { token: (w) => w.M.token, params: (w) => ({ part_id: w.part }), body: () => ({ name: 'Bolt', price: 0.75 }) },
  countPartStock: { token: (w) => w.M.token, params: (w) => ({ part_id: w.freePart }), body: () => ({ on_hand: 12, reorder_point: 4 }) },
  receiveStock: {
    token: (w) => w.M.token,
    params: (w) => ({ part_id: w.freePart }),
    headers: () => ({ 'idempotency-key': randomUUID() }),
    setup: async (app, w) => { await countStock(app.db, w.freePart, 1, 0, { role: 'mechanic', id: w.M.id }) },
    body: () => ({ quantity: 10, reference: 'DN-1' }),
  },
  updateShopSettings: { token: (w) => w.M.token, body: () => ({ labor_rate: 120, parts_tax_rate: 0.0825, labor_tax_rate: 0 }) },
  refreshSession: { token: () => undefined, body: (w) => ({ refresh_token: w.A.refreshToken }) },
  addTicketLabor: { token: (w) => w.M.token, params: (w) => ({ ticket_id: w.ticket }), body: (w) => ({ description: 'Bleed the brakes', hours: 1.5, rate: 120, mechanic_id: w.M.id }) },
  updateTicketLabor: {
    token: (w) => w.M.token,
    params: (w) => ({ ticket_id: w.ticket, line_id: w.laborLine ?? 0 }),
    setup: async (app, w) => {
      const ticket = await post(app, w.M.token, `/service-tickets/${w.ticket}/labor`, { description: 'Bleed the brakes', hours: 1 })
      w.laborLine = ((ticket.labor as Json[])[0] as { id: number }).id
    },
    body: () => ({ description: 'Bleed and flush the brakes', hours: 2 }),
  },
  recordInvoicePayment: {
    token: (w) => w.M.token,
    params: (w) => ({ invoice_id: w.invoice ?? 0 }),
    headers: () => ({ 'idempotency-key': randomUUID() }),
    setup: async (app, w) => {
      await post(app, w.A.token, `/service-tickets/${w.ticket}/approval`, { decision: 'approve' })
      await post(app, w.M.token, `/service-tickets/${w.ticket}/transitions`, { to: 'in_progress' })
      await post(app, w.M.token, `/service-tickets/${w.ticket}/transitions`, { to: 'completed' })
      w.invoice = (await post(app, w.M.token, `/service-tickets/${w.ticket}/invoice`)).id as number
    },
    body: () => ({ amount: 1, method: 'card', reference: 'Terminal 2' }),
  },
}

/** Fields a client must never set: ids, roles, secrets, counters and timestamps are the server's. */
const PRIVILEGED_FIELDS: Record<string, unknown> = {
  id: 999_999,
  role: 'mechanic',
  password_hash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA',
  customer_id: 1,
  ticket_count: 1000,
  created_at: '2000-01-01T00:00:00Z',
  is_admin: true,
}

const bodyProperties = (op: Operation): string[] => Object.keys((resolve(op.body).properties ?? {}) as Json)

function send (app: FastifyInstance, op: Operation, c: BodyCase, w: World, body: Json | string) {
  const token = c.token(w)
  return app.inject({
    method: op.method,
    url: fillPath(op, c.params?.(w) ?? {}),
    headers: { ...c.headers?.(), ...(token === undefined ? {} : bearer(token)), 'content-type': 'application/json' },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  })
}

// One app for the first two groups: a PGlite cold start costs 10-20 s.
const app = await buildTestApp(t)

t.test('input', async (t) => {

  t.test('every operation with a body has a valid request here', async (t) => {
    const withBody = operations.filter((op) => op.body !== undefined).map((op) => op.id)
    t.same(withBody.filter((id) => !(id in BODY_CASES)), [], 'a new operation with a body needs a case')
    t.same(Object.keys(BODY_CASES).filter((id) => !withBody.includes(id)), [])
  })

  t.test('the valid requests succeed (so each refusal below is about the added field)', async (t) => {
    for (const [id, c] of Object.entries(BODY_CASES)) {
      const w = await makeWorld(app)
      await c.setup?.(app, w)
      const res = await send(app, operation(id), c, w, c.body(w))
      t.ok(res.statusCode === 200 || res.statusCode === 201, `${id}: ${res.statusCode}`, { body: res.body })
    }
  })

  t.test('mass assignment: a privileged field is refused with a 400 naming it, and nothing changes', async (t) => {
    for (const [id, c] of Object.entries(BODY_CASES)) {
      const op = operation(id)
      const accepted = bodyProperties(op)
      for (const [field, value] of Object.entries(PRIVILEGED_FIELDS)) {
        if (accepted.includes(field)) continue // customer_id is the point of createServiceTicket
        const w = await makeWorld(app)
        await c.setup?.(app, w)
        const before = await snapshot(app.db)
        const res = await send(app, op, c, w, { ...c.body(w), [field]: value })
        const body = expectInvalid(t, res, id, [{ name: `/${field}`, in: 'body' }])
        t.ok(body.errors.some((e) => e.name === `/${field}` && /not an accepted field/.test(e.reason)), `${id} + ${field}: the reason says why`)
        t.same(changedTables(before, await snapshot(app.db)), [], `${id} + ${field}: no row changed`)
      }
    }
  })

  t.test('mass assignment: the record is unchanged after a refused update', async (t) => {
    const w = await makeWorld(app)
    const read = async () => (await app.inject({ method: 'GET', url: `/customers/${w.A.id}`, headers: bearer(w.A.token) })).json<Json>()
    const before = await read()
    const res = await app.inject({ method: 'PUT', url: `/customers/${w.A.id}`, headers: bearer(w.A.token), payload: { name: 'Mallory', email: unique('mallory'), phone: '+1 555 0666', id: w.M.id, role: 'mechanic' } })
    expectInvalid(t, res, 'updateCustomer', [{ name: '/id', in: 'body' }, { name: '/role', in: 'body' }])
    t.same(await read(), before)
    const asMechanic = await app.inject({ method: 'GET', url: '/mechanics', headers: bearer(w.A.token) })
    t.equal(asMechanic.statusCode, 403, 'and the customer is still a customer')
  })

  t.test('JSON that tries to reach the prototype is refused', async (t) => {
    for (const raw of [
      `{"name":"Proto","email":"${unique('proto')}","phone":"+1 555 0100","password":"a-new-password","__proto__":{"role":"mechanic"}}`,
      `{"name":"Proto","email":"${unique('proto')}","phone":"+1 555 0100","password":"a-new-password","constructor":{"prototype":{"role":"mechanic"}}}`,
    ]) {
      const before = await snapshot(app.db)
      const res = await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': 'application/json' }, payload: raw })
      t.equal(res.statusCode, 400, raw)
      expectContract(res, 'createCustomer')
      t.same(changedTables(before, await snapshot(app.db)), [])
    }
    t.equal(({} as Json).role, undefined, 'Object.prototype is untouched')
  })

  t.test('hostile strings are stored and returned intact, or refused with a 400 naming the field', async (t) => {
    const w = await makeWorld(app)
    const TEN_K = 'x'.repeat(10_000)
    const STRINGS: Array<[string, string]> = [
      ['SQL: close and drop', "'); drop table customers; --"],
      ['SQL: tautology', "1' OR '1'='1"],
      ['SQL: stacked query', 'Robert"); DROP TABLE service_tickets;--'],
      ['SQL: dollar quoting', '$$; delete from mechanics; $$'],
      ['SQL: comment and backslash', "\\'; --/* */"],
      ['format string', '%s%s%n%x ${jndi:ldap://x} {{7*7}}'],
      ['markup', '<script>alert(1)</script><img src=x onerror=alert(1)>'],
      ['10,000 characters', TEN_K],
      ['emoji, with ZWJ sequences', '👩‍🔧 Zoë 🚗💨 🏳️‍🌈'],
      ['right-to-left override', 'abc\u202Eevil\u202C'],
      ['Hebrew and Arabic', 'שלום مرحبا'],
      ['combining marks', 'Zalgo Z\u0335\u0321a\u0336l\u0337g\u0338o\u0335 e\u0301'],
      ['zero-width and BOM', '\u200B\u200D\uFEFFhidden'],
      ['line separator U+2028', 'one\u2028two'],
      ['a newline', 'line one\nline two'],
      ['a tab', 'col\tcol'],
      ['a NUL byte', 'nul\u0000byte'],
      ['100 astral characters', '𝔸'.repeat(100)],
    ]
    // [operation, the field, how to send it, how to read it back]
    const targets: Array<{ id: string, field: string, send: (value: string) => Promise<LightMyRequestResponse>, read: (res: LightMyRequestResponse) => Promise<LightMyRequestResponse> }> = [
      {
        id: 'createCustomer',
        field: 'name',
        send: (value) => app.inject({ method: 'POST', url: '/customers', payload: { name: value, email: unique('hostile'), phone: '+1 555 0100', password: 'hostile-password' } }),
        read: (res) => app.inject({ method: 'GET', url: `/customers/${res.json<{ id: number }>().id}`, headers: bearer(w.M.token) }),
      },
      {
        id: 'updateMechanic',
        field: 'name',
        send: (value) => app.inject({ method: 'PUT', url: `/mechanics/${w.other.id}`, headers: bearer(w.M.token), payload: { name: value, email: unique('mech'), phone: '+1 555 0200', salary: 1 } }),
        read: () => app.inject({ method: 'GET', url: `/mechanics/${w.other.id}`, headers: bearer(w.M.token) }),
      },
      {
        id: 'createPart',
        field: 'name',
        send: (value) => app.inject({ method: 'POST', url: '/inventory', headers: bearer(w.M.token), payload: { name: value, price: 1 } }),
        read: (res) => app.inject({ method: 'GET', url: `/inventory/${res.json<{ id: number }>().id}` }),
      },
      {
        id: 'createServiceTicket',
        field: 'service_desc',
        send: (value) => app.inject({ method: 'POST', url: '/service-tickets', headers: bearer(w.M.token), payload: { customer_id: w.A.id, vin: '1HGCM82633A004352', service_date: '2026-12-01', service_desc: value } }),
        read: (res) => app.inject({ method: 'GET', url: `/service-tickets/${res.json<{ id: number }>().id}`, headers: bearer(w.A.token) }),
      },
      {
        id: 'updateServiceTicket',
        field: 'service_desc',
        send: (value) => app.inject({ method: 'PUT', url: `/service-tickets/${w.ticket}`, headers: bearer(w.M.token), payload: { vin: '1HGCM82633A004352', service_date: '2026-12-01', service_desc: value } }),
        read: () => app.inject({ method: 'GET', url: `/service-tickets/${w.ticket}`, headers: bearer(w.M.token) }),
      },
    ]
    for (const target of targets) {
      for (const [what, value] of STRINGS) {
        const label = `${target.id}.${target.field} = ${what}`
        const before = await snapshot(app.db)
        const res = await target.send(value)
        t.ok(res.statusCode < 500, `${label}: no 5xx (${res.statusCode})`)
        t.doesNotThrow(() => expectContract(res, target.id), `${label}: matches the contract`)
        if (res.statusCode === 400) {
          expectInvalid(t, res, target.id, [{ name: `/${target.field}`, in: 'body' }])
          t.same(changedTables(before, await snapshot(app.db)), [], `${label}: refused, nothing changed`)
          continue
        }
        t.ok(res.statusCode === 200 || res.statusCode === 201, `${label}: accepted`)
        t.equal(res.json<Json>()[target.field], value, `${label}: answered intact`)
        const again = await target.read(res)
        t.equal(again.json<Json>()[target.field], value, `${label}: stored intact`)
      }
    }
    t.equal((await app.inject({ method: 'GET', url: '/customers', headers: bearer(w.M.token) })).statusCode, 200, 'customers is still there')
    const tables = await sql<{ n: number }>`select count(*)::int as n from information_schema.tables where table_name in ('customers', 'mechanics', 'inventory', 'service_tickets', 'service_mechanics', 'ticket_parts')`.execute(app.db)
    t.equal(tables.rows[0]?.n, 6, 'every table is still there')
  })

  t.test('a lone surrogate in JSON ("\\ud800") is refused, not stored as U+FFFD', async (t) => {
    const w = await makeWorld(app)
    for (const [id, url, raw, field] of [
      ['createPart', '/inventory', '{"name":"half \\ud800 pair","price":1}', '/name'],
      ['createPart', '/inventory', '{"name":"low \\udfff first","price":1}', '/name'],
      ['createServiceTicket', '/service-tickets', `{"customer_id":${w.A.id},"vin":"1HGCM82633A004352","service_date":"2026-12-01","service_desc":"\\ud83d"}`, '/service_desc'],
      ['createCustomer', '/customers', `{"name":"Ok","email":"${unique('surrogate')}","phone":"+1 555 0100","password":"pass\\udc00word"}`, '/password'],
    ] as const) {
      const before = await snapshot(app.db)
      const res = await app.inject({ method: 'POST', url, headers: { ...bearer(w.M.token), 'content-type': 'application/json' }, payload: raw })
      const body = expectInvalid(t, res, id, [{ name: field, in: 'body' }])
      t.match(body.errors.find((e) => e.name === field)?.reason, /well-formed/)
      t.same(changedTables(before, await snapshot(app.db)), [])
    }
    const pair = await app.inject({ method: 'POST', url: '/inventory', headers: { ...bearer(w.M.token), 'content-type': 'application/json' }, payload: '{"name":"escaped pair \\ud83d\\ude97","price":1}' })
    t.equal(pair.statusCode, 201, 'an escaped surrogate pair is fine')
    t.equal(pair.json<Json>().name, 'escaped pair 🚗')
  })

  t.test('a date PostgreSQL cannot store is a 400, not a 500', async (t) => {
    const w = await makeWorld(app)
    for (const date of ['0000-01-01', '0000-12-31']) {
      const before = await snapshot(app.db)
      const res = await app.inject({ method: 'POST', url: '/service-tickets', headers: bearer(w.M.token), payload: { customer_id: w.A.id, vin: '1HGCM82633A004352', service_date: date, service_desc: 'Year zero' } })
      expectInvalid(t, res, 'createServiceTicket', [{ name: '/service_date', in: 'body' }])
      t.same(changedTables(before, await snapshot(app.db)), [])
    }
    for (const date of ['0001-01-01', '9999-12-31', '2024-02-29']) {
      const res = await app.inject({ method: 'PUT', url: `/service-tickets/${w.ticket}`, headers: bearer(w.M.token), payload: { vin: '1HGCM82633A004352', service_date: date, service_desc: 'Edge of the calendar' } })
      t.equal(res.statusCode, 200, date)
      t.equal(res.json<Json>().service_date, date, `${date} comes back as sent`)
    }
  })

  t.test('hostile values in paths, queries and login emails', async (t) => {
    const w = await makeWorld(app)
    const cases: Array<[string, string, number]> = [
      ['getCustomer', `/customers/1'%20or%20'1'='1`, 400],
      ['getCustomer', '/customers/1;drop%20table%20customers', 400],
      ['getCustomer', '/customers/%00', 400],
      ['getCustomer', '/customers/-1', 400],
      ['listCustomers', "/customers?page=1'--", 400],
      ['listCustomers', '/customers?per_page=10%00', 400],
      ['listCustomers', '/customers?page=99999999999999999999', 400],
      // AJV coerced these to ±Infinity, which passed `maximum` and reached SQL: a 500 before.
      ['getCustomer', '/customers/1e400', 400],
      ['listCustomers', '/customers?per_page=1e400', 400],
      ['listCustomers', '/customers?page=-1e400', 400],
    ]
    for (const [id, url, status] of cases) {
      const res = await app.inject({ method: 'GET', url, headers: bearer(w.M.token) })
      t.equal(res.statusCode, status, url)
      expectContract(res, id)
    }
    // AJV's type coercion read these as numbers (1000, 16, 7…): one customer under many URLs.
    // Only the canonical decimal reaches a record; every other spelling is 400 naming the id.
    const id = w.A.id
    const canonical = await app.inject({ method: 'GET', url: `/customers/${id}`, headers: bearer(w.M.token) })
    t.equal(canonical.statusCode, 200, 'the canonical id')
    for (const url of ['/customers/1e3', '/customers/0x10', `/customers/${id}.0`, `/customers/+${id}`, `/customers/%20${id}`, `/customers/0${id}`]) {
      const res = await app.inject({ method: 'GET', url, headers: bearer(w.M.token) })
      t.equal(res.statusCode, 400, `${url} is refused`)
      t.match(res.json(), { errors: [{ name: '/customer_id', in: 'path' }] })
      expectContract(res, 'getCustomer')
    }
    // A valid email that carries SQL is just an unknown email.
    const login = await app.inject({ method: 'POST', url: '/customers/login', payload: { email: "admin'--@example.com", password: "' or '1'='1" } })
    t.equal(login.statusCode, 401)
    expectContract(login, 'loginCustomer')
    const signup = await app.inject({ method: 'POST', url: '/customers', payload: { name: "O'Brien", email: `o'brien'--${randomUUID().slice(0, 4)}@example.com`, phone: '+1 555 0100', password: "p'); drop table customers; --" } })
    t.equal(signup.statusCode, 201, 'quotes in an email are data')
    const email = signup.json<{ email: string }>().email
    const back = await app.inject({ method: 'POST', url: '/customers/login', payload: { email, password: "p'); drop table customers; --" } })
    t.equal(back.statusCode, 200, 'and the account logs in with its quote-laden password')
  })

  t.test('a header longer than the contract allows is refused (it was never checked)', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/inventory', headers: { 'if-none-match': `"${'x'.repeat(600)}"` } })
    expectInvalid(t, res, 'listParts', [{ name: '/if-none-match', in: 'header' }])
    const fine = await app.inject({ method: 'GET', url: '/inventory', headers: { 'if-none-match': '"some-old-tag"' } })
    t.equal(fine.statusCode, 200)
  })

  t.test('money: any amount with at most two decimals up to the maximum, exactly', async (t) => {
    const w = await makeWorld(app)
    for (const price of [0.07, 19.99, 0.1, 21875097.38, 99999999.99]) {
      const res = await app.inject({ method: 'POST', url: '/inventory', headers: bearer(w.M.token), payload: { name: 'Priced', price } })
      t.equal(res.statusCode, 201, `${price} is accepted (was "must be multiple of 0.01" above ~10^8)`, { body: res.body })
      t.equal(res.json<Json>().price, price, `${price} comes back exactly`)
    }
    for (const price of [12.345, 0.005, 1e-7, 12.340001, 100000000, 99999999.991]) {
      const res = await app.inject({ method: 'POST', url: '/inventory', headers: bearer(w.M.token), payload: { name: 'Priced', price } })
      expectInvalid(t, res, 'createPart', [{ name: '/price', in: 'body' }])
    }
  })

  t.test('deeply nested and oversized bodies are refused', async (t) => {
    const w = await makeWorld(app)
    const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`
    const nested = await app.inject({ method: 'POST', url: '/inventory', headers: { ...bearer(w.M.token), 'content-type': 'application/json' }, payload: deep })
    t.equal(nested.statusCode, 400)
    expectContract(nested, 'createPart')
    const many = await app.inject({ method: 'PUT', url: `/service-tickets/${w.ticket}/edit`, headers: bearer(w.M.token), payload: { add_ids: Array.from({ length: 51 }, (_, i) => i + 1) } })
    expectInvalid(t, many, 'editTicketMechanics', [{ name: '/add_ids', in: 'body' }])
    const big = await app.inject({ method: 'POST', url: '/inventory', headers: bearer(w.M.token), payload: { name: 'x'.repeat(65 * 1024), price: 1 } })
    t.equal(big.statusCode, 413)
    expectContract(big, 'createPart')
  })
})

t.test('security headers and CORS', async (t) => {
  const customer = await customerAccount(app)

  const API_HEADERS = (t: Test, res: LightMyRequestResponse, what: string) => {
    const csp = String(res.headers['content-security-policy'])
    t.match(csp, /default-src 'none'/, `${what}: CSP allows nothing by default`)
    t.match(csp, /frame-ancestors 'none'/, `${what}: CSP forbids framing`)
    t.notMatch(csp, /unsafe-inline|unsafe-eval/, `${what}: no inline script for JSON`)
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${what}: nosniff`)
    t.match(res.headers['x-frame-options'], /^(DENY|SAMEORIGIN)$/, `${what}: X-Frame-Options`)
    t.equal(res.headers['referrer-policy'], 'no-referrer', `${what}: no referrer`)
    t.match(res.headers['strict-transport-security'], /max-age=\d+/, `${what}: HSTS`)
    t.equal(res.headers['cross-origin-resource-policy'], 'same-site', `${what}: CORP`)
    t.equal(res.headers['cross-origin-opener-policy'], 'same-origin', `${what}: COOP`)
    t.equal(res.headers['x-powered-by'], undefined, `${what}: no X-Powered-By`)
  }

  t.test('on JSON answers, errors included', async (t) => {
    const answers: Array<[string, LightMyRequestResponse]> = [
      ['200 JSON', await app.inject({ method: 'GET', url: '/health' })],
      ['200 JSON behind a token', await app.inject({ method: 'GET', url: `/customers/${customer.id}`, headers: bearer(customer.token) })],
      ['the contract', await app.inject({ method: 'GET', url: '/openapi.json' })],
      ['201', await app.inject({ method: 'POST', url: '/customers', payload: { name: 'Headers', email: unique('headers'), phone: '+1 555 0100', password: 'headers-password' } })],
      ['400', await app.inject({ method: 'POST', url: '/customers', payload: {} })],
      ['401', await app.inject({ method: 'GET', url: '/customers' })],
      ['403', await app.inject({ method: 'GET', url: '/customers', headers: bearer(customer.token) })],
      ['404 route', await app.inject({ method: 'GET', url: '/nowhere' })],
      ['415', await app.inject({ method: 'POST', url: '/customers', headers: { 'content-type': 'text/plain' }, payload: 'hi' })],
    ]
    for (const [what, res] of answers) {
      API_HEADERS(t, res, what)
      if (res.statusCode >= 400) t.equal(res.headers['cache-control'], 'no-store', `${what}: not cached`)
    }
  })

  t.test('on /docs: a CSP that runs the inline bundle and loads nothing from elsewhere', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/docs' })
    t.equal(res.statusCode, 200)
    const directives = new Map(String(res.headers['content-security-policy']).split(';').map((d) => {
      const [name = '', ...values] = d.trim().split(/\s+/)
      return [name, values] as const
    }))
    t.same(directives.get('default-src'), ["'none'"])
    t.ok(directives.get('script-src')?.includes("'unsafe-inline'"), 'the inline bundle may run')
    t.ok(directives.get('style-src')?.includes("'unsafe-inline'"), 'its inline styles apply')
    t.same(directives.get('frame-ancestors'), ["'none'"])
    for (const [name, values] of directives) {
      t.notOk(values.some((v) => /^(https?:|\*|http:\/\/|https:\/\/)/.test(v) || v.includes('.')), `${name} names no other origin`)
    }
    t.equal(res.headers['x-content-type-options'], 'nosniff')
    t.match(res.headers['x-frame-options'], /^(DENY|SAMEORIGIN)$/)
    // An HTML document gets helmet's whole set, including what JSON answers leave out.
    t.equal(res.headers['x-dns-prefetch-control'], 'off')
    t.equal(res.headers['origin-agent-cluster'], '?1')
    t.equal(res.headers['access-control-allow-origin'], '*')
  })

  t.test('CORS preflight: any origin, no credentials, the methods and headers the API uses', async (t) => {
    for (const [url, method] of [['/customers/1', 'PUT'], ['/service-tickets', 'POST'], ['/inventory/1', 'DELETE'], ['/mechanics', 'GET']] as const) {
      const res = await app.inject({
        method: 'OPTIONS',
        url,
        headers: { origin: 'https://shop-frontend.example', 'access-control-request-method': method, 'access-control-request-headers': 'authorization, content-type, if-none-match' },
      })
      t.equal(res.statusCode, 204, `${method} ${url}`)
      t.equal(res.headers['access-control-allow-origin'], '*')
      t.equal(res.headers['access-control-allow-credentials'], undefined, 'never with credentials')
      const methods = String(res.headers['access-control-allow-methods']).split(/,\s*/)
      t.same(methods.sort(), ['DELETE', 'GET', 'POST', 'PUT'])
      const allowed = String(res.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/)
      t.same(allowed.sort(), ['authorization', 'content-type', 'if-none-match'])
      t.equal(res.headers['access-control-max-age'], '600')
      t.equal(res.body, '')
    }
  })

  t.test('a CORS preflight without Origin or a requested method is a 400 problem', async (t) => {
    for (const headers of [{}, { origin: 'https://shop-frontend.example' }, { 'access-control-request-method': 'PUT' }]) {
      const res = await app.inject({ method: 'OPTIONS', url: '/customers/1', headers })
      t.equal(res.statusCode, 400, JSON.stringify(headers))
      t.match(res.headers['content-type'], /^application\/problem\+json/)
      t.equal(res.headers['access-control-allow-methods'], undefined, 'no preflight grant')
    }
  })

  t.test('CORS on a real request: the origin is not echoed, and the useful headers are exposed', async (t) => {
    for (const origin of ['https://shop-frontend.example', 'null', 'http://evil.example']) {
      const res = await app.inject({ method: 'GET', url: '/inventory', headers: { origin } })
      t.equal(res.statusCode, 200)
      t.equal(res.headers['access-control-allow-origin'], '*', `${origin}: *, not a reflected origin`)
      t.equal(res.headers['access-control-allow-credentials'], undefined)
      const exposed = String(res.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/)
      for (const h of ['link', 'location', 'etag', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset']) {
        t.ok(exposed.includes(h), `${h} is exposed`)
      }
      t.notOk(exposed.includes('authorization') || exposed.includes('set-cookie'), 'nothing secret is exposed')
    }
    const error = await app.inject({ method: 'GET', url: '/customers', headers: { origin: 'https://shop-frontend.example' } })
    t.equal(error.statusCode, 401)
    t.equal(error.headers['access-control-allow-origin'], '*', 'errors are readable cross-origin too, so clients see the problem')
  })
})

t.test('logs hold no password, hash or token', async (t) => {
  const chunks: string[] = []
  const stream = new Writable({
    write (chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString())
      done()
    },
  })
  const config = loadConfig({ env: await testEnv(t, { LOG_LEVEL: 'trace' }), dotenvPath: false })
  // BuildOptions.logger replaces the production logger options, so mirror them: the same redaction.
  const app = await buildApp(config, { logger: { level: 'trace', stream, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } } })
  t.teardown(() => app.close())
  await app.ready()

  const password = 'Log-Secret-Password-1'
  const newPassword = 'Log-Secret-Password-2'
  const wrongPassword = 'Log-Wrong-Password-3'
  const email = unique('logs')
  const signup = await app.inject({ method: 'POST', url: '/customers', payload: { name: 'Log Person', email, phone: '+1 555 0100', password } })
  t.equal(signup.statusCode, 201)
  const { id } = signup.json<{ id: number }>()
  const login = await app.inject({ method: 'POST', url: '/customers/login', payload: { email, password } })
  t.equal(login.statusCode, 200)
  const token = login.json<{ token: string }>().token
  const failed = await app.inject({ method: 'POST', url: '/customers/login', payload: { email, password: wrongPassword } })
  t.equal(failed.statusCode, 401)
  const boss = await app.inject({ method: 'POST', url: '/mechanics/login', payload: { email: BOSS.email, password: BOSS.password } })
  t.equal(boss.statusCode, 200)
  const bossToken = boss.json<{ token: string }>().token
  t.equal((await app.inject({ method: 'GET', url: `/customers/${id}`, headers: bearer(token) })).statusCode, 200)
  t.equal((await app.inject({ method: 'PUT', url: `/customers/${id}`, headers: bearer(token), payload: { name: 'Log Person', email, phone: '+1 555 0100', password: newPassword } })).statusCode, 200)
  t.equal((await app.inject({ method: 'GET', url: '/customers', headers: bearer(`${token}x`) })).statusCode, 401, 'a tampered token')
  t.equal((await app.inject({ method: 'GET', url: '/mechanics', headers: bearer(bossToken) })).statusCode, 200)
  const refreshToken = boss.json<{ refresh_token: string }>().refresh_token
  const renewed = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: refreshToken } })
  t.equal(renewed.statusCode, 200)
  const renewedRefreshToken = renewed.json<{ refresh_token: string }>().refresh_token
  t.equal((await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: refreshToken } })).statusCode, 401, 'a replayed refresh token')
  t.equal((await app.inject({ method: 'POST', url: '/auth/logout', headers: bearer(token) })).statusCode, 204)

  // A 500 from the database while writing a customer: PostgreSQL's error detail quotes the whole
  // failing row, password hash included. A check constraint the API does not know about stands in
  // for any such failure (a new constraint, a trigger, a bad migration).
  await sql`alter table customers add constraint log_probe_check check (name <> 'Log Probe Reject')`.execute(app.db)
  const boom = await app.inject({ method: 'POST', url: '/customers', payload: { name: 'Log Probe Reject', email: unique('probe'), phone: '+1 555 0100', password: newPassword } })
  await sql`alter table customers drop constraint log_probe_check`.execute(app.db)
  t.equal(boom.statusCode, 500)
  t.same(boom.json(), { type: 'about:blank', title: 'Internal Server Error', status: 500, detail: 'An unexpected error occurred.', instance: '/customers' })

  const log = chunks.join('')
  const lines = log.trim().split('\n').map((line) => JSON.parse(line) as Json)
  t.ok(lines.some((l) => l.msg === 'incoming request'), 'requests are logged (the test sees the log)')
  const failure = lines.find((l) => l.msg === 'request failed')
  t.ok(failure, 'the 500 is logged')
  t.match(failure, { err: { code: '23514' } }, 'with what went wrong')
  for (const [what, secret] of [
    ['the password', password],
    ['the new password', newPassword],
    ['the wrong password', wrongPassword],
    ["the bootstrap mechanic's password", BOSS.password],
    ['a customer token', token],
    ["a customer token's signature", token.split('.')[2] ?? token],
    ['a mechanic token', bossToken],
    ['a refresh token', refreshToken],
    ['a refresh token from a refresh', renewedRefreshToken],
    ["a refresh token's digest", createHash('sha256').update(refreshToken).digest('base64url')],
    ['a password hash', '$argon2id$'],
  ] as const) {
    t.notOk(log.includes(secret), `no ${what} in the log`, { lines: log.split('\n').filter((l) => l.includes(secret)).map((l) => l.slice(-1500)) })
  }
})
