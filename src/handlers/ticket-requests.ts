// What ticket handlers read off a request besides its validated body: who is writing, the
// conditional headers, and the list filters.
import type { FastifyRequest } from 'fastify'
import type { TicketFilter } from '../db/service-tickets.js'
import type { WriteContext } from '../db/ticket-guard.js'
import type { TicketStatus } from '../lib/ticket-workflow.js'
import { callerId } from '../plugins/auth.js'

const headerValue = (req: FastifyRequest, name: string): string | undefined => {
  const value = req.headers[name]
  return Array.isArray(value) ? value.join(', ') : value
}

/** The caller as the ticket's history records them, and the If-Match they sent. */
export const writeContext = (req: FastifyRequest): WriteContext =>
  ({ actor: { role: req.user.role, id: callerId(req) }, ifMatch: headerValue(req, 'if-match') })

export const ifNoneMatch = (req: FastifyRequest): string | undefined => headerValue(req, 'if-none-match')

export interface TicketListQuery {
  status?: string | undefined
  customer_id?: number | undefined
  vehicle_id?: number | undefined
  mechanic_id?: number | undefined
}

/** The list filters; the contract's pattern has already checked each status name. */
export const ticketFilter = (query: TicketListQuery): TicketFilter => ({
  statuses: query.status === undefined ? undefined : [...new Set(query.status.split(','))] as TicketStatus[],
  customerId: query.customer_id,
  vehicleId: query.vehicle_id,
  mechanicId: query.mechanic_id,
})
