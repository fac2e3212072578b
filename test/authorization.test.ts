// Object-level authorization as a matrix: every operation of openapi.yaml × (no token, customer A,
// customer B, a mechanic), each cell against its expected status. The rows are keyed by
// operationId and checked against the contract's operations, so an operation added to
// openapi.yaml without a row here fails this test. Ids in paths point at customer A's things.
// Each cell runs on a world of its own (fresh rows), so deletes and updates cannot disturb the
// cells after them, and every refused cell must leave every table exactly as it was.
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { type Account, buildTestApp, changedTables, customerAccount, expectContract, fillPath, FIXTURE_PASSWORD, laborLine, mechanicAccount, type Operation, operations, part, snapshot, ticket } from './helpers.js'
import { issueInvoice } from '../src/db/invoices.js'
import { countStock } from '../src/db/stock.js'
import { insertVehicle, vehicleForVin } from '../src/db/vehicles.js'

const CALLERS = ['none', 'customerA', 'customerB', 'mechanic'] as const
type Caller = (typeof CALLERS)[number]

interface World {
  /** The customer whose things the paths point at. */
  A: Account
  /** Another customer: must get 403 or 404 on everything of A's. */
  B: Account
  /** The calling mechanic. */
  M: Account
  /** The mechanic that mechanic paths point at; assigned to A's ticket. */
  mechanic: Account
  /** A's ticket, with `mechanic` assigned, `part` and `line` on it. */
  ticket: number
  /** A labor line on A's ticket, credited to `mechanic`. */
  line: number
  part: number
  /** A part on no ticket. */
  freePart: number
  /** A's vehicle, which A's ticket is for. */
  vehicle: number
  /** A vehicle of A's that no ticket references. */
  freeVehicle: number
  /** An open invoice of A's (for another ticket of A's), when the row asks for one. */
  invoice?: number
}

interface WorldOptions {
  /** Whose ticket the world's ticket is: deleting customer A needs A without tickets (else 409). */
  ticketOwner?: 'A' | 'B'
  /** Count `part` into stock, so it is tracked (receipts need that). */
  stockCounted?: boolean
  /** The world's ticket is completed, so it can be invoiced. */
  ticketCompleted?: boolean
  /** Issue an open invoice for another completed ticket of A's. */
  invoice?: boolean
}

interface Row {
  expect: Record<Caller, number>
  /** Path parameters; the defaults point at A's things (see `defaultParams`). */
  params?: (w: World) => Record<string, number>
  body?: (w: World) => unknown
  headers?: () => Record<string, string>
  world?: WorldOptions
}

const unique = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}@example.com`
const ticketFields = { vin: '1HGCM82633A004352', service_date: '2026-12-02', service_desc: 'Matrix update' }

const publicOp = (status: number): Record<Caller, number> => ({ none: status, customerA: status, customerB: status, mechanic: status })
const mechanicOnly = (status: number): Record<Caller, number> => ({ none: 401, customerA: 403, customerB: 403, mechanic: status })

/** The expectation table: one row per operationId in openapi.yaml, no more and no fewer. */
const EXPECTED: Record<string, Row> = {
  // Customers
  createCustomer: {
    expect: publicOp(201),
    body: () => ({ name: 'New Customer', email: unique('signup'), phone: '+1 555 0100', password: 'new-customer-pw' }),
  },
  loginCustomer: { expect: publicOp(200), body: (w) => ({ email: w.A.email, password: FIXTURE_PASSWORD }) },
  listCustomers: { expect: mechanicOnly(200) },
  listMyCustomerTickets: { expect: { none: 401, customerA: 200, customerB: 200, mechanic: 403 } },
  getCustomer: { expect: { none: 401, customerA: 200, customerB: 403, mechanic: 200 } },
  updateCustomer: {
    expect: { none: 401, customerA: 200, customerB: 403, mechanic: 200 },
    body: () => ({ name: 'Renamed Customer', email: unique('renamed'), phone: '+1 555 0199' }),
  },
  deleteCustomer: { expect: { none: 401, customerA: 204, customerB: 403, mechanic: 204 }, world: { ticketOwner: 'B' } },
  // Mechanics
  createMechanic: {
    expect: mechanicOnly(201),
    body: () => ({ name: 'New Mechanic', email: unique('mech'), phone: '+1 555 0200', salary: 42000, password: 'new-mechanic-pw' }),
  },
  loginMechanic: { expect: publicOp(200), body: (w) => ({ email: w.M.email, password: FIXTURE_PASSWORD }) },
  listMechanics: { expect: mechanicOnly(200) },
  getMechanicRanking: { expect: mechanicOnly(200) },
  listMyMechanicTickets: { expect: mechanicOnly(200) },
  getMechanic: { expect: mechanicOnly(200) },
  updateMechanic: {
    expect: mechanicOnly(200),
    body: () => ({ name: 'Renamed Mechanic', email: unique('mech-renamed'), phone: '+1 555 0299', salary: 43000.5 }),
  },
  deleteMechanic: { expect: mechanicOnly(204) },
  // Service tickets
  createServiceTicket: {
    expect: mechanicOnly(201),
    body: (w) => ({ customer_id: w.A.id, ...ticketFields, mechanic_ids: [w.mechanic.id] }),
  },
  listServiceTickets: { expect: mechanicOnly(200) },
  // The contract: the owner may read it, another customer gets 404 (ticket ids cannot be probed).
  getServiceTicket: { expect: { none: 401, customerA: 200, customerB: 404, mechanic: 200 } },
  updateServiceTicket: { expect: mechanicOnly(200), body: () => ticketFields },
  deleteServiceTicket: { expect: mechanicOnly(204) },
  editTicketMechanics: { expect: mechanicOnly(200), body: (w) => ({ add_ids: [w.M.id], remove_ids: [w.mechanic.id] }) },
  addTicketPart: { expect: mechanicOnly(200), body: (w) => ({ part_id: w.freePart, quantity: 2 }) },
  removeTicketPart: { expect: mechanicOnly(204) },
  addTicketLabor: { expect: mechanicOnly(201), body: (w) => ({ description: 'Matrix labor', hours: 1.5, rate: 80, mechanic_id: w.M.id }) },
  updateTicketLabor: { expect: mechanicOnly(200), body: () => ({ description: 'Matrix labor, changed', hours: 2 }) },
  removeTicketLabor: { expect: mechanicOnly(204) },
  // The workflow: the owner approves online, a mechanic records an approval; another customer gets 404.
  recordTicketApproval: { expect: { none: 401, customerA: 200, customerB: 404, mechanic: 200 }, body: () => ({ decision: 'approve' }) },
  transitionServiceTicket: { expect: mechanicOnly(200), body: () => ({ to: 'cancelled', reason: 'Matrix cancel' }) },
  listTicketEvents: { expect: { none: 401, customerA: 200, customerB: 404, mechanic: 200 } },
  // Vehicles
  createVehicle: { expect: mechanicOnly(201), body: (w) => ({ customer_id: w.A.id, vin: '3VWFE21C04M000001' }) },
  listVehicles: { expect: mechanicOnly(200) },
  getVehicle: { expect: { none: 401, customerA: 200, customerB: 404, mechanic: 200 } },
  updateVehicle: { expect: mechanicOnly(200), body: (w) => ({ customer_id: w.A.id, vin: '1HGCM82633A004352', make: 'Honda' }) },
  deleteVehicle: { expect: mechanicOnly(204), params: (w) => ({ vehicle_id: w.freeVehicle }) },
  listCustomerVehicles: { expect: { none: 401, customerA: 200, customerB: 403, mechanic: 200 } },
  listVehicleTickets: { expect: { none: 401, customerA: 200, customerB: 404, mechanic: 200 } },
  // Inventory
  createPart: { expect: mechanicOnly(201), body: () => ({ name: 'Matrix part', price: 3.25 }) },
  listParts: { expect: publicOp(200) },
  getPart: { expect: publicOp(200) },
  updatePart: { expect: mechanicOnly(200), body: () => ({ name: 'Renamed part', price: 4.75 }) },
  deletePart: { expect: mechanicOnly(204), params: (w) => ({ part_id: w.freePart }) },
  // Auth: a refresh answers for the refresh token's session, whoever sends it; logout ends the caller's own.
  refreshSession: { expect: publicOp(200), body: (w) => ({ refresh_token: w.A.refreshToken }) },
  endSession: { expect: { none: 401, customerA: 204, customerB: 204, mechanic: 204 } },
  // Stock
  getPartStock: { expect: mechanicOnly(200) },
  countPartStock: { expect: mechanicOnly(200), body: () => ({ on_hand: 5, reorder_point: 2 }) },
  receiveStock: {
    expect: mechanicOnly(201),
    body: () => ({ quantity: 3, reference: 'DN-1' }),
    headers: () => ({ 'idempotency-key': randomUUID() }),
    world: { stockCounted: true },
  },
  listStockMovements: { expect: mechanicOnly(200) },
  listStock: { expect: mechanicOnly(200) },
  // Shop
  getShopSettings: { expect: mechanicOnly(200) },
  // Invoices: an invoice is its customer's to read; another customer gets 404, as for tickets.
  issueInvoice: { expect: mechanicOnly(201), world: { ticketCompleted: true } },
  listInvoices: { expect: mechanicOnly(200), world: { invoice: true } },
  getInvoice: { expect: { none: 401, customerA: 200, customerB: 404, mechanic: 200 }, world: { invoice: true } },
  recordInvoicePayment: {
    expect: mechanicOnly(201),
    body: () => ({ amount: 1, method: 'cash' }),
    headers: () => ({ 'idempotency-key': randomUUID() }),
    world: { invoice: true },
  },
  voidInvoice: { expect: mechanicOnly(200), world: { invoice: true } },
  updateShopSettings: { expect: mechanicOnly(200), body: () => ({ labor_rate: 110, parts_tax_rate: 0.0825, labor_tax_rate: 0 }) },
  // System
  getHealth: { expect: publicOp(200) },
  getLiveness: { expect: publicOp(200) },
  getOpenApi: { expect: publicOp(200) },
  getDocs: { expect: publicOp(200) },
}

const defaultParams = (w: World): Record<string, number> =>
  ({ customer_id: w.A.id, mechanic_id: w.mechanic.id, ticket_id: w.ticket, part_id: w.part, vehicle_id: w.vehicle, line_id: w.line, invoice_id: w.invoice ?? 0 })

async function makeWorld (app: FastifyInstance, opts: WorldOptions = {}): Promise<World> {
  const [A, B, M, mechanic] = [await customerAccount(app, 'Customer A'), await customerAccount(app, 'Customer B'), await mechanicAccount(app, 'Calling Mechanic'), await mechanicAccount(app, 'Target Mechanic')]
  const onTicket = await part(app, 'Brake pad set', 24.5)
  const freePart = await part(app, 'Oil filter', 7.5)
  const owner = opts.ticketOwner === 'B' ? B : A
  const ticketId = await ticket(app, owner.id, { mechanicIds: [mechanic.id], partIds: [onTicket] })
  const line = await laborLine(app, ticketId, { hours: 1.25, rate: 90, mechanic_id: mechanic.id })
  if (opts.stockCounted === true) await countStock(app.db, onTicket, 10, 0, { role: 'mechanic', id: M.id })
  const vehicle = await vehicleForVin(app.db, A.id, '1HGCM82633A004352')
  const freeVehicle = (await insertVehicle(app.db, { customer_id: A.id, vin: '2T1BURHE0JC034461', year: 2018, make: 'Toyota', model: null, license_plate: null })).id
  const complete = async (id: number) => { await app.db.updateTable('service_tickets').set({ status: 'completed' }).where('id', '=', id).execute() }
  if (opts.ticketCompleted === true) await complete(ticketId)
  let invoice: number | undefined
  if (opts.invoice === true) {
    const billed = await ticket(app, A.id, { partIds: [onTicket] })
    await complete(billed)
    invoice = (await app.db.transaction().execute((trx) => issueInvoice(trx, billed, { actor: { role: 'mechanic', id: M.id } }))).invoice.id
  }
  return { A, B, M, mechanic, ticket: ticketId, line, part: onTicket, freePart, vehicle, freeVehicle, invoice }
}

function tokenOf (w: World, caller: Caller): string | undefined {
  switch (caller) {
    case 'none': return undefined
    case 'customerA': return w.A.token
    case 'customerB': return w.B.token
    case 'mechanic': return w.M.token
  }
}

t.test('the expectation table has exactly one row per operation of the contract', async (t) => {
  const ids = operations.map((op) => op.id)
  t.same(ids.filter((id) => !(id in EXPECTED)), [], 'no operation of openapi.yaml lacks a row')
  t.same(Object.keys(EXPECTED).filter((id) => !ids.includes(id)), [], 'no row names an operation openapi.yaml does not have')
})

t.test('the table agrees with each operation\'s security requirement', async (t) => {
  for (const op of operations) {
    const row = EXPECTED[op.id]
    if (row === undefined) continue
    if (op.access === 'public') {
      t.ok(CALLERS.every((c) => row.expect[c] < 400), `${op.id} is public: nobody is refused`)
      continue
    }
    t.equal(row.expect.none, 401, `${op.id}: no token is 401`)
    if (!op.access.includes('customer')) t.ok(row.expect.customerA === 403 && row.expect.customerB === 403, `${op.id}: customer tokens are 403`)
    if (!op.access.includes('mechanic')) t.equal(row.expect.mechanic, 403, `${op.id}: mechanic tokens are 403`)
    if (op.access.includes('mechanic')) t.ok(row.expect.mechanic < 400, `${op.id}: mechanics are let in`)
  }
})

t.test('authorization matrix', async (t) => {
  const app = await buildTestApp(t)

  const cell = async (t: Test, op: Operation, row: Row, caller: Caller) => {
    const w = await makeWorld(app, row.world)
    const token = tokenOf(w, caller)
    const before = await snapshot(app.db)
    const body = row.body?.(w)
    const res = await app.inject({
      method: op.method,
      url: fillPath(op, { ...defaultParams(w), ...row.params?.(w) }),
      headers: { ...row.headers?.(), ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      ...(body === undefined ? {} : { payload: body as object }),
    })
    const expected = row.expect[caller]
    t.equal(res.statusCode, expected, `${op.id} as ${caller}: ${expected}`, { body: res.body.slice(0, 300) })
    t.doesNotThrow(() => expectContract(res, op.id), `${op.id} as ${caller}: the answer matches the contract`)
    if (res.statusCode >= 400) {
      t.match(res.headers['content-type'], /^application\/problem\+json/, `${op.id} as ${caller}: problem+json`)
      t.same(changedTables(before, await snapshot(app.db)), [], `${op.id} as ${caller}: refused, so nothing changed`)
    }
    if (caller === 'customerB' && op.access !== 'public') t.notOk(res.body.includes(w.A.email), `${op.id} as customer B shows nothing of A's`)
  }

  for (const op of operations) {
    const row = EXPECTED[op.id]
    if (row === undefined) {
      t.fail(`${op.id} has no row in the expectation table`)
      continue
    }
    t.test(`${op.id}: ${op.method} ${op.path}`, async (t) => {
      for (const caller of CALLERS) await cell(t, op, row, caller)
    })
  }
})
