// The parts catalogue: every route and status the contract lists for it, public reads against
// mechanic-only writes, exact prices, and the 409 while a ticket uses a part.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import type { components } from '../generated/api.js'
import { auth, buildTestApp, fieldNames, injectChecked, mechanicToken, problemWithStatus as expectProblem, signUpCustomer } from './helpers.js'

type Part = components['schemas']['Part']
type ServiceTicket = components['schemas']['ServiceTicket']

const MISSING = 2_000_000_000

const app: FastifyInstance = await buildTestApp(t)
const boss = auth(await mechanicToken(app))
const customer = await signUpCustomer(app)

/** Every response of this file goes through here, so every one is checked against the contract. */
const call = (operationId: string, options: InjectOptions) => injectChecked(app, operationId, options)

async function createPart (payload: Record<string, unknown>, headers: Record<string, string> = boss): Promise<LightMyRequestResponse> {
  return await call('createPart', { method: 'POST', url: '/inventory', headers, payload })
}

async function newPart (name: string, price: number): Promise<Part> {
  const res = await createPart({ name, price })
  if (res.statusCode !== 201) throw new Error(`createPart: ${res.statusCode} ${res.body}`)
  return res.json<Part>()
}

/** A ticket of the test customer with `quantity` of `partId` on it. */
async function ticketUsing (partId: number, quantity = 1): Promise<ServiceTicket> {
  const created = await call('createServiceTicket', {
    method: 'POST',
    url: '/service-tickets',
    headers: boss,
    payload: { customer_id: customer.id, vin: '1HGCM82633A004352', service_date: '2026-12-01', service_desc: 'Oil change' },
  })
  const ticket = created.json<ServiceTicket>()
  const res = await call('addTicketPart', { method: 'POST', url: `/service-tickets/${ticket.id}/parts`, headers: boss, payload: { part_id: partId, quantity } })
  return res.json<ServiceTicket>()
}

t.test('POST /inventory', async (t) => {
  t.test('201 with Location and the part', async (t) => {
    const res = await createPart({ name: 'Brake pad set', price: 24.5 })
    t.equal(res.statusCode, 201)
    const part = res.json<Part>()
    t.equal(res.headers.location, `/inventory/${part.id}`)
    t.strictSame(part, { id: part.id, name: 'Brake pad set', price: 24.5 })
  })

  t.test('prices are exact to the cent, up to the largest one', async (t) => {
    for (const price of [0, 0.07, 0.1, 19.99, 1234567.89, 99999999.99]) {
      const part = await newPart(`Priced ${price}`, price)
      t.equal(part.price, price, `${price} comes back as sent`)
      const read = await call('getPart', { method: 'GET', url: `/inventory/${part.id}` })
      t.equal(read.json<Part>().price, price, `${price} reads back as sent`)
    }
  })

  t.test('400 names every bad field', async (t) => {
    t.strictSame(fieldNames(expectProblem(t, await createPart({ price: 1.234, colour: 'red' }), 400)), ['/colour', '/name', '/price'])
    t.strictSame(fieldNames(expectProblem(t, await createPart({ name: '', price: -1 }), 400)), ['/name', '/price'])
    t.strictSame(fieldNames(expectProblem(t, await createPart({ name: 'Filter', price: '12.50' }), 400)), ['/price'], 'a string is not coerced into a price')
    t.strictSame(fieldNames(expectProblem(t, await createPart({ name: 'Filter', price: 10_000_000_000 }), 400)), ['/price'])
  })

  t.test('401 without a token, 403 with a customer token', async (t) => {
    expectProblem(t, await createPart({ name: 'Filter', price: 1 }, {}), 401)
    expectProblem(t, await createPart({ name: 'Filter', price: 1 }, auth(customer.token)), 403)
  })
})

t.test('GET /inventory/{part_id}', async (t) => {
  const part = await newPart('Timing belt', 89.9)

  t.test('public', async (t) => {
    const res = await call('getPart', { method: 'GET', url: `/inventory/${part.id}` })
    t.equal(res.statusCode, 200)
    t.strictSame(res.json(), part)
  })

  t.test('404 for an unknown part, 400 for an id that is not one', async (t) => {
    t.equal(expectProblem(t, await call('getPart', { method: 'GET', url: `/inventory/${MISSING}` }), 404).detail, `No part with id ${MISSING}.`)
    const problem = expectProblem(t, await call('getPart', { method: 'GET', url: '/inventory/1.5' }), 400)
    t.strictSame(problem.errors.map((e) => [e.name, e.in]), [['/part_id', 'path']])
  })
})

t.test('PUT /inventory/{part_id}', async (t) => {
  const update = (id: number, payload: Record<string, unknown>, headers: Record<string, string> = boss): Promise<LightMyRequestResponse> =>
    call('updatePart', { method: 'PUT', url: `/inventory/${id}`, headers, payload })

  t.test('200 replaces name and price; tickets using it show the new price', async (t) => {
    const part = await newPart('Wiper blade', 9.99)
    const ticket = await ticketUsing(part.id, 3)
    t.equal(ticket.total, 29.97)
    const res = await update(part.id, { name: 'Wiper blade (pair)', price: 19.99 })
    t.equal(res.statusCode, 200)
    t.strictSame(res.json(), { id: part.id, name: 'Wiper blade (pair)', price: 19.99 })
    const view = (await call('getServiceTicket', { method: 'GET', url: `/service-tickets/${ticket.id}`, headers: boss })).json<ServiceTicket>()
    t.strictSame(view.parts, [{ part_id: part.id, name: 'Wiper blade (pair)', price: 19.99, quantity: 3, line_total: 59.97 }])
    t.equal(view.total, 59.97)
  })

  t.test('404 for an unknown part', async (t) => {
    expectProblem(t, await update(MISSING, { name: 'Ghost', price: 1 }), 404)
  })

  t.test('400 for a bad body, which changes nothing', async (t) => {
    const part = await newPart('Fuse', 0.5)
    t.strictSame(fieldNames(expectProblem(t, await update(part.id, { name: 'Fuse' }), 400)), ['/price'])
    t.strictSame(fieldNames(expectProblem(t, await update(part.id, { name: 'x'.repeat(201), price: 0.001 }), 400)), ['/name', '/price'])
    t.strictSame((await call('getPart', { method: 'GET', url: `/inventory/${part.id}` })).json(), part)
  })

  t.test('401 without a token, 403 for a customer', async (t) => {
    const part = await newPart('Bulb', 2)
    expectProblem(t, await update(part.id, { name: 'Bulb', price: 0 }, {}), 401)
    expectProblem(t, await update(part.id, { name: 'Bulb', price: 0 }, auth(customer.token)), 403)
    t.strictSame((await call('getPart', { method: 'GET', url: `/inventory/${part.id}` })).json(), part)
  })
})

t.test('DELETE /inventory/{part_id}', async (t) => {
  const remove = (id: number | string, headers: Record<string, string> = boss): Promise<LightMyRequestResponse> =>
    call('deletePart', { method: 'DELETE', url: `/inventory/${id}`, headers })

  t.test('204, then the part is gone', async (t) => {
    const part = await newPart('Gasket', 4)
    const res = await remove(part.id)
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    expectProblem(t, await call('getPart', { method: 'GET', url: `/inventory/${part.id}` }), 404)
    expectProblem(t, await remove(part.id), 404)
  })

  t.test('409 while a ticket uses the part; 204 once it is off the ticket', async (t) => {
    const part = await newPart('Alternator', 250)
    const ticket = await ticketUsing(part.id)
    const problem = expectProblem(t, await remove(part.id), 409)
    t.equal(problem.type, '/problems/conflict')
    t.equal(problem.detail, 'The part is used on a service ticket.')
    t.equal((await call('getPart', { method: 'GET', url: `/inventory/${part.id}` })).statusCode, 200, 'still there')

    const off = await call('removeTicketPart', { method: 'DELETE', url: `/service-tickets/${ticket.id}/parts/${part.id}`, headers: boss })
    t.equal(off.statusCode, 204)
    t.equal((await remove(part.id)).statusCode, 204)
  })

  t.test('400 for a bad id, 401 without a token, 403 for a customer', async (t) => {
    const part = await newPart('Hose', 6)
    expectProblem(t, await remove('abc'), 400)
    expectProblem(t, await remove(part.id, {}), 401)
    expectProblem(t, await remove(part.id, auth(customer.token)), 403)
    t.equal((await call('getPart', { method: 'GET', url: `/inventory/${part.id}` })).statusCode, 200)
  })
})
