// Service tickets end to end: every route and status the contract lists for them, who may call
// what, atomic failures, exact money, concurrent part adds, and the ticket-driven parts of the
// customer, mechanic and inventory routes (my-tickets, ranking, deletes blocked by tickets).
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import type { components } from '../generated/api.js'
import { auth, buildTestApp, createMechanic, mechanicToken, signUpCustomer, type TestCustomer, type TestMechanic, fieldNames, injectChecked, problemWithStatus as expectProblem } from './helpers.js'

type ServiceTicket = components['schemas']['ServiceTicket']
type TicketPage = components['schemas']['ServiceTicketPage']
type RankingPage = components['schemas']['MechanicRankingPage']

const VIN = '1HGCM82633A004352'
const OTHER_VIN = '2T1BURHE0JC034461'
const MISSING = 2_000_000_000

const app: FastifyInstance = await buildTestApp(t)
const boss = auth(await mechanicToken(app))

/** Every response of this file goes through here, so every one is checked against the contract. */
const call = (operationId: string, options: InjectOptions) => injectChecked(app, operationId, options)

async function newPart (price: number, name = 'Part'): Promise<number> {
  const res = await call('createPart', { method: 'POST', url: '/inventory', headers: boss, payload: { name, price } })
  if (res.statusCode !== 201) throw new Error(`createPart: ${res.statusCode} ${res.body}`)
  return res.json<{ id: number }>().id
}

async function openTicket (customerId: number, mechanicIds?: number[]): Promise<ServiceTicket> {
  const payload = {
    customer_id: customerId,
    vin: VIN,
    service_date: '2026-12-01',
    service_desc: 'Replace the front brake pads',
    ...(mechanicIds === undefined ? {} : { mechanic_ids: mechanicIds }),
  }
  const res = await call('createServiceTicket', { method: 'POST', url: '/service-tickets', headers: boss, payload })
  if (res.statusCode !== 201) throw new Error(`createServiceTicket: ${res.statusCode} ${res.body}`)
  return res.json<ServiceTicket>()
}

async function getTicket (id: number, headers: Record<string, string> = boss): Promise<LightMyRequestResponse> {
  return await call('getServiceTicket', { method: 'GET', url: `/service-tickets/${id}`, headers })
}

async function addPart (ticketId: number, payload: Record<string, unknown>, headers: Record<string, string> = boss): Promise<LightMyRequestResponse> {
  return await call('addTicketPart', { method: 'POST', url: `/service-tickets/${ticketId}/parts`, headers, payload })
}

async function editMechanics (ticketId: number, payload: Record<string, unknown>, headers: Record<string, string> = boss): Promise<LightMyRequestResponse> {
  return await call('editTicketMechanics', { method: 'PUT', url: `/service-tickets/${ticketId}/edit`, headers, payload })
}

async function ticketTotal (): Promise<number> {
  const res = await call('listServiceTickets', { method: 'GET', url: '/service-tickets?per_page=1', headers: boss })
  return res.json<TicketPage>().meta.total
}

async function myMechanicTicketIds (mechanic: TestMechanic): Promise<number[]> {
  const res = await call('listMyMechanicTickets', { method: 'GET', url: '/mechanics/my-tickets?per_page=100', headers: auth(mechanic.token) })
  return res.json<TicketPage>().data.map((ticket) => ticket.id)
}

t.test('POST /service-tickets', async (t) => {
  const customer = await signUpCustomer(app)
  const [m1, m2] = [await createMechanic(app, { name: 'Ann Wrench' }), await createMechanic(app, { name: 'Bob Spanner' })]

  t.test('201 with Location and the ticket view; mechanics come back by id', async (t) => {
    const res = await call('createServiceTicket', {
      method: 'POST',
      url: '/service-tickets',
      headers: boss,
      payload: { customer_id: customer.id, vin: VIN, service_date: '2026-12-01', service_desc: 'Brakes', mechanic_ids: [m2.id, m1.id] },
    })
    t.equal(res.statusCode, 201)
    const ticket = res.json<ServiceTicket>()
    t.equal(res.headers.location, `/service-tickets/${ticket.id}`)
    t.match(res.headers.etag, new RegExp(`^"ticket-${ticket.id}-v1-[0-9a-f]{16}"$`))
    t.match(ticket.created_at, /^\d{4}-\d\d-\d\dT/)
    t.strictSame(ticket, {
      id: ticket.id,
      customer_id: customer.id,
      vehicle_id: ticket.vehicle_id,
      vin: VIN,
      service_date: '2026-12-01',
      service_desc: 'Brakes',
      status: 'estimate',
      version: 1,
      odometer_in: null,
      odometer_out: null,
      authorized_total: null,
      authorized_at: null,
      authorized_by: null,
      mechanics: [{ id: m1.id, name: 'Ann Wrench' }, { id: m2.id, name: 'Bob Spanner' }],
      parts: [],
      labor: [],
      parts_total: 0,
      labor_total: 0,
      total: 0,
      tax: 0,
      grand_total: 0,
      created_at: ticket.created_at,
      updated_at: ticket.created_at,
    })
    t.strictSame((await getTicket(ticket.id)).json(), ticket, 'GET answers the same view')
  })

  t.test('mechanic_ids is optional', async (t) => {
    const ticket = await openTicket(customer.id)
    t.strictSame(ticket.mechanics, [])
  })

  t.test('400 names every bad field', async (t) => {
    const res = await call('createServiceTicket', {
      method: 'POST',
      url: '/service-tickets',
      headers: boss,
      payload: { customer_id: 0, vin: 'IOQ', service_date: '2026-13-45', mechanic_ids: [1, 1], extra: true },
    })
    const problem = expectProblem(t, res, 400)
    t.strictSame(fieldNames(problem), ['/customer_id', '/extra', '/mechanic_ids', '/service_date', '/service_desc', '/vin'])
  })

  t.test('401 without a token, 403 with a customer token', async (t) => {
    const payload = { customer_id: customer.id, vin: VIN, service_date: '2026-12-01', service_desc: 'Brakes' }
    expectProblem(t, await call('createServiceTicket', { method: 'POST', url: '/service-tickets', payload }), 401)
    expectProblem(t, await call('createServiceTicket', { method: 'POST', url: '/service-tickets', headers: auth(customer.token), payload }), 403)
  })

  t.test('422 for an unknown customer, and no ticket is left', async (t) => {
    const before = await ticketTotal()
    const res = await call('createServiceTicket', {
      method: 'POST',
      url: '/service-tickets',
      headers: boss,
      payload: { customer_id: MISSING, vin: VIN, service_date: '2026-12-01', service_desc: 'Brakes', mechanic_ids: [m1.id] },
    })
    const problem = expectProblem(t, res, 422)
    t.strictSame(problem.errors, [{ name: '/customer_id', in: 'body', reason: `no customer with id ${MISSING}` }])
    t.equal(await ticketTotal(), before)
  })

  t.test('422 names every unknown mechanic, and nothing is written', async (t) => {
    const before = await ticketTotal()
    const assignedBefore = await myMechanicTicketIds(m1)
    const res = await call('createServiceTicket', {
      method: 'POST',
      url: '/service-tickets',
      headers: boss,
      payload: { customer_id: customer.id, vin: VIN, service_date: '2026-12-01', service_desc: 'Brakes', mechanic_ids: [MISSING + 1, m1.id, MISSING] },
    })
    const problem = expectProblem(t, res, 422)
    t.equal(problem.type, '/problems/unknown-reference')
    t.strictSame(problem.errors, [{ name: '/mechanic_ids', in: 'body', reason: `no mechanic with id ${MISSING}, ${MISSING + 1}` }])
    t.equal(await ticketTotal(), before, 'no ticket')
    t.strictSame(await myMechanicTicketIds(m1), assignedBefore, 'no assignment of the known mechanic')
  })

  t.test('422 names both fields when customer and mechanic are unknown', async (t) => {
    const res = await call('createServiceTicket', {
      method: 'POST',
      url: '/service-tickets',
      headers: boss,
      payload: { customer_id: MISSING, vin: VIN, service_date: '2026-12-01', service_desc: 'Brakes', mechanic_ids: [MISSING] },
    })
    t.strictSame(fieldNames(expectProblem(t, res, 422)), ['/customer_id', '/mechanic_ids'])
  })
})

t.test('GET /service-tickets', async (t) => {
  const customer = await signUpCustomer(app)
  const [a, b, c] = [await openTicket(customer.id), await openTicket(customer.id), await openTicket(customer.id)]

  t.test('newest first, paginated with meta and Link', async (t) => {
    const first = await call('listServiceTickets', { method: 'GET', url: '/service-tickets?per_page=2', headers: boss })
    t.equal(first.statusCode, 200)
    const page = first.json<TicketPage>()
    t.equal(page.data.length, 2)
    t.strictSame(page.data.map((ticket) => ticket.id), [c.id, b.id], 'the latest tickets, newest first')
    t.equal(page.meta.page, 1)
    t.equal(page.meta.per_page, 2)
    t.ok(page.meta.total >= 3)
    t.equal(page.meta.total_pages, Math.ceil(page.meta.total / 2))
    t.match(first.headers.link, /rel="first".*rel="next".*rel="last"/)

    const second = await call('listServiceTickets', { method: 'GET', url: '/service-tickets?per_page=1&page=3', headers: boss })
    t.equal(second.json<TicketPage>().data[0]?.id, a.id)
    t.match(second.headers.link, /rel="prev"/)
  })

  t.test('a page past the end is empty but still counts the whole list', async (t) => {
    const all = (await call('listServiceTickets', { method: 'GET', url: '/service-tickets', headers: boss })).json<TicketPage>()
    const res = await call('listServiceTickets', { method: 'GET', url: '/service-tickets?page=1000&per_page=100', headers: boss })
    t.equal(res.statusCode, 200)
    t.strictSame(res.json<TicketPage>().data, [])
    t.equal(res.json<TicketPage>().meta.total, all.meta.total)
  })

  t.test('400 for a bad page size', async (t) => {
    const problem = expectProblem(t, await call('listServiceTickets', { method: 'GET', url: '/service-tickets?per_page=101', headers: boss }), 400)
    t.strictSame(problem.errors.map((e) => [e.name, e.in]), [['/per_page', 'query']])
  })

  t.test('401 without a token, 403 with a customer token', async (t) => {
    expectProblem(t, await call('listServiceTickets', { method: 'GET', url: '/service-tickets' }), 401)
    expectProblem(t, await call('listServiceTickets', { method: 'GET', url: '/service-tickets', headers: auth(customer.token) }), 403)
  })
})

t.test('GET /service-tickets/{ticket_id}: who may read a ticket', async (t) => {
  const owner = await signUpCustomer(app)
  const other = await signUpCustomer(app)
  const ticket = await openTicket(owner.id)

  t.test('a mechanic and the owning customer get it', async (t) => {
    t.strictSame((await getTicket(ticket.id)).json(), ticket)
    const res = await getTicket(ticket.id, auth(owner.token))
    t.equal(res.statusCode, 200)
    t.strictSame(res.json(), ticket)
  })

  t.test('another customer gets the same 404 as for a ticket that does not exist', async (t) => {
    const foreign = expectProblem(t, await getTicket(ticket.id, auth(other.token)), 404)
    t.equal(foreign.detail, `No service ticket with id ${ticket.id}.`)
    const missing = expectProblem(t, await getTicket(MISSING, auth(other.token)), 404)
    t.equal(missing.detail, `No service ticket with id ${MISSING}.`)
    t.strictSame(Object.keys(foreign).sort(), Object.keys(missing).sort())
  })

  t.test('404 for a mechanic too when it does not exist', async (t) => {
    expectProblem(t, await getTicket(MISSING), 404)
  })

  t.test('400 for an id that is not one, 401 without a token or with a bad one', async (t) => {
    const problem = expectProblem(t, await call('getServiceTicket', { method: 'GET', url: '/service-tickets/abc', headers: boss }), 400)
    t.strictSame(problem.errors.map((e) => [e.name, e.in]), [['/ticket_id', 'path']])
    expectProblem(t, await call('getServiceTicket', { method: 'GET', url: '/service-tickets/0', headers: boss }), 400)
    expectProblem(t, await call('getServiceTicket', { method: 'GET', url: `/service-tickets/${ticket.id}` }), 401)
    expectProblem(t, await getTicket(ticket.id, { authorization: 'Bearer not.a.jwt' }), 401)
  })
})

t.test('PUT /service-tickets/{ticket_id}', async (t) => {
  const customer = await signUpCustomer(app)
  const mechanic = await createMechanic(app)
  const part = await newPart(10)
  const ticket = await openTicket(customer.id, [mechanic.id])
  await addPart(ticket.id, { part_id: part, quantity: 2 })
  const update = { vin: OTHER_VIN, service_date: '2027-01-31', service_desc: 'Replace the discs as well' }

  t.test('200 replaces vin, date and description and keeps mechanics and parts', async (t) => {
    const res = await call('updateServiceTicket', { method: 'PUT', url: `/service-tickets/${ticket.id}`, headers: boss, payload: update })
    t.equal(res.statusCode, 200)
    const updated = res.json<ServiceTicket>()
    t.match(updated, { ...update, id: ticket.id, customer_id: customer.id, total: 20 })
    t.strictSame(updated.mechanics.map((m) => m.id), [mechanic.id])
    t.strictSame(updated.parts.map((p) => [p.part_id, p.quantity]), [[part, 2]])
    t.strictSame((await getTicket(ticket.id)).json(), updated)
  })

  t.test('404 for an unknown ticket', async (t) => {
    expectProblem(t, await call('updateServiceTicket', { method: 'PUT', url: `/service-tickets/${MISSING}`, headers: boss, payload: update }), 404)
  })

  t.test('400 for a bad body; customer_id cannot be changed', async (t) => {
    const res = await call('updateServiceTicket', {
      method: 'PUT',
      url: `/service-tickets/${ticket.id}`,
      headers: boss,
      payload: { vin: VIN.toLowerCase(), service_date: '2027-02-30', service_desc: '', customer_id: customer.id },
    })
    t.strictSame(fieldNames(expectProblem(t, res, 400)), ['/customer_id', '/service_date', '/service_desc', '/vin'])
  })

  t.test('401 without a token, 403 for the owning customer', async (t) => {
    const url = `/service-tickets/${ticket.id}`
    expectProblem(t, await call('updateServiceTicket', { method: 'PUT', url, payload: update }), 401)
    expectProblem(t, await call('updateServiceTicket', { method: 'PUT', url, headers: auth(customer.token), payload: update }), 403)
  })
})

t.test('DELETE /service-tickets/{ticket_id}', async (t) => {
  const customer = await signUpCustomer(app)
  const mechanic = await createMechanic(app)
  const part = await newPart(3.5)

  t.test('204; the assignments and part lines go, the mechanic and the part stay', async (t) => {
    const ticket = await openTicket(customer.id, [mechanic.id])
    await addPart(ticket.id, { part_id: part })
    const res = await call('deleteServiceTicket', { method: 'DELETE', url: `/service-tickets/${ticket.id}`, headers: boss })
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    expectProblem(t, await getTicket(ticket.id), 404)
    t.strictSame(await myMechanicTicketIds(mechanic), [])
    t.equal((await call('getPart', { method: 'GET', url: `/inventory/${part}` })).statusCode, 200)
    t.equal((await call('getMechanic', { method: 'GET', url: `/mechanics/${mechanic.id}`, headers: boss })).statusCode, 200)
  })

  t.test('404 for an unknown ticket', async (t) => {
    expectProblem(t, await call('deleteServiceTicket', { method: 'DELETE', url: `/service-tickets/${MISSING}`, headers: boss }), 404)
  })

  t.test('400, 401 and 403 leave the ticket in place', async (t) => {
    const ticket = await openTicket(customer.id)
    expectProblem(t, await call('deleteServiceTicket', { method: 'DELETE', url: '/service-tickets/-1', headers: boss }), 400)
    expectProblem(t, await call('deleteServiceTicket', { method: 'DELETE', url: `/service-tickets/${ticket.id}` }), 401)
    expectProblem(t, await call('deleteServiceTicket', { method: 'DELETE', url: `/service-tickets/${ticket.id}`, headers: auth(customer.token) }), 403)
    t.equal((await getTicket(ticket.id)).statusCode, 200)
  })
})

t.test('PUT /service-tickets/{ticket_id}/edit', async (t) => {
  const customer = await signUpCustomer(app)
  const [m1, m2, m3] = [await createMechanic(app), await createMechanic(app), await createMechanic(app)]
  const mechanicIds = (res: LightMyRequestResponse): number[] => res.json<ServiceTicket>().mechanics.map((m) => m.id)

  t.test('adds and removes in one request', async (t) => {
    const ticket = await openTicket(customer.id, [m1.id])
    const res = await editMechanics(ticket.id, { add_ids: [m3.id, m2.id], remove_ids: [m1.id] })
    t.equal(res.statusCode, 200)
    t.strictSame(mechanicIds(res), [m2.id, m3.id])
    t.strictSame(mechanicIds(await getTicket(ticket.id)), [m2.id, m3.id])
  })

  t.test('adding an assigned mechanic and removing an unassigned one are no-ops', async (t) => {
    const ticket = await openTicket(customer.id, [m1.id])
    const res = await editMechanics(ticket.id, { add_ids: [m1.id], remove_ids: [m2.id] })
    t.equal(res.statusCode, 200)
    t.strictSame(mechanicIds(res), [m1.id])
    t.strictSame(await myMechanicTicketIds(m1).then((ids) => ids.filter((id) => id === ticket.id)), [ticket.id], 'assigned once')
    const empty = await editMechanics(ticket.id, {})
    t.equal(empty.statusCode, 200)
    t.strictSame(mechanicIds(empty), [m1.id])
  })

  t.test('400 when an id is in both lists, naming both', async (t) => {
    const ticket = await openTicket(customer.id, [m1.id])
    const problem = expectProblem(t, await editMechanics(ticket.id, { add_ids: [m2.id], remove_ids: [m2.id, m1.id] }), 400)
    t.strictSame(fieldNames(problem), ['/add_ids', '/remove_ids'])
    t.strictSame(mechanicIds(await getTicket(ticket.id)), [m1.id], 'unchanged')
  })

  t.test('400 for ids that are not ids, duplicates and unknown fields', async (t) => {
    const ticket = await openTicket(customer.id)
    const problem = expectProblem(t, await editMechanics(ticket.id, { add_ids: ['x'], remove_ids: [m1.id, m1.id], mechanic_ids: [] }), 400)
    t.strictSame(fieldNames(problem), ['/add_ids/0', '/mechanic_ids', '/remove_ids'])
  })

  t.test('422 for an unknown id in add_ids changes nothing', async (t) => {
    const ticket = await openTicket(customer.id, [m1.id])
    const problem = expectProblem(t, await editMechanics(ticket.id, { add_ids: [m2.id, MISSING], remove_ids: [m1.id] }), 422)
    t.strictSame(problem.errors, [{ name: '/add_ids', in: 'body', reason: `no mechanic with id ${MISSING}` }])
    t.strictSame(mechanicIds(await getTicket(ticket.id)), [m1.id], 'm1 still assigned, m2 not added')
    t.notOk((await myMechanicTicketIds(m2)).includes(ticket.id))
  })

  t.test('422 for an id in remove_ids that is no mechanic at all', async (t) => {
    const ticket = await openTicket(customer.id, [m1.id])
    const problem = expectProblem(t, await editMechanics(ticket.id, { add_ids: [MISSING + 1], remove_ids: [m1.id, MISSING] }), 422)
    t.strictSame(problem.errors, [
      { name: '/add_ids', in: 'body', reason: `no mechanic with id ${MISSING + 1}` },
      { name: '/remove_ids', in: 'body', reason: `no mechanic with id ${MISSING}` },
    ])
    t.strictSame(mechanicIds(await getTicket(ticket.id)), [m1.id])
  })

  t.test('404 for an unknown ticket, 401 without a token, 403 for a customer', async (t) => {
    expectProblem(t, await editMechanics(MISSING, { add_ids: [m1.id] }), 404)
    const ticket = await openTicket(customer.id)
    expectProblem(t, await editMechanics(ticket.id, { add_ids: [m1.id] }, {}), 401)
    expectProblem(t, await editMechanics(ticket.id, { add_ids: [m1.id] }, auth(customer.token)), 403)
    t.strictSame(mechanicIds(await getTicket(ticket.id)), [])
  })
})

t.test('POST /service-tickets/{ticket_id}/parts', async (t) => {
  const customer = await signUpCustomer(app)

  t.test('adds a part with its price, quantity and line total; quantity defaults to 1', async (t) => {
    const ticket = await openTicket(customer.id)
    const part = await newPart(24.5, 'Brake pad set')
    const res = await addPart(ticket.id, { part_id: part })
    t.equal(res.statusCode, 200)
    t.strictSame(res.json<ServiceTicket>().parts, [{ part_id: part, name: 'Brake pad set', price: 24.5, quantity: 1, line_total: 24.5 }])
    t.equal(res.json<ServiceTicket>().total, 24.5)
  })

  t.test('the same part twice adds up the quantities', async (t) => {
    const ticket = await openTicket(customer.id)
    const part = await newPart(2)
    await addPart(ticket.id, { part_id: part, quantity: 3 })
    const res = await addPart(ticket.id, { part_id: part, quantity: 4 })
    t.strictSame(res.json<ServiceTicket>().parts.map((p) => [p.part_id, p.quantity, p.line_total]), [[part, 7, 14]])
  })

  t.test('money is exact: 0.1 + 0.2 = 0.3, 19.99 × 3 = 59.97', async (t) => {
    const ticket = await openTicket(customer.id)
    await addPart(ticket.id, { part_id: await newPart(0.1) })
    const sum = await addPart(ticket.id, { part_id: await newPart(0.2) })
    t.equal(sum.json<ServiceTicket>().total, 0.3)

    const other = await openTicket(customer.id)
    const res = await addPart(other.id, { part_id: await newPart(19.99), quantity: 3 })
    t.equal(res.json<ServiceTicket>().parts[0]?.line_total, 59.97)
    t.equal(res.json<ServiceTicket>().total, 59.97)
    t.match(res.body, /"line_total":59\.97/, 'serialised as 59.97, not 59.970000000000006')
  })

  t.test('the total adds up several lines, which come back by part id', async (t) => {
    const ticket = await openTicket(customer.id)
    const parts = [await newPart(19.99), await newPart(0.07), await newPart(1234567.89)]
    await addPart(ticket.id, { part_id: parts[2], quantity: 2 })
    await addPart(ticket.id, { part_id: parts[0], quantity: 3 })
    const res = await addPart(ticket.id, { part_id: parts[1], quantity: 11 })
    const view = res.json<ServiceTicket>()
    t.strictSame(view.parts.map((p) => [p.part_id, p.line_total]), [[parts[0], 59.97], [parts[1], 0.77], [parts[2], 2469135.78]])
    t.equal(view.total, 2469196.52)
  })

  t.test('50 concurrent adds of one each all count', async (t) => {
    const ticket = await openTicket(customer.id)
    const part = await newPart(0.01)
    const answers = await Promise.all(Array.from({ length: 50 }, async () => await addPart(ticket.id, { part_id: part })))
    t.strictSame([...new Set(answers.map((res) => res.statusCode))], [200])
    const view = (await getTicket(ticket.id)).json<ServiceTicket>()
    t.strictSame(view.parts.map((p) => [p.quantity, p.line_total]), [[50, 0.5]])
    t.equal(view.total, 0.5)
  })

  t.test('400 naming quantity when a part would pass 1,000 on one ticket', async (t) => {
    const ticket = await openTicket(customer.id)
    const part = await newPart(1)
    await addPart(ticket.id, { part_id: part, quantity: 600 })
    const problem = expectProblem(t, await addPart(ticket.id, { part_id: part, quantity: 401 }), 400)
    t.strictSame(fieldNames(problem), ['/quantity'])
    t.equal((await getTicket(ticket.id)).json<ServiceTicket>().parts[0]?.quantity, 600, 'unchanged')
    t.equal((await addPart(ticket.id, { part_id: part, quantity: 400 })).json<ServiceTicket>().parts[0]?.quantity, 1000, 'up to the limit is fine')
  })

  t.test('404 for an unknown ticket, 422 for an unknown part', async (t) => {
    const part = await newPart(1)
    expectProblem(t, await addPart(MISSING, { part_id: part }), 404)
    const ticket = await openTicket(customer.id)
    const problem = expectProblem(t, await addPart(ticket.id, { part_id: MISSING }), 422)
    t.strictSame(problem.errors, [{ name: '/part_id', in: 'body', reason: `no part with id ${MISSING}` }])
    t.strictSame((await getTicket(ticket.id)).json<ServiceTicket>().parts, [])
  })

  t.test('400 for a bad quantity or a missing part_id', async (t) => {
    const ticket = await openTicket(customer.id)
    t.strictSame(fieldNames(expectProblem(t, await addPart(ticket.id, { quantity: 0 }), 400)), ['/part_id', '/quantity'])
    t.strictSame(fieldNames(expectProblem(t, await addPart(ticket.id, { part_id: 1, quantity: 1001 }), 400)), ['/quantity'])
    t.strictSame(fieldNames(expectProblem(t, await addPart(ticket.id, { part_id: 1, quantity: '2' }), 400)), ['/quantity'])
  })

  t.test('401 without a token, 403 for the owning customer', async (t) => {
    const ticket = await openTicket(customer.id)
    const part = await newPart(1)
    expectProblem(t, await addPart(ticket.id, { part_id: part }, {}), 401)
    expectProblem(t, await addPart(ticket.id, { part_id: part }, auth(customer.token)), 403)
    t.strictSame((await getTicket(ticket.id)).json<ServiceTicket>().parts, [])
  })
})

t.test('DELETE /service-tickets/{ticket_id}/parts/{part_id}', async (t) => {
  const customer = await signUpCustomer(app)
  const remove = async (ticketId: number, partId: number, headers: Record<string, string> = boss): Promise<LightMyRequestResponse> =>
    await call('removeTicketPart', { method: 'DELETE', url: `/service-tickets/${ticketId}/parts/${partId}`, headers })

  t.test('204 takes the whole line off and the total follows', async (t) => {
    const ticket = await openTicket(customer.id)
    const [keep, drop] = [await newPart(5), await newPart(7.25)]
    await addPart(ticket.id, { part_id: keep })
    await addPart(ticket.id, { part_id: drop, quantity: 4 })
    const res = await remove(ticket.id, drop)
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    const view = (await getTicket(ticket.id)).json<ServiceTicket>()
    t.strictSame(view.parts.map((p) => p.part_id), [keep])
    t.equal(view.total, 5)
  })

  t.test('404 when the part is not on the ticket, or the ticket does not exist', async (t) => {
    const ticket = await openTicket(customer.id)
    const part = await newPart(1)
    t.equal(expectProblem(t, await remove(ticket.id, part), 404).detail, `Part ${part} is not on service ticket ${ticket.id}.`)
    t.equal(expectProblem(t, await remove(MISSING, part), 404).detail, `No service ticket with id ${MISSING}.`)
  })

  t.test('400 for bad ids, 401 without a token, 403 for a customer', async (t) => {
    const ticket = await openTicket(customer.id)
    const part = await newPart(1)
    await addPart(ticket.id, { part_id: part })
    const problem = expectProblem(t, await call('removeTicketPart', { method: 'DELETE', url: `/service-tickets/${ticket.id}/parts/x`, headers: boss }), 400)
    t.strictSame(problem.errors.map((e) => [e.name, e.in]), [['/part_id', 'path']])
    expectProblem(t, await remove(ticket.id, part, {}), 401)
    expectProblem(t, await remove(ticket.id, part, auth(customer.token)), 403)
    t.equal((await getTicket(ticket.id)).json<ServiceTicket>().parts.length, 1, 'still on the ticket')
  })
})

t.test('deleting a mechanic removes their assignments, not the tickets', async (t) => {
  const customer = await signUpCustomer(app)
  const [leaving, staying] = [await createMechanic(app), await createMechanic(app)]
  const ticket = await openTicket(customer.id, [leaving.id, staying.id])
  const res = await call('deleteMechanic', { method: 'DELETE', url: `/mechanics/${leaving.id}`, headers: boss })
  t.equal(res.statusCode, 204)
  const view = await getTicket(ticket.id)
  t.equal(view.statusCode, 200)
  t.strictSame(view.json<ServiceTicket>().mechanics.map((m) => m.id), [staying.id])
})

t.test('a customer with tickets cannot be deleted until they are gone', async (t) => {
  const customer = await signUpCustomer(app)
  const ticket = await openTicket(customer.id)
  const url = `/customers/${customer.id}`
  expectProblem(t, await call('deleteCustomer', { method: 'DELETE', url, headers: boss }), 409)
  expectProblem(t, await call('deleteCustomer', { method: 'DELETE', url, headers: auth(customer.token) }), 409)
  t.equal((await getTicket(ticket.id)).statusCode, 200)
  await call('deleteServiceTicket', { method: 'DELETE', url: `/service-tickets/${ticket.id}`, headers: boss })
  t.equal((await call('deleteCustomer', { method: 'DELETE', url, headers: boss })).statusCode, 204)
})

t.test('the ranking follows assignments, most tickets first and ties by id', async (t) => {
  const customer = await signUpCustomer(app)
  const [m1, m2, m3] = [await createMechanic(app), await createMechanic(app), await createMechanic(app)]
  const mine = new Set([m1.id, m2.id, m3.id])
  const ranking = async (): Promise<Array<[number, number]>> => {
    const res = await call('getMechanicRanking', { method: 'GET', url: '/mechanics/ranking?per_page=100', headers: boss })
    t.equal(res.statusCode, 200)
    const page = res.json<RankingPage>()
    t.ok(page.meta.total <= 100, 'one page holds every mechanic')
    const order = page.data.map((m) => [m.ticket_count, m.id])
    const sorted = [...order].sort(([countA = 0, idA = 0], [countB = 0, idB = 0]) => countB - countA || idA - idB)
    t.strictSame(order, sorted, 'the whole ranking is by ticket_count desc, then id')
    return page.data.filter((m) => mine.has(m.id)).map((m) => [m.id, m.ticket_count])
  }

  t.strictSame(await ranking(), [[m1.id, 0], [m2.id, 0], [m3.id, 0]], 'a tie goes by id')
  const first = await openTicket(customer.id, [m3.id])
  t.strictSame(await ranking(), [[m3.id, 1], [m1.id, 0], [m2.id, 0]])
  const second = await openTicket(customer.id, [m2.id, m3.id])
  t.strictSame(await ranking(), [[m3.id, 2], [m2.id, 1], [m1.id, 0]])
  await editMechanics(first.id, { add_ids: [m1.id, m2.id], remove_ids: [m3.id] })
  t.strictSame(await ranking(), [[m2.id, 2], [m1.id, 1], [m3.id, 1]], 'edits move counts; ties by id again')
  await call('deleteServiceTicket', { method: 'DELETE', url: `/service-tickets/${second.id}`, headers: boss })
  t.strictSame(await ranking(), [[m1.id, 1], [m2.id, 1], [m3.id, 0]], 'a deleted ticket no longer counts')
})

t.test('GET /customers/my-tickets', async (t) => {
  const [ann, bob] = [await signUpCustomer(app), await signUpCustomer(app)]
  const annTickets = [await openTicket(ann.id), await openTicket(ann.id), await openTicket(ann.id)]
  const bobTicket = await openTicket(bob.id)
  const mine = async (customer: TestCustomer, query = ''): Promise<LightMyRequestResponse> =>
    await call('listMyCustomerTickets', { method: 'GET', url: `/customers/my-tickets${query}`, headers: auth(customer.token) })

  t.test('a customer sees only their own tickets, newest first, paginated', async (t) => {
    const res = await mine(ann, '?per_page=2')
    t.equal(res.statusCode, 200)
    const page = res.json<TicketPage>()
    t.strictSame(page.data.map((ticket) => ticket.id), [annTickets[2]?.id, annTickets[1]?.id])
    t.strictSame(page.meta, { page: 1, per_page: 2, total: 3, total_pages: 2 })
    // Links are built from the validated query in one order, whatever order the client wrote.
    t.match(res.headers.link, /<\/customers\/my-tickets\?page=2&per_page=2>; rel="next"/)
    const rest = (await mine(ann, '?per_page=2&page=2')).json<TicketPage>()
    t.strictSame(rest.data.map((ticket) => ticket.id), [annTickets[0]?.id])
    t.strictSame((await mine(bob)).json<TicketPage>().data.map((ticket) => ticket.id), [bobTicket.id])
  })

  t.test('a customer without tickets gets an empty page', async (t) => {
    const page = (await mine(await signUpCustomer(app))).json<TicketPage>()
    t.strictSame(page, { data: [], meta: { page: 1, per_page: 10, total: 0, total_pages: 0 } })
  })

  t.test('400 for a bad page, 401 without a token, 403 for a mechanic', async (t) => {
    expectProblem(t, await mine(ann, '?page=0'), 400)
    expectProblem(t, await call('listMyCustomerTickets', { method: 'GET', url: '/customers/my-tickets' }), 401)
    expectProblem(t, await call('listMyCustomerTickets', { method: 'GET', url: '/customers/my-tickets', headers: boss }), 403)
  })
})

t.test('GET /mechanics/my-tickets', async (t) => {
  const customer = await signUpCustomer(app)
  const [m1, m2] = [await createMechanic(app), await createMechanic(app)]
  const both = await openTicket(customer.id, [m1.id, m2.id])
  const onlyM1 = await openTicket(customer.id, [m1.id])
  await openTicket(customer.id)

  t.test('a mechanic sees the tickets they are assigned to, newest first', async (t) => {
    const res = await call('listMyMechanicTickets', { method: 'GET', url: '/mechanics/my-tickets', headers: auth(m1.token) })
    t.equal(res.statusCode, 200)
    t.strictSame(res.json<TicketPage>().data.map((ticket) => ticket.id), [onlyM1.id, both.id])
    t.equal(res.json<TicketPage>().meta.total, 2)
    t.strictSame(await myMechanicTicketIds(m2), [both.id])
  })

  t.test('and stops seeing one once unassigned; the views list every mechanic of the ticket', async (t) => {
    await editMechanics(both.id, { remove_ids: [m1.id] })
    t.strictSame(await myMechanicTicketIds(m1), [onlyM1.id])
    const res = await call('listMyMechanicTickets', { method: 'GET', url: '/mechanics/my-tickets', headers: auth(m2.token) })
    t.strictSame(res.json<TicketPage>().data[0]?.mechanics.map((m) => m.id), [m2.id])
  })

  t.test('400 for a bad page size, 401 without a token, 403 for a customer', async (t) => {
    expectProblem(t, await call('listMyMechanicTickets', { method: 'GET', url: '/mechanics/my-tickets?per_page=0', headers: auth(m1.token) }), 400)
    expectProblem(t, await call('listMyMechanicTickets', { method: 'GET', url: '/mechanics/my-tickets' }), 401)
    expectProblem(t, await call('listMyMechanicTickets', { method: 'GET', url: '/mechanics/my-tickets', headers: auth(customer.token) }), 403)
  })
})
