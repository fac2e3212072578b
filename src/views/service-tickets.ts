// Ticket views as the API shows them. The database computed every amount on numeric and sent it
// as text; converting each exact two-decimal string once is the only float step money takes.
import type { components } from '../../generated/api.js'
import type { TicketViewRow } from '../db/service-tickets.js'
import { toMoney } from '../lib/money.js'

export type ServiceTicket = components['schemas']['ServiceTicket']

export const toServiceTicket = (row: TicketViewRow): ServiceTicket => ({
  id: row.id,
  customer_id: row.customer_id,
  vin: row.vin,
  service_date: row.service_date,
  service_desc: row.service_desc,
  mechanics: row.mechanics.map((m) => ({ id: m.id, name: m.name })),
  parts: row.parts.map((p) => ({
    part_id: p.part_id,
    name: p.name,
    price: toMoney(p.price),
    quantity: p.quantity,
    line_total: toMoney(p.line_total),
  })),
  total: toMoney(row.total),
})
