// The repair order's workflow, table-driven from src/lib/ticket-workflow.ts: every (from, to) pair
// of /transitions, approval from every status, every lock for every write, ETag/If-Match, the
// history, the list filters, and (on PostgreSQL) the races the conditional updates exist for.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t from 'tap'
import type { components } from '../generated/api.js'
import { APPROVE_FROM, DECLINE_FROM, LOCKS, TICKET_STATUSES, TRANSITIONS, type TicketStatus } from '../src/lib/ticket-workflow.js'
import { auth, buildTestApp, createMechanic, mechanicToken, signUpCustomer, usingPostgres, resolve, spec, expectContract } from './helpers.js'

type ServiceTicket = components['schemas']['ServiceTicket']
type TicketPage = components['schemas']['ServiceTicketPage']
type EventPage = components['schemas']['TicketEventPage']
type IllegalTransition = components['schemas']['IllegalTransitionProblem']

const VIN = '1HGCM82633A004352'

t.test('the tables have a row for every status of the contract, and the docs show them', async (t) => {
  const statuses = resolve((spec.components as { schemas: Record<string, unknown> }).schemas.TicketStatus).enum as string[]
  t.same([...TICKET_STATUSES].sort(), [...statuses].sort(), 'TICKET_STATUSES is the contract\'s TicketStatus enum')
  for (const table of [TRANSITIONS, APPROVE_FROM, LOCKS]) t.same(Object.keys(table).sort(), [...statuses].sort())
  const docs = (spec.tags as Array<{ name: string, description: string }>).find((tag) => tag.name === 'Service tickets')?.description ?? ''
  for (const status of TICKET_STATUSES) {
    const row = docs.split('\n').find((line) => line.startsWith(`| \`${status}\` |`))
    t.ok(row, `the transition table in the docs has a row for ${status}`)
    const targets = TRANSITIONS[status]
    t.same([...(row ?? '').split('|')[2]?.matchAll(/`(\w+)`/g) ?? []].map((m) => m[1]), [...targets], `and it lists exactly where ${status} may go`)
  }
})

const app: FastifyInstance = await buildTestApp(t)
const boss = auth(await mechanicToken(app))
const customer = await signUpCustomer(app)
const stranger = await signUpCustomer(app)
const mechanic = await createMechanic(app)
const { id: partId } = (await app.inject({ method: 'POST', url: '/inventory', headers: boss, payload: { name: 'Pad', price: 24.5 } })).json<{ id: number }>()

const call = async (operationId: string, options: InjectOptions): Promise<LightMyRequestResponse> => {
  const res = await app.inject(options)
  expectContract(res, operationId)
  return res
}

async function openTicket (): Promise<ServiceTicket> {
  const res = await call('createServiceTicket', { method: 'POST', url: '/service-tickets', headers: boss, payload: { customer_id: customer.id, vin: VIN, service_date: '2026-12-01', service_desc: 'Work', mechanic_ids: [mechanic.id] } })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json<ServiceTicket>()
}

/** A ticket in `status`, with a part and a labor line on it, put there directly: the table is about the status, not the way there. */
async function ticketIn (status: TicketStatus): Promise<ServiceTicket> {
  const ticket = await openTicket()
  await call('addTicketPart', { method: 'POST', url: `/service-tickets/${ticket.id}/parts`, headers: boss, payload: { part_id: partId, quantity: 1 } })
  await call('addTicketLabor', { method: 'POST', url: `/service-tickets/${ticket.id}/labor`, headers: boss, payload: { description: 'Fit the pad', hours: 0.5, rate: 60 } })
  await app.db.updateTable('service_tickets').set({ status, authorized_total: '1000.00' }).where('id', '=', ticket.id).execute()
  return await read(ticket.id)
}

/** The ticket's current ETag, as a GET answers it. */
const etagOf = async (id: number): Promise<string> =>
  String((await app.inject({ method: 'GET', url: `/service-tickets/${id}`, headers: boss })).headers.etag)

/** A ticket's ETag at `version`: the digest part is whatever the answer carries. */
const etagAt = (id: number, version: number) => new RegExp(`^"ticket-${id}-v${version}-[0-9a-f]{16}"$`)

async function read (id: number): Promise<ServiceTicket> {
  return (await app.inject({ method: 'GET', url: `/service-tickets/${id}`, headers: boss })).json<ServiceTicket>()
}

const eventCount = async (id: number): Promise<number> =>
  (await app.inject({ method: 'GET', url: `/service-tickets/${id}/events?per_page=1`, headers: boss })).json<EventPage>().meta.total

const transition = (id: number, to: string, headers: Record<string, string> = boss) =>
  call('transitionServiceTicket', { method: 'POST', url: `/service-tickets/${id}/transitions`, headers, payload: { to, reason: 'table' } })

t.test('every pair of the transition table', async (t) => {
  for (const from of TICKET_STATUSES) {
    for (const to of TICKET_STATUSES) {
      const ticket = await ticketIn(from)
      const events = await eventCount(ticket.id)
      const res = await transition(ticket.id, to)
      if (TRANSITIONS[from].includes(to)) {
        t.equal(res.statusCode, 200, `${from} → ${to} is allowed`, { body: res.body })
        const after = res.json<ServiceTicket>()
        t.equal(after.status, to)
        t.equal(after.version, ticket.version + 1, 'version + 1')
        t.match(res.headers.etag, etagAt(ticket.id, after.version))
        const page = (await app.inject({ method: 'GET', url: `/service-tickets/${ticket.id}/events?per_page=100`, headers: boss })).json<EventPage>()
        t.match(page.data.at(-1), { type: 'status_changed', actor: { role: 'mechanic' }, data: { from, to, reason: 'table' } })
        if (to === 'estimate') t.equal(after.authorized_total, null, 'revising clears the authorization')
      } else {
        t.equal(res.statusCode, 409, `${from} → ${to} is refused`)
        const problem = res.json<IllegalTransition>()
        t.match(problem, { type: '/problems/illegal-transition', from, to, allowed: [...TRANSITIONS[from]] })
        t.same(await read(ticket.id), ticket, 'nothing changed')
        t.equal(await eventCount(ticket.id), events, 'no event')
      }
    }
  }
})

t.test('approval from every status, by the owner and by a mechanic', async (t) => {
  for (const from of TICKET_STATUSES) {
    for (const decision of ['approve', 'decline'] as const) {
      const ticket = await ticketIn(from)
      const asOwner = decision === 'approve' && from === 'estimate'
      const res = await call('recordTicketApproval', { method: 'POST', url: `/service-tickets/${ticket.id}/approval`, headers: asOwner ? auth(customer.token) : boss, payload: { decision, note: 'by phone' } })
      const expected = decision === 'approve' ? APPROVE_FROM[from] : DECLINE_FROM.includes(from) ? 'cancelled' : undefined
      if (expected === undefined) {
        t.equal(res.statusCode, 409, `${decision} from ${from} is refused`)
        t.match(res.json(), { type: '/problems/illegal-transition', from, allowed: [...TRANSITIONS[from]] })
        t.same(await read(ticket.id), ticket)
        continue
      }
      t.equal(res.statusCode, 200, `${decision} from ${from}`, { body: res.body })
      const after = res.json<ServiceTicket>()
      t.equal(after.status, expected)
      if (decision === 'approve') {
        t.equal(after.authorized_total, after.total, 'the current total is authorized')
        t.same(after.authorized_by, asOwner ? { role: 'customer', id: customer.id } : { role: 'mechanic', id: after.authorized_by?.id })
        t.ok(after.authorized_at)
      }
    }
  }
  const ticket = await openTicket()
  const res = await call('recordTicketApproval', { method: 'POST', url: `/service-tickets/${ticket.id}/approval`, headers: auth(stranger.token), payload: { decision: 'approve' } })
  t.equal(res.statusCode, 404, 'another customer cannot approve')
})

t.test('completion needs the total authorized; renewing the approval in progress allows it', async (t) => {
  const ticket = await openTicket()
  const add = () => call('addTicketPart', { method: 'POST', url: `/service-tickets/${ticket.id}/parts`, headers: boss, payload: { part_id: partId, quantity: 2 } })
  await add()
  t.equal((await call('recordTicketApproval', { method: 'POST', url: `/service-tickets/${ticket.id}/approval`, headers: auth(customer.token), payload: { decision: 'approve' } })).json<ServiceTicket>().authorized_total, 49)
  t.equal((await transition(ticket.id, 'in_progress')).statusCode, 200)
  await add()
  const refused = await transition(ticket.id, 'completed')
  t.equal(refused.statusCode, 409)
  t.match(refused.json(), { type: '/problems/reauthorization-required' })
  t.equal((await read(ticket.id)).status, 'in_progress')
  const renewed = await call('recordTicketApproval', { method: 'POST', url: `/service-tickets/${ticket.id}/approval`, headers: boss, payload: { decision: 'approve' } })
  t.match(renewed.json(), { status: 'in_progress', authorized_total: 98 })
  t.equal((await transition(ticket.id, 'completed')).statusCode, 200)
  t.equal((await transition(ticket.id, 'in_progress')).statusCode, 200, 'reopen')
})

const laborOf = (ticket: ServiceTicket): number => {
  const line = ticket.labor[0]
  if (line === undefined) throw new Error(`ticket ${ticket.id} has no labor line`)
  return line.id
}

interface Write { name: string, kind: 'fields' | 'lines' | 'delete', op: string, ok: number, request: (ticket: ServiceTicket) => InjectOptions }
const WRITES: Write[] = [
  { name: 'PUT', kind: 'fields', op: 'updateServiceTicket', ok: 200, request: (x) => ({ method: 'PUT', url: `/service-tickets/${x.id}`, payload: { vin: VIN, service_date: '2026-12-03', service_desc: 'Changed' } }) },
  { name: '/edit', kind: 'lines', op: 'editTicketMechanics', ok: 200, request: (x) => ({ method: 'PUT', url: `/service-tickets/${x.id}/edit`, payload: { remove_ids: [mechanic.id] } }) },
  { name: 'add part', kind: 'lines', op: 'addTicketPart', ok: 200, request: (x) => ({ method: 'POST', url: `/service-tickets/${x.id}/parts`, payload: { part_id: partId } }) },
  { name: 'remove part', kind: 'lines', op: 'removeTicketPart', ok: 204, request: (x) => ({ method: 'DELETE', url: `/service-tickets/${x.id}/parts/${partId}` }) },
  { name: 'add labor', kind: 'lines', op: 'addTicketLabor', ok: 201, request: (x) => ({ method: 'POST', url: `/service-tickets/${x.id}/labor`, payload: { description: 'More', hours: 1 } }) },
  { name: 'change labor', kind: 'lines', op: 'updateTicketLabor', ok: 200, request: (x) => ({ method: 'PUT', url: `/service-tickets/${x.id}/labor/${laborOf(x)}`, payload: { description: 'Changed', hours: 0.75 } }) },
  { name: 'remove labor', kind: 'lines', op: 'removeTicketLabor', ok: 204, request: (x) => ({ method: 'DELETE', url: `/service-tickets/${x.id}/labor/${laborOf(x)}` }) },
  { name: 'DELETE', kind: 'delete', op: 'deleteServiceTicket', ok: 204, request: (x) => ({ method: 'DELETE', url: `/service-tickets/${x.id}` }) },
]
const send = (write: Write, ticket: ServiceTicket, headers: Record<string, string> = {}) =>
  call(write.op, { ...write.request(ticket), headers: { ...boss, ...headers } })

t.test('locks: every write in every status', async (t) => {
  for (const status of TICKET_STATUSES) {
    for (const write of WRITES) {
      const ticket = await ticketIn(status)
      const res = await send(write, ticket)
      if (LOCKS[status][write.kind]) {
        t.equal(res.statusCode, 409, `${write.name} in ${status} is locked`)
        t.match(res.json(), { type: '/problems/ticket-locked' })
        t.same(await read(ticket.id), ticket, 'nothing changed')
      } else {
        t.equal(res.statusCode, write.ok, `${write.name} in ${status} goes through`, { body: res.body })
        if (write.kind !== 'delete') t.equal((await read(ticket.id)).version, ticket.version + 1)
      }
    }
  }
})

t.test('ETag, If-None-Match and If-Match', async (t) => {
  const ticket = await openTicket()
  const got = await call('getServiceTicket', { method: 'GET', url: `/service-tickets/${ticket.id}`, headers: boss })
  const etag = String(got.headers.etag)
  t.match(etag, etagAt(ticket.id, 1))
  const notModified = await call('getServiceTicket', { method: 'GET', url: `/service-tickets/${ticket.id}`, headers: { ...boss, 'if-none-match': etag } })
  t.equal(notModified.statusCode, 304)
  t.equal(notModified.body, '')
  const owner304 = await app.inject({ method: 'GET', url: `/service-tickets/${ticket.id}`, headers: { ...auth(stranger.token), 'if-none-match': etag } })
  t.equal(owner304.statusCode, 404, 'another customer learns nothing from a validator')

  for (const write of WRITES) {
    const fresh = await ticketIn('in_progress')
    const current = await etagOf(fresh.id)
    const stale = current.replace(`-v${fresh.version}-`, `-v${fresh.version - 1}-`)
    const res = await send(write, fresh, { 'if-match': stale })
    t.equal(res.statusCode, 412, `${write.name} with a stale If-Match`)
    t.match(res.json(), { type: '/problems/precondition-failed', status: 412 })
    t.same(await read(fresh.id), fresh, 'nothing changed')
    const ok = await send(write, fresh, { 'if-match': current })
    t.equal(ok.statusCode, write.ok, `${write.name} with the current If-Match`)
    if (write.kind !== 'delete') t.equal(ok.headers.etag, (await call('getServiceTicket', { method: 'GET', url: `/service-tickets/${fresh.id}`, headers: boss })).headers.etag, 'the new ETag is the next GET\'s')
  }
  const star = await app.inject({ method: 'POST', url: `/service-tickets/${ticket.id}/transitions`, headers: { ...boss, 'if-match': '*' }, payload: { to: 'cancelled' } })
  t.equal(star.statusCode, 200, 'If-Match: * matches any current ticket')
  const stale = await app.inject({ method: 'POST', url: `/service-tickets/${ticket.id}/approval`, headers: { ...boss, 'if-match': etag }, payload: { decision: 'approve' } })
  t.equal(stale.statusCode, 412, 'approvals are conditional too')
})

t.test('a price, tax rate or name change moves the ETag, not the version', async (t) => {
  const { id: rotor } = (await call('createPart', { method: 'POST', url: '/inventory', headers: boss, payload: { name: 'Rotor', price: 40 } })).json<{ id: number }>()
  const helper = await createMechanic(app, { name: 'Ada Wrench' })
  const ticket = await openTicket()
  await call('addTicketPart', { method: 'POST', url: `/service-tickets/${ticket.id}/parts`, headers: boss, payload: { part_id: rotor, quantity: 2 } })
  await call('editTicketMechanics', { method: 'PUT', url: `/service-tickets/${ticket.id}/edit`, headers: boss, payload: { add_ids: [helper.id] } })
  const get = (headers: Record<string, string> = {}) =>
    call('getServiceTicket', { method: 'GET', url: `/service-tickets/${ticket.id}`, headers: { ...boss, ...headers } })
  const first = await get()
  const before = first.json<ServiceTicket>()
  const etag0 = String(first.headers.etag)
  t.match(before, { version: 3, parts_total: 80, total: 80, tax: 0, grand_total: 80 })
  const events = await eventCount(ticket.id)

  t.equal((await call('updatePart', { method: 'PUT', url: `/inventory/${rotor}`, headers: boss, payload: { name: 'Rotor', price: 45.5 } })).statusCode, 200)
  const repriced = await get({ 'if-none-match': etag0 })
  t.equal(repriced.statusCode, 200, 'the old ETag no longer gets a 304 after a price change')
  t.match(repriced.json<ServiceTicket>(), { version: 3, parts: [{ part_id: rotor, price: 45.5, line_total: 91 }], parts_total: 91, total: 91, grand_total: 91 })
  const etag1 = String(repriced.headers.etag)
  t.not(etag1, etag0, 'a new ETag')
  t.match(etag1, etagAt(ticket.id, 3), 'the same version')
  t.equal((await get({ 'if-none-match': etag1 })).statusCode, 304, 'and the new one gets a 304')

  const rates = async (partsTaxRate: number) => await call('updateShopSettings', { method: 'PUT', url: '/shop/settings', headers: boss, payload: { labor_rate: 100, parts_tax_rate: partsTaxRate, labor_tax_rate: 0 } })
  t.equal((await rates(0.1)).statusCode, 200)
  t.teardown(async () => { await rates(0) })
  const taxed = await get({ 'if-none-match': etag1 })
  t.equal(taxed.statusCode, 200, 'the old ETag no longer gets a 304 after a tax rate change')
  const now = taxed.json<ServiceTicket>()
  t.match(now, { version: 3, parts_total: 91, tax: 9.1, grand_total: 100.1 })
  const etag2 = String(taxed.headers.etag)
  t.not(etag2, etag1)
  t.match(etag2, etagAt(ticket.id, 3))
  t.equal(await eventCount(ticket.id), events, 'neither change is a ticket write: no event')

  const renamed = await call('updateMechanic', { method: 'PUT', url: `/mechanics/${helper.id}`, headers: boss, payload: { name: 'Ada Spanner', email: helper.email, phone: '+1 555 0200', salary: 50000 } })
  t.equal(renamed.statusCode, 200, renamed.body)
  const etag3 = String((await get()).headers.etag)
  t.not(etag3, etag2, 'a mechanic\'s new name moves it too')
  t.match(etag3, etagAt(ticket.id, 3))
  const current = await get()
  t.equal(current.headers.etag, etag3, 'and it holds while nothing changes')

  for (const old of [etag0, etag1, etag2]) {
    const put = await call('updateServiceTicket', { method: 'PUT', url: `/service-tickets/${ticket.id}`, headers: { ...boss, 'if-match': old }, payload: { vin: VIN, service_date: '2026-12-04', service_desc: 'Stale' } })
    t.equal(put.statusCode, 412, 'a write with an ETag from before the change is refused')
    const approval = await call('recordTicketApproval', { method: 'POST', url: `/service-tickets/${ticket.id}/approval`, headers: { ...boss, 'if-match': old }, payload: { decision: 'approve' } })
    t.equal(approval.statusCode, 412, 'so is a status change')
    const removal = await call('removeTicketPart', { method: 'DELETE', url: `/service-tickets/${ticket.id}/parts/${rotor}`, headers: { ...boss, 'if-match': old } })
    t.equal(removal.statusCode, 412, 'and a line write')
  }
  t.same((await get()).json<ServiceTicket>(), current.json<ServiceTicket>(), 'nothing changed')
  t.equal(await eventCount(ticket.id), events)

  const put = await call('updateServiceTicket', { method: 'PUT', url: `/service-tickets/${ticket.id}`, headers: { ...boss, 'if-match': etag3 }, payload: { vin: VIN, service_date: '2026-12-04', service_desc: 'Fresh' } })
  t.equal(put.statusCode, 200, 'the current ETag goes through')
  t.match(put.json<ServiceTicket>(), { version: 4, service_desc: 'Fresh', tax: 9.1 })
  t.match(put.headers.etag, etagAt(ticket.id, 4))
  t.equal(put.headers.etag, (await get()).headers.etag, 'the new ETag is the next GET\'s')
  const approved = await call('recordTicketApproval', { method: 'POST', url: `/service-tickets/${ticket.id}/approval`, headers: { ...boss, 'if-match': String(put.headers.etag) }, payload: { decision: 'approve' } })
  t.match(approved.json<ServiceTicket>(), { status: 'approved', version: 5, authorized_total: 91 })
  t.equal(approved.headers.etag, (await get()).headers.etag)
  const removed = await call('removeTicketPart', { method: 'DELETE', url: `/service-tickets/${ticket.id}/parts/${rotor}`, headers: { ...boss, 'if-match': String(approved.headers.etag) } })
  t.equal(removed.statusCode, 204)
  t.equal(removed.headers.etag, (await get()).headers.etag, 'a 204 answers the ETag of the state after it')
})

t.test('deleting the mechanic of a labor line moves the ETag: the line loses its mechanic', async (t) => {
  const fitter = await createMechanic(app, { name: 'Labor Only' })
  const ticket = await openTicket()
  const added = await call('addTicketLabor', { method: 'POST', url: `/service-tickets/${ticket.id}/labor`, headers: boss, payload: { description: 'Fit the rotors', hours: 1, mechanic_id: fitter.id } })
  t.equal(added.statusCode, 201, added.body)
  const before = await call('getServiceTicket', { method: 'GET', url: `/service-tickets/${ticket.id}`, headers: boss })
  t.match(before.json<ServiceTicket>(), { labor: [{ mechanic_id: fitter.id }] })
  t.equal((await call('deleteMechanic', { method: 'DELETE', url: `/mechanics/${fitter.id}`, headers: boss })).statusCode, 204)
  const after = await call('getServiceTicket', { method: 'GET', url: `/service-tickets/${ticket.id}`, headers: { ...boss, 'if-none-match': String(before.headers.etag) } })
  t.equal(after.statusCode, 200, 'no 304 with the ETag from before')
  t.match(after.json<ServiceTicket>(), { version: before.json<ServiceTicket>().version, labor: [{ mechanic_id: null }] })
  t.not(after.headers.etag, before.headers.etag)
})

t.test('the history: one event per successful write, with the actor, oldest first', async (t) => {
  const ticket = await openTicket()
  await call('addTicketPart', { method: 'POST', url: `/service-tickets/${ticket.id}/parts`, headers: boss, payload: { part_id: partId, quantity: 2 } })
  await call('recordTicketApproval', { method: 'POST', url: `/service-tickets/${ticket.id}/approval`, headers: auth(customer.token), payload: { decision: 'approve' } })
  await transition(ticket.id, 'completed') // refused: adds nothing
  await transition(ticket.id, 'in_progress')
  await call('editTicketMechanics', { method: 'PUT', url: `/service-tickets/${ticket.id}/edit`, headers: boss, payload: { add_ids: [mechanic.id] } })
  const res = await call('listTicketEvents', { method: 'GET', url: `/service-tickets/${ticket.id}/events`, headers: auth(customer.token) })
  const page = res.json<EventPage>()
  t.same(page.data.map((e) => e.type), ['created', 'part_added', 'approved', 'status_changed', 'mechanics_changed'])
  t.match(page.data[2], { actor: { role: 'customer', id: customer.id }, data: { from: 'estimate', to: 'approved', authorized_total: 49 } })
  t.match(page.data[4], { data: { added: [], removed: [] } })
  t.same(page.data.map((e) => e.id), [...page.data.map((e) => e.id)].sort((a, b) => a - b))
  t.equal((await read(ticket.id)).version, 5, 'five writes, version 5')
  t.equal((await app.inject({ method: 'GET', url: `/service-tickets/${ticket.id}/events`, headers: auth(stranger.token) })).statusCode, 404)
})

t.test('list filters, kept in the Link header', async (t) => {
  const other = await signUpCustomer(app)
  const a = await openTicket()
  const b = await openTicket()
  await transition(b.id, 'cancelled')
  const c = (await call('createServiceTicket', { method: 'POST', url: '/service-tickets', headers: boss, payload: { customer_id: other.id, vin: VIN, service_date: '2026-12-01', service_desc: 'X' } })).json<ServiceTicket>()
  const ids = async (url: string, headers = boss, operationId = 'listServiceTickets') => {
    const res = await call(operationId, { method: 'GET', url, headers })
    t.equal(res.statusCode, 200, url)
    return res.json<TicketPage>().data.map((x) => x.id)
  }
  t.same(await ids(`/service-tickets?customer_id=${other.id}`), [c.id])
  t.same(await ids(`/service-tickets?vehicle_id=${a.vehicle_id}&status=estimate&per_page=100`).then((x) => x.filter((id) => [a.id, b.id].includes(id))), [a.id])
  t.same(await ids(`/service-tickets?vehicle_id=${a.vehicle_id}&status=cancelled,estimate&per_page=100`).then((x) => x.filter((id) => [a.id, b.id].includes(id))), [b.id, a.id])
  const mine = await ids(`/mechanics/my-tickets?status=cancelled&vehicle_id=${a.vehicle_id}`, auth(mechanic.token), 'listMyMechanicTickets')
  t.ok(mine.includes(b.id) && !mine.includes(a.id))
  t.same(await ids(`/customers/my-tickets?customer_id=${other.id}`, auth(customer.token), 'listMyCustomerTickets'), [], 'a customer cannot widen their own list')
  t.same(await ids(`/service-tickets?mechanic_id=${mechanic.id}&customer_id=${other.id}`), [])
  const res = await call('listServiceTickets', { method: 'GET', url: `/service-tickets?status=estimate&customer_id=${customer.id}&per_page=1`, headers: boss })
  t.match(res.headers.link, /status=estimate/)
  t.match(res.headers.link, new RegExp(`customer_id=${customer.id}`))
  const bad = await call('listServiceTickets', { method: 'GET', url: '/service-tickets?status=lost', headers: boss })
  t.equal(bad.statusCode, 400)
})

t.test('races on PostgreSQL', { skip: usingPostgres() ? false : 'PGlite runs one statement at a time: races need PostgreSQL' }, async (t) => {
  t.test('20 concurrent transitions from one state: exactly one wins', async (t) => {
    const ticket = await ticketIn('approved')
    const answers = await Promise.all(Array.from({ length: 20 }, () => transition(ticket.id, 'in_progress')))
    t.same(answers.map((r) => r.statusCode).sort(), [200, ...Array<number>(19).fill(409)])
    t.equal((await read(ticket.id)).version, ticket.version + 1)
  })

  t.test('20 concurrent PUTs with the same If-Match: exactly one 200', async (t) => {
    const ticket = await ticketIn('in_progress')
    const etag = await etagOf(ticket.id)
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => app.inject({
      method: 'PUT', url: `/service-tickets/${ticket.id}`, headers: { ...boss, 'if-match': etag },
      payload: { vin: VIN, service_date: '2026-12-05', service_desc: `Writer ${i}` },
    })))
    t.same(answers.map((r) => r.statusCode).sort(), [200, ...Array<number>(19).fill(412)])
    t.equal((await read(ticket.id)).version, ticket.version + 1)
  })

  t.test('part adds racing a cancel: none lands after it, and the quantities are the successful adds', async (t) => {
    const ticket = await openTicket()
    const adds = Array.from({ length: 20 }, () => app.inject({ method: 'POST', url: `/service-tickets/${ticket.id}/parts`, headers: boss, payload: { part_id: partId, quantity: 1 } }))
    const cancel = transition(ticket.id, 'cancelled')
    const answers = await Promise.all(adds)
    t.equal((await cancel).statusCode, 200)
    const ok = answers.filter((r) => r.statusCode === 200).length
    t.ok(answers.every((r) => r.statusCode === 200 || r.statusCode === 409), 'each add either landed or met the lock')
    const after = await read(ticket.id)
    t.equal(after.parts[0]?.quantity ?? 0, ok, 'the quantity is the number of successful adds')
    const events = (await app.inject({ method: 'GET', url: `/service-tickets/${ticket.id}/events?per_page=100`, headers: boss })).json<EventPage>().data
    const cancelledAt = events.findIndex((e) => e.type === 'status_changed')
    t.equal(events.slice(cancelledAt + 1).filter((e) => e.type === 'part_added').length, 0, 'no add after the cancel')
    t.equal(events.filter((e) => e.type === 'part_added').length, ok)
  })
})
