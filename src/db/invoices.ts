// Invoices and their payments. An invoice is a snapshot of a completed ticket taken in the issuing
// transaction; afterwards only its status and amount_paid change, each by one conditional update.
//
// Every write here also writes the ticket (status, version, one event), so it locks the ticket row
// first, as every ticket write does (ticket-guard.ts), and only then the invoice row or the number
// counter: two writes never wait on each other in opposite orders. Payments and voids on one
// invoice therefore queue on its ticket's row, and each sees the amounts the one before it left.
//
// Money stays numeric in SQL and text outside it (see service-tickets.ts); inside the snapshot's
// JSON it is text as well.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { PageRequest } from '../lib/pagination.js'
import { TRANSITIONS, type TicketStatus } from '../lib/ticket-workflow.js'
import { compiledOnce } from './compiled-once.js'
import { InvoiceHasPayments, InvoiceNotOpen, PaymentExceedsBalance } from './errors.js'
import { byPlan, filteredPage, listPage, type Page, type PageWindow } from './paging.js'
import { RowNotFound } from './pg-errors.js'
import type { Database, InvoiceCustomer, InvoiceLaborLine, InvoicePartLine, InvoiceStatus, InvoiceVehicle, PaymentMethod } from './schema.js'
import { appendEvent, assertIfMatch, type Actor, type TicketEventType, type WriteContext } from './ticket-guard.js'
import { ticketETagOf } from './ticket-etag.js'
import { viewOf } from './service-tickets.js'
import { IllegalTransition } from './ticket-errors.js'

export interface InvoiceViewRow {
  id: number
  number: number
  ticket_id: number
  customer_id: number
  status: InvoiceStatus
  issued_at: Date
  customer: InvoiceCustomer
  vehicle: InvoiceVehicle
  odometer_in: number | null
  odometer_out: number | null
  parts: InvoicePartLine[]
  labor: InvoiceLaborLine[]
  parts_total: string
  labor_total: string
  parts_tax_rate: string
  labor_tax_rate: string
  tax: string
  total: string
  amount_paid: string
  balance_due: string
  payments: Array<{ id: number, amount: string, method: PaymentMethod, reference: string | null, at: string }>
}

export interface InvoiceFilter {
  statuses?: readonly InvoiceStatus[] | undefined
  customerId?: number | undefined
}

export interface PaymentValues {
  /** Two-decimal text (toNumeric), so no float reaches the numeric column. */
  amount: string
  method: PaymentMethod
  reference?: string | undefined
}

function invoiceViews (db: Kysely<Database>) {
  return db.selectFrom('invoices as inv').select([
    'inv.id', 'inv.number', 'inv.ticket_id', 'inv.customer_id', 'inv.status', 'inv.issued_at', 'inv.customer', 'inv.vehicle',
    'inv.odometer_in', 'inv.odometer_out', 'inv.parts', 'inv.labor', 'inv.parts_total', 'inv.labor_total',
    'inv.parts_tax_rate', 'inv.labor_tax_rate', 'inv.tax', 'inv.total', 'inv.amount_paid',
    sql<string>`(inv.total - inv.amount_paid)::text`.as('balance_due'),
    sql<InvoiceViewRow['payments']>`coalesce((select json_agg(json_build_object(
      'id', p.id, 'amount', p.amount::text, 'method', p.method, 'reference', p.reference, 'at', p.at) order by p.id)
      from invoice_payments p where p.invoice_id = inv.id), '[]')`.as('payments'),
  ])
}

/** An invoice by id, compiled once: every read and write of one answers with it. */
const invoiceById = compiledOnce(['id'], (db: Kysely<Database>, { id }) => invoiceViews(db).where('inv.id', '=', id))

export async function findInvoice (db: Kysely<Database>, id: number): Promise<InvoiceViewRow | undefined> {
  const { rows } = await db.executeQuery(invoiceById(db, { id }))
  return rows[0]
}

async function invoiceOf (trx: Kysely<Database>, id: number): Promise<InvoiceViewRow> {
  const row = await findInvoice(trx, id)
  if (row === undefined) throw new RowNotFound('invoice', id)
  return row
}

function matchingInvoices (db: Kysely<Database>, filter: InvoiceFilter) {
  let query = db.selectFrom('invoices')
  if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId)
  if (filter.statuses !== undefined && filter.statuses.length > 0) query = query.where('status', 'in', [...filter.statuses])
  return query
}

/** One page of invoices, newest first; the whole list's size comes from row_counts. */
export async function listInvoices (db: Kysely<Database>, filter: InvoiceFilter, page: PageRequest): Promise<Page<InvoiceViewRow>> {
  if (filter.customerId === undefined && (filter.statuses === undefined || filter.statuses.length === 0)) {
    return await listPage(db, 'invoices', page, async (plan) => await invoiceViews(db)
      .innerJoin(db.selectFrom('invoices').select('id').$call(byPlan(plan)).as('page'), 'page.id', 'inv.id')
      .orderBy('inv.id', plan.direction)
      .execute(), 'desc')
  }
  const matching = matchingInvoices(db, filter)
  return await filteredPage(matching, page, async ({ limit, offset }: PageWindow) => {
    const pageIds = matching
      .select((eb) => ['id', eb.fn.countAll<number>().over().as('total_count')])
      .orderBy('id', 'desc')
      .limit(limit)
      .offset(offset)
    return await invoiceViews(db).innerJoin(pageIds.as('page'), 'page.id', 'inv.id')
      .select('page.total_count')
      .orderBy('inv.id', 'desc')
      .execute()
  })
}

/** What an invoice bills: the ticket's lines and amounts at the shop's current tax rates. */
type Bill = Pick<InvoiceViewRow, 'parts' | 'labor' | 'parts_total' | 'labor_total' | 'parts_tax_rate' | 'labor_tax_rate' | 'tax' | 'total'>

/**
 * The bill of a ticket the caller has locked: its lines and amounts as its view shows them (money
 * computed by ticket-totals.ts, the one place it is), and the tax rates they were computed at. The
 * ticket's lock keeps its lines still; the share locks keep its parts' prices and the shop's rates
 * still until the invoice commits, so the lines, the amounts and the rates of the snapshot agree to
 * the cent. (They come after the ticket's lock, in the order of ticket-guard.ts; price and rate
 * writes lock nothing else.)
 */
async function billOf (trx: Transaction<Database>, ticketId: number): Promise<Bill> {
  await trx.selectFrom('inventory').select('id')
    .where('id', 'in', (eb) => eb.selectFrom('ticket_parts').select('part_id').where('ticket_id', '=', ticketId))
    .orderBy('id')
    .forShare()
    .execute()
  // No settings row taxes at 0, as the view does.
  const rates = await trx.selectFrom('shop_settings').select(['parts_tax_rate', 'labor_tax_rate']).forShare().executeTakeFirst()
  const view = await viewOf(trx, ticketId)
  return {
    parts: view.parts.map((p) => ({ part_id: p.part_id, name: p.name, price: p.price, quantity: p.quantity, line_total: p.line_total })),
    labor: view.labor.map((l) => ({ id: l.id, description: l.description, hours: l.hours, rate: l.rate, line_total: l.line_total, mechanic_id: l.mechanic_id })),
    parts_total: view.parts_total,
    labor_total: view.labor_total,
    parts_tax_rate: rates?.parts_tax_rate ?? '0',
    labor_tax_rate: rates?.labor_tax_rate ?? '0',
    tax: view.tax,
    total: view.grand_total,
  }
}

interface LockedTicket {
  id: number
  customer_id: number
  vehicle_id: number
  status: TicketStatus
  version: number
  odometer_in: number | null
  odometer_out: number | null
  etag: string
}

const currentETag = () => ticketETagOf({ id: sql.ref('service_tickets.id'), version: sql.ref('service_tickets.version') })

/** Locks the ticket row for the rest of the transaction, with its ETag; undefined when there is none. */
async function lockTicket (trx: Transaction<Database>, id: number): Promise<LockedTicket | undefined> {
  return await trx.selectFrom('service_tickets')
    .select(['id', 'customer_id', 'vehicle_id', 'status', 'version', 'odometer_in', 'odometer_out'])
    .select(currentETag().as('etag'))
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
}

/**
 * Moves a ticket the caller has locked from `from` to `to` (they may be equal), raises its version and
 * appends the write's event; returns the ticket's new ETag.
 */
async function writeTicket (trx: Kysely<Database>, id: number, from: TicketStatus, to: TicketStatus, actor: Actor, type: TicketEventType, data: Record<string, unknown>): Promise<string> {
  const row = await trx.updateTable('service_tickets')
    .set({ status: to, version: sql<number>`version + 1`, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('status', '=', from)
    .returning(currentETag().as('etag'))
    .executeTakeFirst()
  // The ticket is locked and an open invoice keeps it invoiced: anything else is a broken invariant.
  if (row === undefined) throw new Error(`service ticket ${id} is not ${from} as its invoice says`)
  await appendEvent(trx, id, actor, type, data)
  return row.etag
}

/**
 * Issues the next invoice for a completed ticket, in `trx`: the ticket becomes invoiced (paid when
 * the total is 0) with its version raised and an `invoiced` event. Returns the invoice and the
 * ticket's new ETag.
 */
export async function issueInvoice (trx: Transaction<Database>, ticketId: number, context: WriteContext): Promise<{ invoice: InvoiceViewRow, etag: string }> {
  const ticket = await lockTicket(trx, ticketId)
  if (ticket === undefined) throw new RowNotFound('service ticket', ticketId)
  assertIfMatch(ticket, context.ifMatch)
  if (ticket.status !== 'completed') {
    throw new IllegalTransition(`Service ticket ${ticketId} is ${ticket.status}; only a completed ticket can be invoiced.`, ticket.status, 'invoiced', TRANSITIONS[ticket.status])
  }
  const bill = await billOf(trx, ticketId)
  const customer = await trx.selectFrom('customers').select(['id', 'name', 'email', 'phone']).where('id', '=', ticket.customer_id).executeTakeFirstOrThrow()
  const vehicle = await trx.selectFrom('vehicles').select(['id', 'vin', 'year', 'make', 'model', 'license_plate']).where('id', '=', ticket.vehicle_id).executeTakeFirstOrThrow()
  const paid = Number(bill.total) === 0
  // Last, so the counter row stays locked as briefly as possible: every issue waits for it.
  const { last_number: number } = await trx.updateTable('invoice_numbers')
    .set({ last_number: sql<number>`last_number + 1` })
    .returning('last_number')
    .executeTakeFirstOrThrow()
  const { id } = await trx.insertInto('invoices').values({
    number,
    ticket_id: ticketId,
    customer_id: ticket.customer_id,
    status: paid ? 'paid' : 'open',
    customer: JSON.stringify(customer),
    vehicle: JSON.stringify(vehicle),
    odometer_in: ticket.odometer_in,
    odometer_out: ticket.odometer_out,
    parts: JSON.stringify(bill.parts),
    labor: JSON.stringify(bill.labor),
    parts_total: bill.parts_total,
    labor_total: bill.labor_total,
    parts_tax_rate: bill.parts_tax_rate,
    labor_tax_rate: bill.labor_tax_rate,
    tax: bill.tax,
    total: bill.total,
    amount_paid: paid ? bill.total : '0',
  }).returning('id').executeTakeFirstOrThrow()
  const to: TicketStatus = paid ? 'paid' : 'invoiced'
  const etag = await writeTicket(trx, ticketId, 'completed', to, context.actor, 'invoiced',
    { from: 'completed', to, invoice_id: id, number, total: Number(bill.total) })
  return { invoice: await invoiceOf(trx, id), etag }
}

/** Locks the invoice's ticket and names it; undefined when there is no such invoice. */
async function lockInvoiceTicket (trx: Transaction<Database>, invoiceId: number): Promise<{ ticketId: number } | undefined> {
  // ticket_id never changes, so reading it before the lock is safe. A void invoice may outlive its
  // ticket; its write is then refused below all the same.
  const invoice = await trx.selectFrom('invoices').select('ticket_id').where('id', '=', invoiceId).executeTakeFirst()
  if (invoice === undefined) return undefined
  await lockTicket(trx, invoice.ticket_id)
  return { ticketId: invoice.ticket_id }
}

async function currentState (trx: Kysely<Database>, invoiceId: number) {
  return await trx.selectFrom('invoices')
    .select(['status', sql<string>`(total - amount_paid)::text`.as('balance_due')])
    .where('id', '=', invoiceId)
    .executeTakeFirstOrThrow()
}

/**
 * Books a payment against an open invoice, in `trx`: amount_paid grows by one conditional update
 * (never past total), and the payment that settles it makes the invoice and its ticket paid.
 * Every payment raises the ticket's version and appends `payment_received`. Undefined when there
 * is no such invoice.
 */
export async function recordPayment (trx: Transaction<Database>, invoiceId: number, payment: PaymentValues, actor: Actor): Promise<InvoiceViewRow | undefined> {
  const locked = await lockInvoiceTicket(trx, invoiceId)
  if (locked === undefined) return undefined
  const amount = sql`${payment.amount}::numeric`
  const updated = await trx.updateTable('invoices')
    .set({
      amount_paid: sql<string>`amount_paid + ${amount}`,
      status: sql<InvoiceStatus>`case when amount_paid + ${amount} = total then 'paid' else status end`,
    })
    .where('id', '=', invoiceId)
    .where('status', '=', 'open')
    .where(sql<boolean>`amount_paid + ${amount} <= total`)
    .returning(['status', sql<string>`(total - amount_paid)::text`.as('balance_due')])
    .executeTakeFirst()
  if (updated === undefined) {
    const state = await currentState(trx, invoiceId)
    if (state.status !== 'open') throw new InvoiceNotOpen(invoiceId, state.status)
    throw new PaymentExceedsBalance(invoiceId, payment.amount, state.balance_due)
  }
  const { id: paymentId } = await trx.insertInto('invoice_payments').values({
    invoice_id: invoiceId,
    amount: payment.amount,
    method: payment.method,
    reference: payment.reference ?? null,
    actor_role: actor.role,
    actor_id: actor.id,
  }).returning('id').executeTakeFirstOrThrow()
  const settled = updated.status === 'paid'
  const data = {
    invoice_id: invoiceId,
    payment_id: paymentId,
    amount: Number(payment.amount),
    method: payment.method,
    balance_due: Number(updated.balance_due),
    ...(settled ? { from: 'invoiced', to: 'paid' } : {}),
  }
  await writeTicket(trx, locked.ticketId, 'invoiced', settled ? 'paid' : 'invoiced', actor, 'payment_received', data)
  return await invoiceOf(trx, invoiceId)
}

/**
 * Voids an open invoice without payments; its ticket goes back to completed with its version
 * raised and an `invoice_voided` event. Undefined when there is no such invoice.
 */
export async function voidInvoice (db: Kysely<Database>, invoiceId: number, actor: Actor): Promise<InvoiceViewRow | undefined> {
  return await db.transaction().execute(async (trx) => {
    const locked = await lockInvoiceTicket(trx, invoiceId)
    if (locked === undefined) return undefined
    const updated = await trx.updateTable('invoices')
      .set({ status: 'void', voided_at: sql<Date>`now()` })
      .where('id', '=', invoiceId)
      .where('status', '=', 'open')
      .where('amount_paid', '=', '0')
      .returning('number')
      .executeTakeFirst()
    if (updated === undefined) {
      const state = await currentState(trx, invoiceId)
      if (state.status !== 'open') throw new InvoiceNotOpen(invoiceId, state.status)
      throw new InvoiceHasPayments(invoiceId)
    }
    await writeTicket(trx, locked.ticketId, 'invoiced', 'completed', actor, 'invoice_voided',
      { from: 'invoiced', to: 'completed', invoice_id: invoiceId, number: updated.number })
    return await invoiceOf(trx, invoiceId)
  })
}
