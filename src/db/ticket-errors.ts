// The refusals of the ticket repositories, in the database layer's terms: each is thrown inside the
// write's transaction, so that it rolls back, and knows nothing of HTTP (src/errors.ts maps them).
import type { TicketStatus } from '../lib/ticket-workflow.js'
import type { RefusedField } from './pg-errors.js'

class TicketRefusal extends Error {
  constructor (message: string) {
    super(message)
    this.name = new.target.name
  }
}

/** The ticket is no longer at the version the write's If-Match names. */
export class StaleTicket extends TicketRefusal {}

/** The ticket's status refuses this kind of write. */
export class TicketLocked extends TicketRefusal {}

/** The ticket's total exceeds what the customer authorized. */
export class ReauthorizationRequired extends TicketRefusal {}

/** Other writes kept changing the ticket between every read and conditional update. */
export class TicketContention extends TicketRefusal {}

/** The ticket holds as many different parts as a ticket may. */
export class TicketFull extends TicketRefusal {}

/** A value of the request breaks a rule that holds only against the stored ticket. */
export class InvalidTicketValue extends TicketRefusal {
  constructor (message: string, readonly fields: readonly RefusedField[]) {
    super(message)
  }
}

/** No transition leads from the ticket's status to the one asked for. */
export class IllegalTransition extends TicketRefusal {
  constructor (message: string, readonly from: TicketStatus, readonly to: string, readonly allowed: readonly TicketStatus[]) {
    super(message)
  }
}
