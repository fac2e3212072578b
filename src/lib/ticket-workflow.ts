// The repair order's workflow in one place: the statuses, where /transitions may move each, what an
// approval does, and what each status locks. The handlers, the 409's `allowed`, the contract's
// tag description and test/ticket-workflow.test.ts all read these tables; a status added to the
// union without a row in each table is a compile error.
import type { components } from '../../generated/api.js'

export type TicketStatus = components['schemas']['TicketStatus']

/** Every status, in the order a ticket usually passes them. */
export const TICKET_STATUSES = ['estimate', 'approved', 'in_progress', 'completed', 'invoiced', 'paid', 'cancelled'] as const satisfies readonly TicketStatus[]

/**
 * Where POST /service-tickets/{id}/transitions may move a ticket from each status. `invoiced` and
 * `paid` are reached only through invoices and payments, never through this table.
 */
export const TRANSITIONS: { readonly [S in TicketStatus]: readonly TicketStatus[] } = {
  estimate: ['cancelled'],
  approved: ['in_progress', 'estimate', 'cancelled'],
  in_progress: ['completed', 'cancelled'],
  completed: ['in_progress'],
  invoiced: [],
  paid: [],
  cancelled: [],
}

export const canTransition = (from: TicketStatus, to: TicketStatus): boolean => TRANSITIONS[from].includes(to)

/** The statuses from which `approve` is accepted, and the status it leaves the ticket in. */
export const APPROVE_FROM: { readonly [S in TicketStatus]: TicketStatus | undefined } = {
  estimate: 'approved',
  approved: 'approved',
  in_progress: 'in_progress',
  completed: undefined,
  invoiced: undefined,
  paid: undefined,
  cancelled: undefined,
}

/** `decline` moves an estimate to cancelled and nothing else anywhere. */
export const DECLINE_FROM: readonly TicketStatus[] = ['estimate']

/** The kinds of write a status may lock. `lines` is mechanics, parts and labor. */
export type TicketWrite = 'fields' | 'lines' | 'delete'

/** true: the status refuses that write with 409 ticket-locked. */
export const LOCKS: { readonly [S in TicketStatus]: { readonly [W in TicketWrite]: boolean } } = {
  estimate: { fields: false, lines: false, delete: false },
  approved: { fields: false, lines: false, delete: false },
  in_progress: { fields: false, lines: false, delete: false },
  completed: { fields: false, lines: true, delete: true },
  invoiced: { fields: true, lines: true, delete: true },
  paid: { fields: true, lines: true, delete: true },
  cancelled: { fields: true, lines: true, delete: false },
}

export const isLocked = (status: TicketStatus, write: TicketWrite): boolean => LOCKS[status][write]

const WRITE_NAMES: Record<TicketWrite, string> = {
  fields: 'its details cannot change',
  lines: 'its mechanics, parts and labor cannot change',
  delete: 'it cannot be deleted',
}

export const lockedReason = (write: TicketWrite): string => WRITE_NAMES[write]
