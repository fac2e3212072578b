// A ticket's history as the API shows it.
import type { components } from '../../generated/api.js'
import type { TicketEventRow } from '../db/ticket-events.js'

export type TicketEvent = components['schemas']['TicketEvent']

export const toTicketEvent = (row: TicketEventRow): TicketEvent => ({
  id: row.id,
  type: row.type as TicketEvent['type'],
  at: row.at.toISOString(),
  actor: { role: row.actor_role, id: row.actor_id },
  data: row.data,
})
