// A ticket's history: one row per successful write (ticket-guard.ts writes them), read oldest first.
import type { Kysely } from 'kysely'
import { offsetOf, type PageRequest } from '../lib/pagination.js'
import { pageWithTotal, type Page } from './paging.js'
import type { ActorRole, Database } from './schema.js'

export interface TicketEventRow {
  id: number
  type: string
  at: Date
  actor_role: ActorRole
  actor_id: number
  data: Record<string, unknown>
}

/** The ticket's owner, or undefined when there is no such ticket: who may read its history. */
export async function findTicketOwner (db: Kysely<Database>, ticketId: number): Promise<number | undefined> {
  const row = await db.selectFrom('service_tickets').select('customer_id').where('id', '=', ticketId).executeTakeFirst()
  return row?.customer_id
}

/** One page of the ticket's events, in the order their writes committed (id ascending). */
export async function listTicketEvents (db: Kysely<Database>, ticketId: number, page: PageRequest): Promise<Page<TicketEventRow>> {
  const offset = offsetOf(page)
  const matching = db.selectFrom('ticket_events').where('ticket_id', '=', ticketId)
  const rows = await matching
    .select((eb) => ['id', 'type', 'at', 'actor_role', 'actor_id', 'data', eb.fn.countAll<number>().over().as('total_count')])
    .orderBy('id')
    .limit(page.per_page)
    .offset(offset)
    .execute()
  return await pageWithTotal(rows, offset, async () => {
    const { count } = await matching.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow()
    return count
  })
}
