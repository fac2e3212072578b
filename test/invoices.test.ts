// Invoices and payments: issuing only from completed, the frozen snapshot, exact amounts, gapless
// numbers, voiding, partial payments to paid, the refusals (each changing nothing), idempotent
// payments, the list and who may read an invoice; on PostgreSQL, the races the locks exist for.
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import type { components } from '../generated/api.js'
import { TICKET_STATUSES, TRANSITIONS } from '../src/lib/ticket-workflow.js'
import { auth, buildTestApp, changedTables, createMechanic, injectChecked, mechanicToken, problemWithStatus, signUpCustomer, snapshot, usingPostgres } from './helpers.js'

type Invoice = components['schemas']['Invoice']
type InvoicePage = components['schemas']['InvoicePage']
type ServiceTicket = components['schemas']['ServiceTicket']
type EventPage = components['schemas']['TicketEventPage']

const VIN = '1HGCM82633A004352'

const app: FastifyInstance = await buildTestApp(t)
const boss = auth(await mechanicToken(app))
const customer = await signUpCustomer(app, { name: 'Ada Lovelace' })
const stranger = await signUpCustomer(app)
const mechanic = await createMechanic(app)
const call = (operationId: string, options: InjectOptions) => injectChecked(app, operationId, options)

const createPart = async (name: string, price: number): Promise<number> =>
  (await call('createPart', { method: 'POST', url: '/inventory', headers: boss, payload: { name, price } })).json<{ id: number }>().id
const pads = await createPart('Brake pad set', 24.5)
const filter = await createPart('Oil filter', 7.5)

const setRates = async (parts: number, labor = 0): Promise<void> => {
  const res = await call('updateShopSettings', { method: 'PUT', url: '/shop/settings', headers: boss, payload: { labor_rate: 100, parts_tax_rate: parts, labor_tax_rate: labor } })
  if (res.statusCode !== 200) throw new Error(res.body)
}

const readTicket = async (id: number): Promise<ServiceTicket> =>
  (await call('getServiceTicket', { method: 'GET', url: `/service-tickets/${id}`, headers: boss })).json<ServiceTicket>()

/** The ticket's current ETag, as a GET answers it. */
const ticketETag = async (id: number): Promise<string> =>
  String((await call('getServiceTicket', { method: 'GET', url: `/service-tickets/${id}`, headers: boss })).headers.etag)

const events = async (id: number) =>
  (await call('listTicketEvents', { method: 'GET', url: `/service-tickets/${id}/events?per_page=100`, headers: boss })).json<EventPage>().data

/** A ticket of `customer` with these part lines, put in `status` directly (the table is about the status, not the way there). */
interface Labor { description: string, hours: number, rate: number }

async function ticketIn (status: ServiceTicket['status'], lines: Array<[number, number]> = [[pads, 3], [filter, 1]], owner = customer.id, labor: Labor[] = []): Promise<ServiceTicket> {
  const created = await call('createServiceTicket', { method: 'POST', url: '/service-tickets', headers: boss, payload: { customer_id: owner, vin: VIN, service_date: '2026-12-01', service_desc: 'Brakes', odometer_in: 84210, mechanic_ids: [mechanic.id] } })
  if (created.statusCode !== 201) throw new Error(created.body)
  const id = created.json<ServiceTicket>().id
  for (const [part, quantity] of lines) {
    const res = await call('addTicketPart', { method: 'POST', url: `/service-tickets/${id}/parts`, headers: boss, payload: { part_id: part, quantity } })
    if (res.statusCode !== 200) throw new Error(res.body)
  }
  for (const line of labor) {
    const res = await call('addTicketLabor', { method: 'POST', url: `/service-tickets/${id}/labor`, headers: boss, payload: { ...line, mechanic_id: mechanic.id } })
    if (res.statusCode !== 201) throw new Error(res.body)
  }
  await app.db.updateTable('service_tickets').set({ status, odometer_out: 84235 }).where('id', '=', id).execute()
  return await readTicket(id)
}

const issue = (ticketId: number, headers: Record<string, string> = {}) =>
  call('issueInvoice', { method: 'POST', url: `/service-tickets/${ticketId}/invoice`, headers: { ...boss, ...headers } })
const getInvoice = (id: number, headers: Record<string, string> = boss) =>
  call('getInvoice', { method: 'GET', url: `/invoices/${id}`, headers })
/** `key` null: no Idempotency-Key at all. */
const pay = (invoiceId: number, payload: Record<string, unknown>, key: string | null = randomUUID()) =>
  call('recordInvoicePayment', { method: 'POST', url: `/invoices/${invoiceId}/payments`, headers: { ...boss, ...(key === null ? {} : { 'idempotency-key': key }) }, payload })
const voidIt = (invoiceId: number) => call('voidInvoice', { method: 'POST', url: `/invoices/${invoiceId}/void`, headers: boss })

async function issued (lines?: Array<[number, number]>): Promise<Invoice> {
  const ticket = await ticketIn('completed', lines)
  const res = await issue(ticket.id)
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json<Invoice>()
}

/** Sends `request` and checks that it changed no table at all. */
async function refused (t: Test, request: () => Promise<LightMyRequestResponse>, status: number): Promise<ReturnType<typeof problemWithStatus>> {
  const before = await snapshot(app.db)
  const res = await request()
  const problem = problemWithStatus(t, res, status)
  t.same(changedTables(before, await snapshot(app.db)), [], 'nothing changed')
  return problem
}

t.test('issuing: only from completed; 201, Location, the ticket invoiced with its new ETag and one event', async (t) => {
  await setRates(0.0825)
  for (const status of TICKET_STATUSES.filter((s) => s !== 'completed')) {
    const ticket = await ticketIn(status)
    const problem = await refused(t, () => issue(ticket.id), 409)
    t.match(problem, { type: '/problems/illegal-transition', from: status, to: 'invoiced', allowed: [...TRANSITIONS[status]] }, `${status}: 409`)
  }
  const ticket = await ticketIn('completed', undefined, undefined, [{ description: 'Replace the front brake pads', hours: 1.5, rate: 120 }])
  const current = await ticketETag(ticket.id)
  const stale = await refused(t, () => issue(ticket.id, { 'if-match': current.replace(`-v${ticket.version}-`, `-v${ticket.version - 1}-`) }), 412)
  t.equal(stale.type, '/problems/precondition-failed')
  t.equal((await refused(t, () => issue(2147483647), 404)).status, 404)

  const res = await issue(ticket.id, { 'if-match': current })
  t.equal(res.statusCode, 201)
  const invoice = res.json<Invoice>()
  t.equal(res.headers.location, `/invoices/${invoice.id}`)
  const after = await readTicket(ticket.id)
  t.equal(after.status, 'invoiced')
  t.equal(after.version, ticket.version + 1, 'version + 1')
  t.match(res.headers.etag, new RegExp(`^"ticket-${ticket.id}-v${after.version}-[0-9a-f]{16}"$`))
  t.equal(res.headers.etag, await ticketETag(ticket.id), 'the ticket\'s new ETag, the one the next GET answers')
  t.match((await events(ticket.id)).at(-1), { type: 'invoiced', actor: { role: 'mechanic' }, data: { from: 'completed', to: 'invoiced', invoice_id: invoice.id, number: invoice.number, total: invoice.total } })
  t.strictSame(invoice, {
    id: invoice.id,
    number: invoice.number,
    ticket_id: ticket.id,
    status: 'open',
    issued_at: invoice.issued_at,
    customer: { id: customer.id, name: 'Ada Lovelace', email: customer.email, phone: customer.phone },
    vehicle: { id: ticket.vehicle_id, vin: VIN, year: null, make: null, model: null, license_plate: null },
    odometer_in: 84210,
    odometer_out: 84235,
    parts: [
      { part_id: pads, name: 'Brake pad set', price: 24.5, quantity: 3, line_total: 73.5 },
      { part_id: filter, name: 'Oil filter', price: 7.5, quantity: 1, line_total: 7.5 },
    ],
    labor: [{ id: invoice.labor[0]?.id ?? 0, description: 'Replace the front brake pads', hours: 1.5, rate: 120, line_total: 180, mechanic_id: mechanic.id }],
    parts_total: 81,
    labor_total: 180,
    parts_tax_rate: 0.0825,
    labor_tax_rate: 0,
    tax: 6.68, // 81 × 0.0825 = 6.6825
    total: 267.68,
    amount_paid: 0,
    balance_due: 267.68,
    payments: [],
  })
  t.equal(invoice.total, after.grand_total, 'the total is the ticket\'s grand total')
  t.strictSame((await getInvoice(invoice.id)).json(), invoice, 'GET answers the same')
  t.equal((await issue(ticket.id)).statusCode, 409, 'an invoiced ticket is not invoiced twice')
  const locked = await call('updateServiceTicket', { method: 'PUT', url: `/service-tickets/${ticket.id}`, headers: boss, payload: { vin: VIN, service_date: '2026-12-03', service_desc: 'Changed' } })
  t.match(locked.json(), { type: '/problems/ticket-locked' }, 'the invoiced ticket is locked')
})

t.test('tax: each product rounded half-up to the cent, exact at the largest ticket', async (t) => {
  await setRates(0.005)
  const cent = await createPart('Washer', 1)
  t.match(await issued([[cent, 1]]), { parts_total: 1, tax: 0.01, total: 1.01 }, '1.00 × 0.005 = 0.005 → 0.01')
  const big = await createPart('Engine', 99999999.99)
  await setRates(0.0825)
  const invoice = await issued([[big, 1000]])
  // 99,999,999.99 × 1000 = 99,999,999,990.00; × 0.0825 = 8,249,999,999.175 → 8,249,999,999.18
  t.match(invoice, { parts_total: 99999999990, tax: 8249999999.18, total: 108249999989.18, balance_due: 108249999989.18 })
})

t.test('the snapshot does not follow later changes to the part, the rates, the customer or the vehicle', async (t) => {
  await setRates(0.0825)
  const owner = await signUpCustomer(app, { name: 'Before Rename' })
  const part = await createPart('Spark plug', 9.99)
  const ticket = await ticketIn('completed', [[part, 4]], owner.id, [{ description: 'Swap the plugs', hours: 0.3, rate: 99.99 }])
  const vehicle = (await call('updateVehicle', { method: 'PUT', url: `/vehicles/${ticket.vehicle_id}`, headers: boss, payload: { customer_id: owner.id, vin: VIN, year: 2003, make: 'Honda', model: 'Accord', license_plate: 'ABC-1234' } })).json<{ id: number }>()
  const invoice = (await issue(ticket.id)).json<Invoice>()
  t.match(invoice.vehicle, { id: vehicle.id, make: 'Honda', license_plate: 'ABC-1234' })
  const before = (await getInvoice(invoice.id)).body

  t.equal((await call('updatePart', { method: 'PUT', url: `/inventory/${part}`, headers: boss, payload: { name: 'Iridium spark plug', price: 19.99 } })).statusCode, 200)
  await setRates(0.2, 0.1)
  t.equal((await call('updateCustomer', { method: 'PUT', url: `/customers/${owner.id}`, headers: boss, payload: { name: 'After Rename', email: `renamed-${randomUUID().slice(0, 8)}@example.com`, phone: '+1 555 0199' } })).statusCode, 200)
  t.equal((await call('updateVehicle', { method: 'PUT', url: `/vehicles/${ticket.vehicle_id}`, headers: boss, payload: { customer_id: owner.id, vin: VIN, year: 2004, make: 'Acura', model: 'TSX', license_plate: 'XYZ-9' } })).statusCode, 200)

  t.equal((await getInvoice(invoice.id)).body, before, 'the same JSON, byte for byte')
  // 0.3 h × 99.99 = 29.997 → 30.00; 39.96 × 0.0825 = 3.2967 → 3.30; labor untaxed then.
  t.match(invoice, { customer: { name: 'Before Rename' }, parts: [{ name: 'Spark plug', price: 9.99, line_total: 39.96 }], labor: [{ hours: 0.3, rate: 99.99, line_total: 30 }], parts_tax_rate: 0.0825, labor_tax_rate: 0, tax: 3.3, total: 73.26 })
  // The ticket itself follows the new price and rates: 4 × 19.99 = 79.96 × 0.2 = 15.99, plus 30 × 0.1 = 3.00.
  t.equal((await readTicket(ticket.id)).tax, 18.99, 'while the ticket follows the new price and rates')
})

t.test('voiding: the ticket back to completed, the number kept, a new one when invoiced again', async (t) => {
  await setRates(0)
  const first = await issued()
  const ticket = await readTicket(first.ticket_id)
  const res = await voidIt(first.id)
  t.equal(res.statusCode, 200)
  t.match(res.json(), { id: first.id, number: first.number, status: 'void', total: first.total })
  const after = await readTicket(first.ticket_id)
  t.equal(after.status, 'completed')
  t.equal(after.version, ticket.version + 1)
  t.match((await events(first.ticket_id)).at(-1), { type: 'invoice_voided', data: { from: 'invoiced', to: 'completed', invoice_id: first.id, number: first.number } })

  t.equal((await refused(t, () => voidIt(first.id), 409)).type, '/problems/invoice-not-open', 'void twice: 409')
  t.equal((await refused(t, () => pay(first.id, { amount: 1, method: 'cash' }), 409)).type, '/problems/invoice-not-open', 'a void invoice takes no payment')

  const second = (await issue(first.ticket_id)).json<Invoice>()
  t.ok(second.number > first.number, 'invoiced again under a new number')
  t.match((await getInvoice(first.id)).json(), { number: first.number, status: 'void' }, 'the voided invoice keeps its own')

  t.equal((await pay(second.id, { amount: 10, method: 'card' })).statusCode, 201)
  const problem = await refused(t, () => voidIt(second.id), 409)
  t.equal(problem.type, '/problems/invoice-has-payments', 'an invoice with payments cannot be voided')
  t.equal((await refused(t, () => voidIt(2147483647), 404)).status, 404)

  // A ticket whose invoice was voided may be reopened, cancelled and deleted; the invoice stays.
  const gone = await issued()
  t.equal((await voidIt(gone.id)).statusCode, 200)
  const reopen = await call('transitionServiceTicket', { method: 'POST', url: `/service-tickets/${gone.ticket_id}/transitions`, headers: boss, payload: { to: 'in_progress' } })
  t.equal(reopen.statusCode, 200)
  t.equal((await call('deleteServiceTicket', { method: 'DELETE', url: `/service-tickets/${gone.ticket_id}`, headers: boss })).statusCode, 204)
  t.match((await getInvoice(gone.id)).json(), { id: gone.id, number: gone.number, status: 'void' }, 'a record of what was billed')
  t.equal((await getInvoice(gone.id, auth(customer.token))).statusCode, 200, 'still its customer\'s')
})

t.test('partial payments up to paid; refusals change nothing', async (t) => {
  await setRates(0.0825)
  const invoice = await issued() // 87.68
  const ticket = await readTicket(invoice.ticket_id)

  t.equal((await refused(t, () => pay(invoice.id, { amount: 87.69, method: 'cash' }), 409)).type, '/problems/payment-exceeds-balance')
  t.match(await refused(t, () => pay(invoice.id, { amount: 87.69, method: 'cash' }), 409), { balance_due: 87.68 }, 'carries balance_due')
  for (const amount of [0, -5, 1.001]) await refused(t, () => pay(invoice.id, { amount, method: 'cash' }), 400)
  await refused(t, () => pay(invoice.id, { amount: 5, method: 'barter' }), 400)
  await refused(t, () => pay(invoice.id, { amount: 5, method: 'cash' }, null), 400)
  await refused(t, () => pay(2147483647, { amount: 5, method: 'cash' }), 404)

  const one = await pay(invoice.id, { amount: 50, method: 'card', reference: 'AUTH-1' })
  t.equal(one.statusCode, 201)
  t.equal(one.headers.location, `/invoices/${invoice.id}`)
  const partly = one.json<Invoice>()
  t.match(partly, { status: 'open', amount_paid: 50, balance_due: 37.68, payments: [{ amount: 50, method: 'card', reference: 'AUTH-1' }] })
  t.equal((await readTicket(invoice.ticket_id)).status, 'invoiced')
  t.equal((await readTicket(invoice.ticket_id)).version, ticket.version + 1, 'every payment raises the version')
  t.match((await events(invoice.ticket_id)).at(-1), { type: 'payment_received', data: { invoice_id: invoice.id, amount: 50, method: 'card', balance_due: 37.68 } })
  t.notOk('to' in ((await events(invoice.ticket_id)).at(-1)?.data ?? {}), 'a partial payment changes no status')

  t.match((await refused(t, () => pay(invoice.id, { amount: 37.69, method: 'cash' }), 409)), { type: '/problems/payment-exceeds-balance', balance_due: 37.68 })
  const two = await pay(invoice.id, { amount: 37.68, method: 'check', reference: 'CHK-100' })
  t.match(two.json(), { status: 'paid', amount_paid: 87.68, balance_due: 0 })
  t.equal(two.json<Invoice>().payments.length, 2)
  const paid = await readTicket(invoice.ticket_id)
  t.equal(paid.status, 'paid')
  t.equal(paid.version, ticket.version + 2)
  t.match((await events(invoice.ticket_id)).at(-1), { type: 'payment_received', data: { from: 'invoiced', to: 'paid', balance_due: 0 } })

  t.equal((await refused(t, () => pay(invoice.id, { amount: 0.01, method: 'cash' }), 409)).type, '/problems/invoice-not-open', 'a paid invoice takes no payment')
  t.equal((await refused(t, () => voidIt(invoice.id), 409)).type, '/problems/invoice-not-open', 'a paid invoice cannot be voided')
  t.equal((await call('deleteServiceTicket', { method: 'DELETE', url: `/service-tickets/${invoice.ticket_id}`, headers: boss })).statusCode, 409, 'a paid ticket cannot be deleted')
})

t.test('a ticket that costs nothing is invoiced paid', async (t) => {
  const invoice = await issued([])
  t.match(invoice, { status: 'paid', total: 0, amount_paid: 0, balance_due: 0 })
  t.equal((await readTicket(invoice.ticket_id)).status, 'paid')
})

t.test('payments are idempotent: replay, another body, missing key', async (t) => {
  await setRates(0)
  const invoice = await issued() // 81.00
  const key = randomUUID()
  const one = await pay(invoice.id, { amount: 20, method: 'cash' }, key)
  t.equal(one.statusCode, 201)
  t.equal(one.headers['idempotent-replayed'], undefined)
  const two = await pay(invoice.id, { method: 'cash', amount: 20 }, key)
  t.equal(two.statusCode, 201)
  t.equal(two.headers['idempotent-replayed'], 'true')
  t.equal(two.headers.location, one.headers.location)
  t.strictSame(two.json(), one.json())
  t.match((await getInvoice(invoice.id)).json(), { amount_paid: 20, payments: [{ amount: 20 }] }, 'booked once')
  t.equal((await pay(invoice.id, { amount: 25, method: 'cash' }, key)).statusCode, 422, 'the same key with another body')
  const missing = await pay(invoice.id, { amount: 5, method: 'cash' }, null)
  t.match(problemWithStatus(t, missing, 400).errors, [{ name: /idempotency-key/i, in: 'header' }])
  t.match((await getInvoice(invoice.id)).json(), { amount_paid: 20 })

  const ticket = await ticketIn('completed')
  const issueKey = randomUUID()
  const first = await issue(ticket.id, { 'idempotency-key': issueKey })
  const again = await issue(ticket.id, { 'idempotency-key': issueKey })
  t.equal(again.headers['idempotent-replayed'], 'true', 'issuing takes a key too')
  t.strictSame(again.json(), first.json())
  t.equal(again.headers.location, first.headers.location)
})

t.test('GET /invoices: mechanics only, newest first, filters kept in Link; an invoice is its customer\'s', async (t) => {
  const other = await signUpCustomer(app)
  const mine = await issued()
  const paidOne = (await issue((await ticketIn('completed', [[filter, 1]], other.id)).id)).json<Invoice>()
  await pay(paidOne.id, { amount: paidOne.total, method: 'cash' })
  const list = async (query: string) => {
    const res = await call('listInvoices', { method: 'GET', url: `/invoices${query}`, headers: boss })
    t.equal(res.statusCode, 200, query)
    return res
  }
  const all = (await list('?per_page=100')).json<InvoicePage>()
  t.ok(all.data.length >= 2)
  t.same(all.data.map((i) => i.id), [...all.data.map((i) => i.id)].sort((a, b) => b - a), 'newest first')
  t.same((await list(`?customer_id=${other.id}`)).json<InvoicePage>().data.map((i) => i.id), [paidOne.id])
  t.same((await list(`?customer_id=${other.id}&status=open`)).json<InvoicePage>().data, [])
  t.same((await list(`?customer_id=${other.id}&status=open,paid`)).json<InvoicePage>().data.map((i) => i.id), [paidOne.id])
  const open = (await list('?status=open&per_page=100')).json<InvoicePage>()
  t.ok(open.data.every((i) => i.status === 'open') && open.data.some((i) => i.id === mine.id))
  const paged = await list(`?status=paid&customer_id=${other.id}&per_page=1`)
  t.match(paged.headers.link, /status=paid/)
  t.match(paged.headers.link, new RegExp(`customer_id=${other.id}`))
  t.equal((await call('listInvoices', { method: 'GET', url: '/invoices?status=late', headers: boss })).statusCode, 400)
  t.equal((await call('listInvoices', { method: 'GET', url: '/invoices', headers: auth(customer.token) })).statusCode, 403)

  t.equal((await getInvoice(mine.id, auth(customer.token))).statusCode, 200, 'the customer billed reads it')
  t.equal((await getInvoice(mine.id, auth(stranger.token))).statusCode, 404, 'another customer learns nothing')
  t.equal((await getInvoice(2147483647)).statusCode, 404)
})

t.test('races on PostgreSQL', { skip: usingPostgres() ? false : 'PGlite runs one statement at a time: races need PostgreSQL' }, async (t) => {
  t.test('30 concurrent issues on 30 tickets: 30 numbers with no gap', async (t) => {
    const tickets = await Promise.all(Array.from({ length: 30 }, async () => await ticketIn('completed', [[filter, 1]])))
    const answers = await Promise.all(tickets.map((ticket) => issue(ticket.id)))
    t.same(answers.map((a) => a.statusCode), Array<number>(30).fill(201))
    const numbers = answers.map((a) => a.json<Invoice>().number).sort((a, b) => a - b)
    const lowest = numbers[0] ?? 0
    t.same(numbers, Array.from({ length: 30 }, (_, i) => lowest + i), 'distinct and consecutive')
    const { max } = await app.db.selectFrom('invoices').select((eb) => eb.fn.max('number').as('max')).executeTakeFirstOrThrow()
    const { n } = await app.db.selectFrom('invoices').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
    t.equal(Number(max), Number(n), 'every number from 1 to the highest is used exactly once')
  })

  t.test('20 concurrent payments of 20.00 on 100.00: exactly 5 succeed', async (t) => {
    await setRates(0)
    const invoice = await issued([[await createPart('Hundred', 100), 1]])
    t.equal(invoice.total, 100)
    const before = await readTicket(invoice.ticket_id)
    const answers = await Promise.all(Array.from({ length: 20 }, () => pay(invoice.id, { amount: 20, method: 'card' })))
    t.same(answers.map((a) => a.statusCode).sort(), [...Array<number>(5).fill(201), ...Array<number>(15).fill(409)])
    t.ok(answers.filter((a) => a.statusCode === 409).every((a) => a.json<{ type: string }>().type !== '/problems/idempotency-key-in-use'))
    const after = (await getInvoice(invoice.id)).json<Invoice>()
    t.match(after, { status: 'paid', amount_paid: 100, balance_due: 0 })
    t.equal(after.payments.length, 5)
    const ticket = await readTicket(invoice.ticket_id)
    t.equal(ticket.status, 'paid')
    t.equal(ticket.version, before.version + 5, 'one version per payment')
    t.equal((await events(invoice.ticket_id)).filter((e) => e.type === 'payment_received').length, 5)
  })

  t.test('the same key sent 10 times at once: one payment, the rest replays or 409', async (t) => {
    await setRates(0)
    const invoice = await issued([[await createPart('Fifty', 50), 1]])
    const key = randomUUID()
    const answers = await Promise.all(Array.from({ length: 10 }, () => pay(invoice.id, { amount: 20, method: 'cash' }, key)))
    const fresh = answers.filter((a) => a.statusCode === 201 && a.headers['idempotent-replayed'] === undefined)
    const replays = answers.filter((a) => a.statusCode === 201 && a.headers['idempotent-replayed'] === 'true')
    const busy = answers.filter((a) => a.statusCode === 409)
    t.equal(fresh.length, 1, 'one ran')
    t.equal(fresh.length + replays.length + busy.length, 10, 'the others are replays or 409', { statuses: answers.map((a) => a.statusCode) })
    t.ok(busy.every((b) => b.json<{ type: string }>().type === '/problems/idempotency-key-in-use'))
    for (const r of replays) t.strictSame(r.json(), fresh[0]?.json())
    t.match((await getInvoice(invoice.id)).json(), { amount_paid: 20, balance_due: 30, payments: [{ amount: 20 }] }, 'booked once')
  })
})
