// Service tickets, their mechanics and parts, and both my-tickets lists: those two live under
// /customers and /mechanics but answer with ticket views, so they are built here with the rest.
// The `bearer` security handler has already checked the token's role; only ownership is checked here.
import type { Handlers } from '../../generated/handlers.js'
import {
  addTicketPart,
  deleteTicket,
  editTicketMechanics,
  findTicketView,
  insertTicket,
  listTicketViews,
  removeTicketPart,
  updateTicket,
} from '../db/service-tickets.js'
import { notFound } from '../errors.js'
import { paginated } from '../lib/pagination.js'
import { callerId } from '../plugins/auth.js'
import { toServiceTicket } from '../views/service-tickets.js'
import type { Deps } from './deps.js'

type ServiceTicketHandlers = Pick<Handlers,
  'createServiceTicket' | 'listServiceTickets' | 'getServiceTicket' | 'updateServiceTicket' | 'deleteServiceTicket' |
  'editTicketMechanics' | 'addTicketPart' | 'removeTicketPart' | 'listMyCustomerTickets' | 'listMyMechanicTickets'>

export function serviceTicketHandlers ({ db }: Deps): ServiceTicketHandlers {
  return {
    async createServiceTicket (req) {
      const { customer_id, vin, service_date, service_desc, mechanic_ids } = req.body
      const row = await insertTicket(db, { customer_id, vin, service_date, service_desc, mechanic_ids })
      return { status: 201, body: toServiceTicket(row), headers: { location: `/service-tickets/${row.id}` } }
    },

    async listServiceTickets (req) {
      const { rows, total } = await listTicketViews(db, {}, req.query)
      return paginated(req.url, req.query, rows.map(toServiceTicket), total)
    },

    async getServiceTicket (req) {
      const id = req.params.ticket_id
      const row = await findTicketView(db, id)
      // Another customer's ticket answers exactly like a missing one, so ticket ids cannot be probed.
      if (row === undefined || (req.user.role === 'customer' && row.customer_id !== callerId(req))) {
        throw notFound('service ticket', id)
      }
      return { status: 200, body: toServiceTicket(row) }
    },

    async updateServiceTicket (req) {
      const { vin, service_date, service_desc } = req.body
      const row = await updateTicket(db, req.params.ticket_id, { vin, service_date, service_desc })
      return { status: 200, body: toServiceTicket(row) }
    },

    async deleteServiceTicket (req) {
      await deleteTicket(db, req.params.ticket_id)
      return { status: 204 }
    },

    async editTicketMechanics (req) {
      const { add_ids, remove_ids } = req.body
      const row = await editTicketMechanics(db, req.params.ticket_id, { add_ids, remove_ids })
      return { status: 200, body: toServiceTicket(row) }
    },

    async addTicketPart (req) {
      const row = await addTicketPart(db, req.params.ticket_id, req.body.part_id, req.body.quantity)
      return { status: 200, body: toServiceTicket(row) }
    },

    async removeTicketPart (req) {
      await removeTicketPart(db, req.params.ticket_id, req.params.part_id)
      return { status: 204 }
    },

    async listMyCustomerTickets (req) {
      const { rows, total } = await listTicketViews(db, { customerId: callerId(req) }, req.query)
      return paginated(req.url, req.query, rows.map(toServiceTicket), total)
    },

    async listMyMechanicTickets (req) {
      const { rows, total } = await listTicketViews(db, { mechanicId: callerId(req) }, req.query)
      return paginated(req.url, req.query, rows.map(toServiceTicket), total)
    },
  }
}
