// What every write to a ticket shares: the row lock with its checks (the ticket exists, If-Match
// still matches, the status does not lock this write), and the bookkeeping after it (version + 1,
// updated_at, one event) in the same transaction, so a refused request changes and records nothing.
//
// Lock order, for every ticket write: the ticket row first, then mechanic rows by ascending id,
// then the parts whose stock it takes or gives back, by ascending part id (ticket-stock.ts), and
// last the status counters, which a status change or a delete locks through its trigger. The
// service_mechanics triggers update mechanics rows one at a time, so two transactions reaching the
// same mechanics in different orders would deadlock on PostgreSQL (PGlite, one session, cannot).
import { sql, type Kysely, type Transaction } from 'kysely'
import { isLocked, lockedReason, type TicketWrite } from '../lib/ticket-workflow.js'
import { RowNotFound } from './pg-errors.js'
import type { ActorRole, Database } from './schema.js'
import { StaleTicket, TicketLocked } from './ticket-errors.js'
import type { TicketViewRow } from './service-tickets.js'
import { ticketETagOf } from './ticket-etag.js'

export interface Actor { role: ActorRole, id: number }

/** Who writes, and the `If-Match` they sent (undefined: unconditional). */
export interface WriteContext { actor: Actor, ifMatch?: string | undefined }

export type TicketEventType = 'created' | 'updated' | 'mechanics_changed' | 'part_added' | 'part_removed' |
  'labor_added' | 'labor_updated' | 'labor_removed' | 'approved' | 'declined' | 'status_changed' |
  'invoiced' | 'invoice_voided' | 'payment_received'

/**
 * RFC 9110 §13.1.1: `*` matches any current ticket, otherwise one of the listed tags must equal
 * the current one by strong comparison (a weak `W/` tag never matches).
 */
function ifMatchHolds (header: string, current: string): boolean {
  return header.split(',').map((tag) => tag.trim()).some((tag) => tag === '*' || tag === current)
}

/**
 * Refuses with 412 unless If-Match names the ticket's current ETag (ticket-etag.ts). Only a
 * conditional write needs the ETag read.
 */
export function assertIfMatch (ticket: { id: number, etag?: string | undefined }, ifMatch: string | undefined): void {
  if (ifMatch === undefined) return
  if (ticket.etag === undefined) throw new Error(`service ticket ${ticket.id}: If-Match came but its ETag was not read`)
  if (!ifMatchHolds(ifMatch, ticket.etag)) {
    throw new StaleTicket(`Service ticket ${ticket.id} is at ${ticket.etag}, which If-Match does not name; read it again.`)
  }
}

/** What a write reads of the ticket under its lock. */
export type LockedTicket = Pick<TicketViewRow, 'id' | 'customer_id' | 'vehicle_id' | 'vin' | 'service_date' | 'service_desc' | 'status' | 'version' | 'odometer_in' | 'odometer_out'>

/**
 * Locks the ticket row for the rest of the transaction (FOR UPDATE: concurrent writes and
 * transitions wait, and see this write's version when they go on), then refuses with 404, 412 or
 * 409 ticket-locked. Because the status is read under the lock, nothing slips onto a ticket that a
 * concurrent transition is completing or cancelling.
 */
export async function lockTicketForWrite (trx: Transaction<Database>, id: number, write: TicketWrite, ifMatch: string | undefined): Promise<LockedTicket> {
  const ticket = await trx.selectFrom('service_tickets')
    .select(['id', 'customer_id', 'vehicle_id', 'vin', 'service_date', 'service_desc', 'status', 'version', 'odometer_in', 'odometer_out'])
    // The ETag in the statement that takes the lock: If-Match is compared with the ticket as this
    // write finds it (a price or rate change committed after this statement goes after the write).
    // An unconditional write does not pay for it.
    .$if(ifMatch !== undefined, (qb) => qb.select(ticketETagOf({ id: sql.ref('service_tickets.id'), version: sql.ref('service_tickets.version') }).as('etag')))
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()
  if (ticket === undefined) throw new RowNotFound('service ticket', id)
  assertIfMatch(ticket, ifMatch)
  if (isLocked(ticket.status, write)) throw new TicketLocked(`Service ticket ${id} is ${ticket.status}: ${lockedReason(write)}.`)
  return ticket
}

/** Appends one event to the ticket's history. */
export async function appendEvent (trx: Kysely<Database>, ticketId: number, actor: Actor, type: TicketEventType, data: Record<string, unknown>): Promise<void> {
  await trx.insertInto('ticket_events')
    .values({ ticket_id: ticketId, type, actor_role: actor.role, actor_id: actor.id, data: JSON.stringify(data) })
    .execute()
}

/** Raises the version and sets updated_at; `returning` picks what comes back. */
const raiseVersion = (trx: Kysely<Database>, ticketId: number) => trx.updateTable('service_tickets')
  .set({ version: sql<number>`version + 1`, updated_at: sql<Date>`now()` })
  .where('id', '=', ticketId)

/** After a write under lockTicketForWrite: version + 1, updated_at, and the write's event. */
export async function recordWrite (trx: Kysely<Database>, ticketId: number, actor: Actor, type: TicketEventType, data: Record<string, unknown>): Promise<void> {
  await raiseVersion(trx, ticketId).execute()
  await appendEvent(trx, ticketId, actor, type, data)
}

/**
 * recordWrite for a write that answers no ticket view (204): the ticket's new ETag comes back
 * from the update itself, computed on the state this transaction has written.
 */
export async function recordWriteForETag (trx: Kysely<Database>, ticketId: number, actor: Actor, type: TicketEventType, data: Record<string, unknown>): Promise<string> {
  const { etag } = await raiseVersion(trx, ticketId)
    .returning(ticketETagOf({ id: sql.ref('service_tickets.id'), version: sql.ref('service_tickets.version') }).as('etag'))
    .executeTakeFirstOrThrow()
  await appendEvent(trx, ticketId, actor, type, data)
  return etag
}
