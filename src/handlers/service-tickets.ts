// Service tickets, their mechanics, parts and labor, and the ticket lists (both my-tickets lists live
// under /customers and /mechanics but answer with ticket views, so they are built here with the
// rest). The `bearer` security handler has already checked the token's role; ownership is checked
// here. Every write answers the ticket's new ETag; the status workflow is in ticket-workflow.ts.
import type { Handlers } from '../../generated/handlers.js'
import { findTicketView, listTicketViews, type TicketFilter } from '../db/service-tickets.js'
import { addTicketLabor, removeTicketLabor, updateTicketLabor } from '../db/ticket-labor.js'
import { addTicketPart, editTicketMechanics, removeTicketPart } from '../db/ticket-lines.js'
import { deleteTicket, insertTicket, updateTicket } from '../db/ticket-writes.js'
import { badRequest, found, HttpProblem } from '../errors.js'
import { listAnswer, type ListRequest } from '../lib/pagination.js'
import { callerId } from '../plugins/auth.js'
import { matchesIfNoneMatch } from '../plugins/caching.js'
import { ticketReply, toServiceTicket } from '../views/service-tickets.js'
import type { Deps } from './deps.js'
import { ifNoneMatch, ticketFilter, visibleTo, writeContext } from './ticket-requests.js'

type ServiceTicketHandlers = Pick<Handlers,
  'createServiceTicket' | 'listServiceTickets' | 'getServiceTicket' | 'updateServiceTicket' | 'deleteServiceTicket' |
  'editTicketMechanics' | 'addTicketPart' | 'removeTicketPart' | 'addTicketLabor' | 'updateTicketLabor' | 'removeTicketLabor' |
  'listMyCustomerTickets' | 'listMyMechanicTickets'>

const laborLineNotFound = (ticketId: number, lineId: number) =>
  new HttpProblem(404, 'Not Found', `Labor line ${lineId} is not on service ticket ${ticketId}.`)

export function serviceTicketHandlers ({ db }: Deps): ServiceTicketHandlers {
  /** A list answer; `owner` narrows it to the caller, and a filter naming someone else finds nothing. */
  const list = async (req: ListRequest, filter: TicketFilter, owner?: { field: 'customerId' | 'mechanicId', id: number }) => {
    if (owner !== undefined && filter[owner.field] !== undefined && filter[owner.field] !== owner.id) return listAnswer(req, { rows: [], total: 0 }, toServiceTicket)
    const scoped = owner === undefined ? filter : { ...filter, [owner.field]: owner.id }
    return listAnswer(req, await listTicketViews(db, scoped, req.query), toServiceTicket)
  }

  return {
    async createServiceTicket (req, _reply, trx) {
      const { customer_id, vehicle_id, vin, service_date, service_desc, odometer_in, mechanic_ids } = req.body
      if (vehicle_id === undefined && vin === undefined) {
        const reason = 'one of vehicle_id and vin is required'
        throw badRequest('Name the vehicle with vehicle_id or vin.', [{ name: '/vehicle_id', in: 'body', reason }, { name: '/vin', in: 'body', reason }])
      }
      const row = await insertTicket(trx, { customer_id, vehicle_id, vin, service_date, service_desc, odometer_in, mechanic_ids }, writeContext(req))
      const reply = ticketReply(201, row)
      return { ...reply, headers: { ...reply.headers, location: `/service-tickets/${row.id}` } }
    },

    async listServiceTickets (req) {
      return await list(req, ticketFilter(req.query))
    },

    async getServiceTicket (req) {
      const id = req.params.ticket_id
      const row = found(visibleTo(req, await findTicketView(db, id)), 'service ticket', id)
      const { etag } = row
      if (matchesIfNoneMatch(ifNoneMatch(req), etag, true)) return { status: 304, headers: { etag } }
      return ticketReply(200, row)
    },

    async updateServiceTicket (req) {
      const { vin, service_date, service_desc, odometer_in, odometer_out } = req.body
      return ticketReply(200, await updateTicket(db, req.params.ticket_id, { vin, service_date, service_desc, odometer_in, odometer_out }, writeContext(req)))
    },

    async deleteServiceTicket (req) {
      await deleteTicket(db, req.params.ticket_id, writeContext(req))
      return { status: 204 }
    },

    async editTicketMechanics (req) {
      const { add_ids, remove_ids } = req.body
      return ticketReply(200, await editTicketMechanics(db, req.params.ticket_id, { add_ids, remove_ids }, writeContext(req)))
    },

    // x-idempotent: the line, its stock and the stored answer commit together in `trx`.
    async addTicketPart (req, _reply, trx) {
      return ticketReply(200, await addTicketPart(trx, req.params.ticket_id, req.body.part_id, req.body.quantity, writeContext(req)))
    },

    async removeTicketPart (req) {
      const id = req.params.ticket_id
      const partId = req.params.part_id
      const etag = await removeTicketPart(db, id, partId, writeContext(req))
      if (etag === undefined) throw new HttpProblem(404, 'Not Found', `Part ${partId} is not on service ticket ${id}.`)
      return { status: 204, headers: { etag } }
    },

    async addTicketLabor (req, _reply, trx) {
      const id = req.params.ticket_id
      const { description, hours, rate, mechanic_id } = req.body
      const { view, lineId } = await addTicketLabor(trx, id, { description, hours, rate, mechanic_id }, writeContext(req))
      const reply = ticketReply(201, view)
      return { ...reply, headers: { ...reply.headers, location: `/service-tickets/${id}/labor/${lineId}` } }
    },

    async updateTicketLabor (req) {
      const { ticket_id: id, line_id: lineId } = req.params
      const { description, hours, rate, mechanic_id } = req.body
      const view = await updateTicketLabor(db, id, lineId, { description, hours, rate, mechanic_id }, writeContext(req))
      if (view === undefined) throw laborLineNotFound(id, lineId)
      return ticketReply(200, view)
    },

    async removeTicketLabor (req) {
      const { ticket_id: id, line_id: lineId } = req.params
      const etag = await removeTicketLabor(db, id, lineId, writeContext(req))
      if (etag === undefined) throw laborLineNotFound(id, lineId)
      return { status: 204, headers: { etag } }
    },

    async listMyCustomerTickets (req) {
      return await list(req, ticketFilter(req.query), { field: 'customerId', id: callerId(req) })
    },

    async listMyMechanicTickets (req) {
      return await list(req, ticketFilter(req.query), { field: 'mechanicId', id: callerId(req) })
    },
  }
}
