// Invoices and payments. Issuing and paying are x-idempotent: they write through the transaction
// the idempotency mechanism opened, so the stored answer commits with the invoice or the payment.
// Reading one is for its customer or any mechanic; another customer gets 404, as for tickets.
import type { Handlers } from '../../generated/handlers.js'
import { findInvoice, issueInvoice, listInvoices, recordPayment, voidInvoice, type InvoiceFilter } from '../db/invoices.js'
import type { InvoiceStatus } from '../db/schema.js'
import { found } from '../errors.js'
import { toNumeric } from '../lib/money.js'
import { listAnswer } from '../lib/pagination.js'
import { toInvoice } from '../views/invoices.js'
import type { Deps } from './deps.js'
import { visibleTo, writeContext } from './ticket-requests.js'

type InvoiceHandlers = Pick<Handlers, 'issueInvoice' | 'listInvoices' | 'getInvoice' | 'recordInvoicePayment' | 'voidInvoice'>

const invoicePath = (id: number): string => `/invoices/${id}`

/** The list filters; the contract's pattern has already checked each status name. */
const invoiceFilter = (query: { status?: string | undefined, customer_id?: number | undefined }): InvoiceFilter => ({
  statuses: query.status === undefined ? undefined : [...new Set(query.status.split(','))] as InvoiceStatus[],
  customerId: query.customer_id,
})

export function invoiceHandlers ({ db }: Deps): InvoiceHandlers {
  return {
    async issueInvoice (req, _reply, trx) {
      const ticketId = req.params.ticket_id
      const { invoice, etag } = await issueInvoice(trx, ticketId, writeContext(req))
      return { status: 201, body: toInvoice(invoice), headers: { location: invoicePath(invoice.id), etag } }
    },

    async listInvoices (req) {
      return listAnswer(req, await listInvoices(db, invoiceFilter(req.query), req.query), toInvoice)
    },

    async getInvoice (req) {
      const id = req.params.invoice_id
      return { status: 200, body: toInvoice(found(visibleTo(req, await findInvoice(db, id)), 'invoice', id)) }
    },

    async recordInvoicePayment (req, _reply, trx) {
      const id = req.params.invoice_id
      const { amount, method, reference } = req.body
      const row = found(await recordPayment(trx, id, { amount: toNumeric(amount), method, reference }, writeContext(req).actor), 'invoice', id)
      return { status: 201, body: toInvoice(row), headers: { location: invoicePath(id) } }
    },

    async voidInvoice (req) {
      const id = req.params.invoice_id
      return { status: 200, body: toInvoice(found(await voidInvoice(db, id, writeContext(req).actor), 'invoice', id)) }
    },
  }
}
