// Labor lines and a ticket's money: adding, changing and removing lines (201/200/204 with the new
// ETag), validation, unknown mechanics, the 100-line limit, If-Match, the history, the rounding
// and tax rules with the contract's own examples, the money in every ticket answer (lists too),
// the approval and completion checks with labor, idempotent adds, and concurrent adds on PostgreSQL.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import type { components } from '../generated/api.js'
import { auth, buildTestApp, createMechanic, fieldNames, injectChecked, mechanicToken, problemWithStatus, signUpCustomer, usingPostgres } from './helpers.js'

type ServiceTicket = components['schemas']['ServiceTicket']
type TicketPage = components['schemas']['ServiceTicketPage']
type EventPage = components['schemas']['TicketEventPage']

const VIN = '1HGCM82633A004352'
const MISSING = 2_000_000_000

const app: FastifyInstance = await buildTestApp(t)
const boss = auth(await mechanicToken(app))
const customer = await signUpCustomer(app)
const mechanic = await createMechanic(app, { name: 'Lou Ratchet' })

const call = (operationId: string, options: InjectOptions) => injectChecked(app, operationId, options)

const settings = (payload: { labor_rate: number, parts_tax_rate: number, labor_tax_rate: number }) =>
  call('updateShopSettings', { method: 'PUT', url: '/shop/settings', headers: boss, payload })
const DEFAULT_SETTINGS = { labor_rate: 100, parts_tax_rate: 0, labor_tax_rate: 0 }

async function openTicket (customerId = customer.id): Promise<ServiceTicket> {
  const res = await call('createServiceTicket', { method: 'POST', url: '/service-tickets', headers: boss, payload: { customer_id: customerId, vin: VIN, service_date: '2026-12-01', service_desc: 'Brakes' } })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json<ServiceTicket>()
}

async function newPart (price: number): Promise<number> {
  const res = await call('createPart', { method: 'POST', url: '/inventory', headers: boss, payload: { name: 'Brake pad set', price } })
  return res.json<{ id: number }>().id
}

const addLabor = (ticketId: number, payload: Record<string, unknown>, headers: Record<string, string> = boss) =>
  call('addTicketLabor', { method: 'POST', url: `/service-tickets/${ticketId}/labor`, headers, payload })
const updateLabor = (ticketId: number, lineId: number, payload: Record<string, unknown>, headers: Record<string, string> = boss) =>
  call('updateTicketLabor', { method: 'PUT', url: `/service-tickets/${ticketId}/labor/${lineId}`, headers, payload })
const removeLabor = (ticketId: number, lineId: number, headers: Record<string, string> = boss) =>
  call('removeTicketLabor', { method: 'DELETE', url: `/service-tickets/${ticketId}/labor/${lineId}`, headers })

async function read (id: number): Promise<ServiceTicket> {
  return (await call('getServiceTicket', { method: 'GET', url: `/service-tickets/${id}`, headers: boss })).json<ServiceTicket>()
}

/** The ticket's current ETag, as a GET answers it. */
const etagOf = async (id: number): Promise<string> =>
  String((await call('getServiceTicket', { method: 'GET', url: `/service-tickets/${id}`, headers: boss })).headers.etag)

/** A ticket's ETag at `version`: the digest part is whatever the answer carries. */
const etagAt = (id: number, version: number) => new RegExp(`^"ticket-${id}-v${version}-[0-9a-f]{16}"$`)

async function events (id: number): Promise<EventPage['data']> {
  return (await call('listTicketEvents', { method: 'GET', url: `/service-tickets/${id}/events?per_page=100`, headers: boss })).json<EventPage>().data
}

const lastLine = (ticket: ServiceTicket) => {
  const line = ticket.labor.at(-1)
  if (line === undefined) throw new Error('no labor line')
  return line
}

t.afterEach(async () => { await settings(DEFAULT_SETTINGS) })

t.test('POST labor: 201, Location of the line, the ticket with its money, the new ETag', async (t) => {
  const ticket = await openTicket()
  const res = await addLabor(ticket.id, { description: 'Replace the front brake pads', hours: 1.5, rate: 120, mechanic_id: mechanic.id })
  t.equal(res.statusCode, 201, res.body)
  const after = res.json<ServiceTicket>()
  const line = lastLine(after)
  t.equal(res.headers.location, `/service-tickets/${ticket.id}/labor/${line.id}`)
  t.match(res.headers.etag, etagAt(ticket.id, 2))
  t.equal(res.headers.etag, await etagOf(ticket.id), 'the next GET answers the same ETag')
  t.strictSame(after.labor, [{ id: line.id, description: 'Replace the front brake pads', hours: 1.5, rate: 120, line_total: 180, mechanic_id: mechanic.id }])
  t.match(after, { version: 2, parts_total: 0, labor_total: 180, total: 180, tax: 0, grand_total: 180 })
  t.strictSame(await read(ticket.id), after, 'the next GET answers the same ticket')
})

t.test('rate omitted: the shop\'s labor_rate when the line is added, kept when the rate changes later', async (t) => {
  const ticket = await openTicket()
  await settings({ labor_rate: 95.5, parts_tax_rate: 0, labor_tax_rate: 0 })
  const res = await addLabor(ticket.id, { description: 'Diagnose', hours: 2 })
  t.equal(res.statusCode, 201)
  t.match(lastLine(res.json<ServiceTicket>()), { rate: 95.5, line_total: 191, mechanic_id: null })
  await settings({ labor_rate: 150, parts_tax_rate: 0, labor_tax_rate: 0 })
  t.match((await read(ticket.id)).labor[0], { rate: 95.5, line_total: 191 }, 'the line keeps its rate')
})

t.test('line_total is hours × rate rounded half-up to the cent, in the database', async (t) => {
  const ticket = await openTicket()
  const cases: Array<[number, number, number]> = [
    [1.5, 120, 180],
    [0.3, 99.99, 30], // 29.997
    [0.01, 0.5, 0.01], // 0.005: the half goes up
    [0.01, 0.49, 0], // 0.0049
    [0.07, 0.07, 0], // 0.0049
    [0.15, 0.1, 0.02], // 0.015
    [2.25, 33.33, 74.99], // 74.9925
    [999.99, 99999.99, 99998990], // 99,998,990.0001
  ]
  for (const [hours, rate, expected] of cases) {
    const res = await addLabor(ticket.id, { description: `${hours} h at ${rate}`, hours, rate })
    t.equal(res.statusCode, 201)
    t.equal(lastLine(res.json<ServiceTicket>()).line_total, expected, `${hours} × ${rate} → ${expected}`)
  }
  const labor = (await read(ticket.id)).labor_total
  t.equal(labor, cases.reduce((sum, [, , x]) => sum + Math.round(x * 100), 0) / 100, 'labor_total is the sum of the line totals')
})

t.test('the contract\'s example: parts 73.50 at 8.25 % and labor 180.00 at 0 % → tax 6.06, grand total 259.56', async (t) => {
  await settings({ labor_rate: 120, parts_tax_rate: 0.0825, labor_tax_rate: 0 })
  const ticket = await openTicket()
  const partId = await newPart(24.5)
  t.equal((await call('addTicketPart', { method: 'POST', url: `/service-tickets/${ticket.id}/parts`, headers: boss, payload: { part_id: partId, quantity: 3 } })).statusCode, 200)
  const before = await read(ticket.id)
  t.match(before, { parts_total: 73.5, labor_total: 0, total: 73.5, tax: 6.06, grand_total: 79.56 }, 'without labor, total is the parts as before')
  const res = await addLabor(ticket.id, { description: 'Replace the front brake pads', hours: 1.5 })
  const after = res.json<ServiceTicket>()
  t.match(after, { parts_total: 73.5, labor_total: 180, total: 253.5, tax: 6.06, grand_total: 259.56 })
  t.match(res.body, /"tax":6\.06[,}]/)
  t.match(res.body, /"grand_total":259\.56[,}]/)

  t.test('tax follows the shop\'s current rates, each product rounded half-up', async (t) => {
    await settings({ labor_rate: 120, parts_tax_rate: 0.0825, labor_tax_rate: 0.0725 })
    // 73.50 × 0.0825 = 6.06375 → 6.06; 180.00 × 0.0725 = 13.05 → 13.05
    t.match(await read(ticket.id), { tax: 19.11, grand_total: 272.61 })
    await settings({ labor_rate: 120, parts_tax_rate: 0.0001, labor_tax_rate: 0.0001 })
    // 73.50 × 0.0001 = 0.00735 → 0.01; 180.00 × 0.0001 = 0.018 → 0.02
    t.match(await read(ticket.id), { tax: 0.03, grand_total: 253.53 })
    await settings({ labor_rate: 120, parts_tax_rate: 0.01, labor_tax_rate: 0 })
    // 73.50 × 0.01 = 0.735 → 0.74 (half-up, not to even)
    t.match(await read(ticket.id), { tax: 0.74, grand_total: 254.24 })
  })

  t.test('every ticket answer carries the money: lists, my-tickets, a vehicle\'s history', async (t) => {
    await settings({ labor_rate: 120, parts_tax_rate: 0.0825, labor_tax_rate: 0 })
    const money = { parts_total: 73.5, labor_total: 180, total: 253.5, tax: 6.06, grand_total: 259.56 }
    const find = async (operationId: string, url: string, headers = boss) => {
      const res = await call(operationId, { method: 'GET', url, headers })
      t.equal(res.statusCode, 200, url)
      return res.json<TicketPage>().data.find((x) => x.id === ticket.id)
    }
    t.match(await find('listServiceTickets', '/service-tickets?per_page=100'), { ...money, labor: after.labor })
    t.match(await find('listServiceTickets', `/service-tickets?customer_id=${customer.id}&per_page=100`), money)
    t.match(await find('listServiceTickets', '/service-tickets?status=estimate&per_page=100'), money)
    t.match(await find('listMyCustomerTickets', '/customers/my-tickets?per_page=100', auth(customer.token)), money)
    t.match(await find('listVehicleTickets', `/vehicles/${ticket.vehicle_id}/service-tickets?per_page=100`), money)
  })
})

t.test('PUT labor: 200 ticket, rate and mechanic kept unless sent, mechanic_id null clears', async (t) => {
  const ticket = await openTicket()
  const line = lastLine((await addLabor(ticket.id, { description: 'Bleed brakes', hours: 1, rate: 80, mechanic_id: mechanic.id })).json<ServiceTicket>())
  const res = await updateLabor(ticket.id, line.id, { description: 'Bleed brakes and flush', hours: 1.25 })
  t.equal(res.statusCode, 200, res.body)
  t.match(res.headers.etag, etagAt(ticket.id, 3))
  t.strictSame(res.json<ServiceTicket>().labor, [{ id: line.id, description: 'Bleed brakes and flush', hours: 1.25, rate: 80, line_total: 100, mechanic_id: mechanic.id }])
  const cleared = await updateLabor(ticket.id, line.id, { description: 'Bleed brakes and flush', hours: 1.25, rate: 90, mechanic_id: null })
  t.match(cleared.json<ServiceTicket>(), { labor: [{ rate: 90, line_total: 112.5, mechanic_id: null }], labor_total: 112.5, total: 112.5, version: 4 })
  const history = await events(ticket.id)
  t.match(history.at(-2), { type: 'labor_updated', data: { line_id: line.id, from: { description: 'Bleed brakes', hours: 1, line_total: 80 }, to: { description: 'Bleed brakes and flush', hours: 1.25, line_total: 100 } } })
  t.strictSame(history.at(-1)?.data, { line_id: line.id, from: { rate: 80, line_total: 100, mechanic_id: mechanic.id }, to: { rate: 90, line_total: 112.5, mechanic_id: null } })

  const other = await openTicket()
  t.equal((await updateLabor(other.id, line.id, { description: 'x', hours: 1 })).statusCode, 404, 'a line of another ticket is not on this one')
  t.equal((await updateLabor(ticket.id, MISSING, { description: 'x', hours: 1 })).statusCode, 404)
  t.equal((await updateLabor(MISSING, line.id, { description: 'x', hours: 1 })).statusCode, 404)
  t.equal((await read(other.id)).version, 1, 'nothing written on a 404')
  t.equal((await read(ticket.id)).version, 4)
})

t.test('DELETE labor: 204 with the new ETag, the line gone, the money back', async (t) => {
  const ticket = await openTicket()
  const line = lastLine((await addLabor(ticket.id, { description: 'Align wheels', hours: 0.75, rate: 100 })).json<ServiceTicket>())
  const res = await removeLabor(ticket.id, line.id)
  t.equal(res.statusCode, 204)
  t.equal(res.body, '')
  t.match(res.headers.etag, etagAt(ticket.id, 3))
  t.equal(res.headers.etag, await etagOf(ticket.id), 'the next GET answers the same ETag')
  t.match(await read(ticket.id), { labor: [], labor_total: 0, total: 0, version: 3 })
  t.match((await events(ticket.id)).at(-1), { type: 'labor_removed', data: { line_id: line.id, description: 'Align wheels', hours: 0.75, rate: 100, line_total: 75, mechanic_id: null } })
  t.equal((await removeLabor(ticket.id, line.id)).statusCode, 404, 'once')
  t.equal((await removeLabor(MISSING, line.id)).statusCode, 404)
  t.equal((await read(ticket.id)).version, 3)
})

t.test('validation: 400 naming the field, nothing written', async (t) => {
  const ticket = await openTicket()
  const bad: Array<[Record<string, unknown>, string]> = [
    [{ description: 'x', hours: 0 }, '/hours'],
    [{ description: 'x', hours: 1000 }, '/hours'],
    [{ description: 'x', hours: 999.991 }, '/hours'],
    [{ description: 'x', hours: 1.005 }, '/hours'],
    [{ description: 'x', hours: -1 }, '/hours'],
    [{ description: 'x', hours: '1.5' }, '/hours'],
    [{ description: 'x' }, '/hours'],
    [{ hours: 1 }, '/description'],
    [{ description: '', hours: 1 }, '/description'],
    [{ description: 'a\u0000b', hours: 1 }, '/description'],
    [{ description: 'x'.repeat(501), hours: 1 }, '/description'],
    [{ description: 'x', hours: 1, rate: 100000 }, '/rate'],
    [{ description: 'x', hours: 1, rate: 1.234 }, '/rate'],
    [{ description: 'x', hours: 1, rate: -1 }, '/rate'],
    [{ description: 'x', hours: 1, mechanic_id: 0 }, '/mechanic_id'],
    [{ description: 'x', hours: 1, line_total: 5 }, '/line_total'],
  ]
  for (const [payload, field] of bad) {
    const res = await addLabor(ticket.id, payload)
    t.ok(fieldNames(problemWithStatus(t, res, 400)).includes(field), `${JSON.stringify(payload).slice(0, 60)} names ${field}`)
  }
  const line = lastLine((await addLabor(ticket.id, { description: 'ok', hours: 999.99, rate: 0 })).json<ServiceTicket>())
  t.equal(line.hours, 999.99, 'the largest hours are accepted')
  t.equal((await addLabor(ticket.id, { description: 'ok', hours: 0.01, rate: 99999.99 })).statusCode, 201, 'the smallest hours and the largest rate')
  for (const [payload, field] of bad.slice(0, 5)) {
    t.ok(fieldNames(problemWithStatus(t, await updateLabor(ticket.id, line.id, payload), 400)).includes(field), `PUT: names ${field}`)
  }
  t.equal((await read(ticket.id)).version, 3, 'two adds, nothing else')
})

t.test('an unknown mechanic_id: 422 naming it, nothing written', async (t) => {
  const ticket = await openTicket()
  const res = await addLabor(ticket.id, { description: 'x', hours: 1, mechanic_id: MISSING })
  t.strictSame(fieldNames(problemWithStatus(t, res, 422)), ['/mechanic_id'])
  const line = lastLine((await addLabor(ticket.id, { description: 'x', hours: 1 })).json<ServiceTicket>())
  t.strictSame(fieldNames(problemWithStatus(t, await updateLabor(ticket.id, line.id, { description: 'x', hours: 1, mechanic_id: MISSING }), 422)), ['/mechanic_id'])
  t.equal((await read(ticket.id)).version, 2)
  t.equal((await events(ticket.id)).length, 2, 'no event for a refused write')
})

t.test('a deleted mechanic\'s lines stay, credited to nobody', async (t) => {
  const ticket = await openTicket()
  const gone = await createMechanic(app, { name: 'Temp Hand' })
  await addLabor(ticket.id, { description: 'x', hours: 1, rate: 10, mechanic_id: gone.id })
  t.equal((await call('deleteMechanic', { method: 'DELETE', url: `/mechanics/${gone.id}`, headers: boss })).statusCode, 204)
  t.match((await read(ticket.id)).labor, [{ mechanic_id: null, line_total: 10 }])
})

t.test('a ticket holds at most 100 labor lines: the 101st gets 409', async (t) => {
  const ticket = await openTicket()
  for (let i = 0; i < 100; i++) {
    const res = await addLabor(ticket.id, { description: `Line ${i}`, hours: 0.5, rate: 10 })
    if (res.statusCode !== 201) t.fail(`line ${i}: ${res.statusCode} ${res.body}`)
  }
  const extra = await addLabor(ticket.id, { description: 'One too many', hours: 1 })
  t.equal(problemWithStatus(t, extra, 409).type, '/problems/conflict')
  const full = await read(ticket.id)
  t.equal(full.labor.length, 100)
  t.equal(full.labor_total, 500)
  t.equal(full.version, 101)
})

t.test('If-Match on every labor write: stale → 412 and nothing changes, current → goes through', async (t) => {
  const ticket = await openTicket()
  const stale = { ...boss, 'if-match': await etagOf(ticket.id) }
  const line = lastLine((await addLabor(ticket.id, { description: 'x', hours: 1 })).json<ServiceTicket>())
  t.equal((await addLabor(ticket.id, { description: 'y', hours: 1 }, stale)).statusCode, 412)
  t.equal((await updateLabor(ticket.id, line.id, { description: 'y', hours: 2 }, stale)).statusCode, 412)
  t.equal((await removeLabor(ticket.id, line.id, stale)).statusCode, 412)
  const unchanged = await read(ticket.id)
  t.match(unchanged, { version: 2, labor: [{ description: 'x', hours: 1 }] })
  const current = (etag: unknown) => ({ ...boss, 'if-match': String(etag) })
  const added = await addLabor(ticket.id, { description: 'y', hours: 1 }, current(await etagOf(ticket.id)))
  t.equal(added.statusCode, 201)
  const updated = await updateLabor(ticket.id, line.id, { description: 'y', hours: 2 }, current(added.headers.etag))
  t.equal(updated.statusCode, 200)
  t.equal((await removeLabor(ticket.id, line.id, current(updated.headers.etag))).statusCode, 204)
  t.same((await events(ticket.id)).map((e) => e.type), ['created', 'labor_added', 'labor_added', 'labor_updated', 'labor_removed'])
})

t.test('approval authorizes parts and labor; completion needs labor added later approved', async (t) => {
  const ticket = await openTicket()
  await addLabor(ticket.id, { description: 'x', hours: 1, rate: 100 })
  const approved = await call('recordTicketApproval', { method: 'POST', url: `/service-tickets/${ticket.id}/approval`, headers: auth(customer.token), payload: { decision: 'approve' } })
  t.match(approved.json<ServiceTicket>(), { status: 'approved', authorized_total: 100, total: 100 })
  t.match((await events(ticket.id)).at(-1), { type: 'approved', data: { authorized_total: 100 } })
  const transition = (to: string) => call('transitionServiceTicket', { method: 'POST', url: `/service-tickets/${ticket.id}/transitions`, headers: boss, payload: { to } })
  t.equal((await transition('in_progress')).statusCode, 200)
  await addLabor(ticket.id, { description: 'extra', hours: 0.5, rate: 100 })
  const refused = await transition('completed')
  t.equal(problemWithStatus(t, refused, 409).type, '/problems/reauthorization-required')
  t.match(refused.json(), { detail: /totals 150\.00 but 100\.00 is authorized/ })
  await settings({ labor_rate: 100, parts_tax_rate: 0.5, labor_tax_rate: 0.5 })
  t.equal((await call('recordTicketApproval', { method: 'POST', url: `/service-tickets/${ticket.id}/approval`, headers: boss, payload: { decision: 'approve' } })).json<ServiceTicket>().authorized_total, 150, 'the total before tax is what is authorized')
  t.equal((await transition('completed')).statusCode, 200)
})

t.test('POST labor with an Idempotency-Key: a retry adds the line once', async (t) => {
  const ticket = await openTicket()
  const headers = { ...boss, 'idempotency-key': `labor-${ticket.id}` }
  const one = await addLabor(ticket.id, { description: 'Once', hours: 1, rate: 50 }, headers)
  const two = await addLabor(ticket.id, { description: 'Once', hours: 1, rate: 50 }, headers)
  t.equal(two.statusCode, 201)
  t.equal(two.headers['idempotent-replayed'], 'true')
  t.equal(two.headers.location, one.headers.location)
  t.equal(two.headers.etag, one.headers.etag)
  t.strictSame(two.json(), one.json())
  t.match(await read(ticket.id), { version: 2, labor_total: 50 })
  t.equal(problemWithStatus(t, await addLabor(ticket.id, { description: 'Other', hours: 1, rate: 50 }, headers), 422).type, '/problems/idempotency-key-reused')
  const refused = await addLabor(ticket.id, { description: 'x', hours: 1, mechanic_id: MISSING }, { ...boss, 'idempotency-key': `bad-${ticket.id}` })
  t.equal(refused.statusCode, 422)
  t.equal((await read(ticket.id)).version, 2, 'a refused add stores nothing')
  const retried = await addLabor(ticket.id, { description: 'x', hours: 1, mechanic_id: mechanic.id }, { ...boss, 'idempotency-key': `bad-${ticket.id}` })
  t.equal(retried.statusCode, 201, 'so its key runs again, with a corrected body')
  t.equal(retried.headers['idempotent-replayed'], undefined)
  t.equal((await read(ticket.id)).version, 3)
})

t.test('POST /service-tickets and POST /vehicles with an Idempotency-Key: once each', async (t) => {
  const other = await signUpCustomer(app)
  const key = { ...boss, 'idempotency-key': `ticket-${other.id}` }
  const payload = { customer_id: other.id, vin: VIN, service_date: '2026-12-01', service_desc: 'Once' }
  const one = await call('createServiceTicket', { method: 'POST', url: '/service-tickets', headers: key, payload })
  const two = await call('createServiceTicket', { method: 'POST', url: '/service-tickets', headers: key, payload })
  t.equal(two.statusCode, 201)
  t.equal(two.headers['idempotent-replayed'], 'true')
  t.equal(two.headers.location, one.headers.location)
  t.strictSame(two.json(), one.json())
  const mine = await call('listServiceTickets', { method: 'GET', url: `/service-tickets?customer_id=${other.id}`, headers: boss })
  t.equal(mine.json<TicketPage>().meta.total, 1, 'one ticket')

  const vkey = { ...boss, 'idempotency-key': `vehicle-${other.id}` }
  const vehicle = { customer_id: other.id, vin: '2T1BURHE0JC034461', make: 'Toyota' }
  const v1 = await call('createVehicle', { method: 'POST', url: '/vehicles', headers: vkey, payload: vehicle })
  const v2 = await call('createVehicle', { method: 'POST', url: '/vehicles', headers: vkey, payload: vehicle })
  t.equal(v1.statusCode, 201)
  t.equal(v2.statusCode, 201, 'a replay, not the 409 of a second registration')
  t.equal(v2.headers['idempotent-replayed'], 'true')
  t.strictSame(v2.json(), v1.json())
  t.equal(problemWithStatus(t, await call('createVehicle', { method: 'POST', url: '/vehicles', headers: boss, payload: vehicle }), 409).type, '/problems/conflict', 'without the key, the VIN is taken')
})

t.test('who may write labor: mechanics only; a customer never, not even their own ticket', async (t) => {
  const ticket = await openTicket()
  const line = lastLine((await addLabor(ticket.id, { description: 'x', hours: 1 })).json<ServiceTicket>())
  const as = auth(customer.token)
  t.equal((await addLabor(ticket.id, { description: 'y', hours: 1 }, as)).statusCode, 403)
  t.equal((await updateLabor(ticket.id, line.id, { description: 'y', hours: 1 }, as)).statusCode, 403)
  t.equal((await removeLabor(ticket.id, line.id, as)).statusCode, 403)
  t.equal((await addLabor(ticket.id, { description: 'y', hours: 1 }, {})).statusCode, 401)
  t.equal((await read(ticket.id)).version, 2)
})

t.test('concurrent labor adds on one ticket (PostgreSQL)', { skip: usingPostgres() ? false : 'PGlite runs one statement at a time: races need PostgreSQL' }, async (t) => {
  const ticket = await openTicket()
  const answers: LightMyRequestResponse[] = await Promise.all(Array.from({ length: 20 }, (_, i) =>
    addLabor(ticket.id, { description: `Hand ${i}`, hours: 0.25, rate: 40, mechanic_id: mechanic.id })))
  const ok = answers.filter((r) => r.statusCode === 201).length
  t.ok(answers.every((r) => r.statusCode === 201), 'every add lands (each waits for the ticket\'s lock)', { statuses: answers.map((r) => r.statusCode) })
  const after = await read(ticket.id)
  t.equal(after.version, 1 + ok, 'version grew by exactly the number of successes')
  t.equal(after.labor.length, ok)
  t.equal(after.labor_total, ok * 10)
  const history = await events(ticket.id)
  t.equal(history.filter((e) => e.type === 'labor_added').length, ok, 'one event per success')
  t.same([...new Set(answers.map((r) => r.headers.etag))].length, ok, 'each add answered its own version')

  t.test('adds racing a cancel: none lands after it, and the lines are the successful adds', async (t) => {
    const fresh = await openTicket()
    const adds = Array.from({ length: 20 }, (_, i) => addLabor(fresh.id, { description: `Racing ${i}`, hours: 1, rate: 10 }))
    const cancel = call('transitionServiceTicket', { method: 'POST', url: `/service-tickets/${fresh.id}/transitions`, headers: boss, payload: { to: 'cancelled' } })
    const racing = await Promise.all(adds)
    t.equal((await cancel).statusCode, 200)
    t.ok(racing.every((r) => r.statusCode === 201 || r.statusCode === 409), 'each add either landed or met the lock', { statuses: racing.map((r) => r.statusCode) })
    const landed = racing.filter((r) => r.statusCode === 201).length
    const after = await read(fresh.id)
    t.equal(after.labor.length, landed)
    t.equal(after.version, 2 + landed, 'the adds and the cancel, nothing else')
    const history = await events(fresh.id)
    const cancelledAt = history.findIndex((e) => e.type === 'status_changed')
    t.equal(history.slice(cancelledAt + 1).length, 0, 'no add after the cancel')
    t.equal(history.filter((e) => e.type === 'labor_added').length, landed)
  })

  t.test('adds with the same If-Match: one wins, the rest get 412', async (t) => {
    const fresh = await openTicket()
    const headers = { ...boss, 'if-match': await etagOf(fresh.id) }
    const racing = await Promise.all(Array.from({ length: 10 }, (_, i) => addLabor(fresh.id, { description: `Racer ${i}`, hours: 1 }, headers)))
    t.same(racing.map((r) => r.statusCode).sort(), [201, ...Array<number>(9).fill(412)])
    t.match(await read(fresh.id), { version: 2, labor: [{}] })
    t.equal((await events(fresh.id)).length, 2)
  })
})
