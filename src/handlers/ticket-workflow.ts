// The repair order's workflow: the customer's approval, status transitions and the ticket's
// history. The rules are the tables of src/lib/ticket-workflow.ts; the conditional updates that
// apply them are in src/db/ticket-status.ts.
import type { Handlers } from '../../generated/handlers.js'
import { findTicketOwner, listTicketEvents } from '../db/ticket-events.js'
import { recordApproval, transitionTicket } from '../db/ticket-status.js'
import { notFound } from '../errors.js'
import { paginated } from '../lib/pagination.js'
import { callerId } from '../plugins/auth.js'
import { ticketReply } from '../views/service-tickets.js'
import { toTicketEvent } from '../views/ticket-events.js'
import type { Deps } from './deps.js'
import { writeContext } from './ticket-requests.js'

type TicketWorkflowHandlers = Pick<Handlers, 'recordTicketApproval' | 'transitionServiceTicket' | 'listTicketEvents'>

export function ticketWorkflowHandlers ({ db }: Deps): TicketWorkflowHandlers {
  return {
    async recordTicketApproval (req) {
      const { decision, note } = req.body
      return ticketReply(200, await recordApproval(db, req.params.ticket_id, decision, note, writeContext(req)))
    },

    async transitionServiceTicket (req) {
      const { to, reason } = req.body
      return ticketReply(200, await transitionTicket(db, req.params.ticket_id, to, reason, writeContext(req)))
    },

    async listTicketEvents (req) {
      const id = req.params.ticket_id
      const owner = await findTicketOwner(db, id)
      if (owner === undefined || (req.user.role === 'customer' && owner !== callerId(req))) throw notFound('service ticket', id)
      const { rows, total } = await listTicketEvents(db, id, req.query)
      return paginated(req.url, req.query, rows.map(toTicketEvent), total)
    },
  }
}
