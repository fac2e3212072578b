// Invoices as the API shows them. The snapshot's amounts were computed on numeric and stored as
// text; each is converted once here.
import type { components } from '../../generated/api.js'
import type { InvoiceViewRow } from '../db/invoices.js'
import { toMoney } from '../lib/money.js'
import { toLaborLine, toPartLine } from './ticket-lines.js'

export type Invoice = components['schemas']['Invoice']

export const toInvoice = (row: InvoiceViewRow): Invoice => ({
  id: row.id,
  number: row.number,
  ticket_id: row.ticket_id,
  status: row.status,
  issued_at: row.issued_at.toISOString(),
  customer: { id: row.customer.id, name: row.customer.name, email: row.customer.email, phone: row.customer.phone },
  vehicle: {
    id: row.vehicle.id,
    vin: row.vehicle.vin,
    year: row.vehicle.year,
    make: row.vehicle.make,
    model: row.vehicle.model,
    license_plate: row.vehicle.license_plate,
  },
  odometer_in: row.odometer_in,
  odometer_out: row.odometer_out,
  parts: row.parts.map(toPartLine),
  labor: row.labor.map(toLaborLine),
  parts_total: toMoney(row.parts_total),
  labor_total: toMoney(row.labor_total),
  parts_tax_rate: Number(row.parts_tax_rate),
  labor_tax_rate: Number(row.labor_tax_rate),
  tax: toMoney(row.tax),
  total: toMoney(row.total),
  amount_paid: toMoney(row.amount_paid),
  balance_due: toMoney(row.balance_due),
  payments: row.payments.map((p) => ({
    id: p.id,
    amount: toMoney(p.amount),
    method: p.method,
    reference: p.reference,
    at: new Date(p.at).toISOString(),
  })),
})
