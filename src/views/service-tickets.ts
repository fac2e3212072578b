// Ticket views as the API shows them. The database computed every amount on numeric and sent it
// as text; converting each exact two-decimal string once is the only float step money takes.
import type { components } from '../../generated/api.js'
import type { TicketListRow, TicketViewRow } from '../db/service-tickets.js'
import { toMoney } from '../lib/money.js'
import { toLaborLine, toPartLine } from './ticket-lines.js'

export type ServiceTicket = components['schemas']['ServiceTicket']

export const toServiceTicket = (row: TicketListRow): ServiceTicket => ({
  id: row.id,
  customer_id: row.customer_id,
  vehicle_id: row.vehicle_id,
  vin: row.vin,
  service_date: row.service_date,
  service_desc: row.service_desc,
  status: row.status,
  version: row.version,
  odometer_in: row.odometer_in,
  odometer_out: row.odometer_out,
  authorized_total: row.authorized_total === null ? null : toMoney(row.authorized_total),
  authorized_at: row.authorized_at === null ? null : row.authorized_at.toISOString(),
  authorized_by: row.authorized_by_role === null || row.authorized_by_id === null ? null : { role: row.authorized_by_role, id: row.authorized_by_id },
  mechanics: row.mechanics.map((m) => ({ id: m.id, name: m.name })),
  parts: row.parts.map(toPartLine),
  labor: row.labor.map(toLaborLine),
  parts_total: toMoney(row.parts_total),
  labor_total: toMoney(row.labor_total),
  total: toMoney(row.total),
  tax: toMoney(row.tax),
  grand_total: toMoney(row.grand_total),
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
})

/** A ticket answer of a write or a read: the view and its ETag. */
export const ticketReply = <S extends 200 | 201>(status: S, row: TicketViewRow) =>
  ({ status, body: toServiceTicket(row), headers: { etag: row.etag } })
