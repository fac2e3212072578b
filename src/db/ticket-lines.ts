// A ticket's lines: its mechanic assignments and its part lines. Every write here locks the ticket
// row first and checks its status under that lock (ticket-guard.ts), so no line lands on a ticket
// that a concurrent transition is completing or cancelling: the transition waits for this
// transaction, sees its version, and looks again.
import { sql, type Kysely } from 'kysely'
import { badRequest, HttpProblem, unknownReference } from '../errors.js'
import { viewOf, type TicketViewRow } from './service-tickets.js'
import { lockTicketForWrite, recordWrite, type WriteContext } from './ticket-guard.js'
import type { Database } from './schema.js'

export interface MechanicsEdit {
  add_ids?: readonly number[] | undefined
  remove_ids?: readonly number[] | undefined
}

/** ticket_parts.quantity is an int4; the sum of two adds must not overflow it into a 500. */
const MAX_TICKET_PART_QUANTITY = 2_147_483_647

/** All unknown references of one request in a single 422, so the client learns every bad field at once. */
export function throwUnknown (problems: HttpProblem[]): void {
  const [first, ...rest] = problems
  if (first === undefined) return
  if (rest.length === 0) throw first
  throw new HttpProblem(first.status, first.title, problems.map((p) => p.message).join(' '), first.type,
    problems.flatMap((p) => p.errors ?? []))
}

const ascending = (ids: readonly number[]): number[] => [...ids].sort((a, b) => a - b)

/**
 * Locks the mechanics among `ids` in id order (see the lock order in ticket-guard.ts) and returns
 * the ids that are no mechanic, ascending. Locked, a mechanic cannot be deleted before the caller commits.
 */
export async function lockMechanics (trx: Kysely<Database>, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return []
  const found = await trx.selectFrom('mechanics').select('id')
    .where('id', 'in', [...ids])
    .orderBy('id')
    .forNoKeyUpdate()
    .execute()
  const known = new Set(found.map((row) => row.id))
  return ascending([...new Set(ids)].filter((id) => !known.has(id)))
}

/** Assigns the mechanics not yet on the ticket; returns those it assigned, ascending. */
export async function assignMechanics (trx: Kysely<Database>, ticketId: number, mechanicIds: readonly number[]): Promise<number[]> {
  if (mechanicIds.length === 0) return []
  const rows = await trx.insertInto('service_mechanics')
    .values(ascending(mechanicIds).map((mechanicId) => ({ ticket_id: ticketId, mechanic_id: mechanicId })))
    .onConflict((oc) => oc.doNothing())
    .returning('mechanic_id')
    .execute()
  return ascending(rows.map((row) => row.mechanic_id))
}

/**
 * Assigns `add_ids` and unassigns `remove_ids` atomically. Adding an assigned mechanic or removing
 * an unassigned one is a no-op; an id in both lists is a 400, an id that is no mechanic a 422
 * (in either list), and either leaves the ticket untouched.
 */
export async function editTicketMechanics (db: Kysely<Database>, ticketId: number, edit: MechanicsEdit, context: WriteContext): Promise<TicketViewRow> {
  const add = edit.add_ids ?? []
  const remove = edit.remove_ids ?? []
  const inBoth = add.filter((id) => remove.includes(id))
  if (inBoth.length > 0) {
    const reason = `mechanic ${inBoth.join(', ')} is in both add_ids and remove_ids`
    throw badRequest(`Mechanic ${inBoth.join(', ')} cannot be both added and removed.`, [
      { name: '/add_ids', in: 'body', reason },
      { name: '/remove_ids', in: 'body', reason },
    ])
  }

  return await db.transaction().execute(async (trx) => {
    await lockTicketForWrite(trx, ticketId, 'lines', context.ifMatch)
    const unknown = await lockMechanics(trx, [...add, ...remove])
    const unknownAdds = unknown.filter((id) => add.includes(id))
    const unknownRemoves = unknown.filter((id) => remove.includes(id))
    throwUnknown([
      ...(unknownAdds.length > 0 ? [unknownReference('add_ids', 'mechanic', unknownAdds)] : []),
      ...(unknownRemoves.length > 0 ? [unknownReference('remove_ids', 'mechanic', unknownRemoves)] : []),
    ])

    let removed: number[] = []
    if (remove.length > 0) {
      const rows = await trx.deleteFrom('service_mechanics')
        .where('ticket_id', '=', ticketId)
        .where('mechanic_id', 'in', [...remove])
        .returning('mechanic_id')
        .execute()
      removed = ascending(rows.map((row) => row.mechanic_id))
    }
    const added = await assignMechanics(trx, ticketId, add)
    await recordWrite(trx, ticketId, context.actor, 'mechanics_changed', { added, removed })
    return await viewOf(trx, ticketId)
  })
}

/** Puts `quantity` of a part on a ticket, adding to the quantity already there; 422 for an unknown part. */
export async function addTicketPart (db: Kysely<Database>, ticketId: number, partId: number, quantity: number, context: WriteContext): Promise<TicketViewRow> {
  return await db.transaction().execute(async (trx) => {
    await lockTicketForWrite(trx, ticketId, 'lines', context.ifMatch)
    // Key share: the part cannot be deleted before this line commits (that would be a foreign key error, not this 422).
    const part = await trx.selectFrom('inventory').select('id').where('id', '=', partId).forKeyShare().executeTakeFirst()
    if (part === undefined) throw unknownReference('part_id', 'part', [partId])
    // The conflict branch only updates while the sum fits in an int4; otherwise no row comes back.
    const line = await trx.insertInto('ticket_parts')
      .values({ ticket_id: ticketId, part_id: partId, quantity })
      .onConflict((oc) => oc
        .columns(['ticket_id', 'part_id'])
        .doUpdateSet({ quantity: sql<number>`ticket_parts.quantity + excluded.quantity` })
        .where(sql<boolean>`ticket_parts.quantity <= ${sql.lit(MAX_TICKET_PART_QUANTITY)} - excluded.quantity`))
      .returning('quantity')
      .executeTakeFirst()
    if (line === undefined) {
      throw badRequest(`Service ticket ${ticketId} cannot hold more than ${MAX_TICKET_PART_QUANTITY} of part ${partId}.`, [
        { name: '/quantity', in: 'body', reason: `would take the part's quantity on the ticket past ${MAX_TICKET_PART_QUANTITY}` },
      ])
    }
    await recordWrite(trx, ticketId, context.actor, 'part_added', { part_id: partId, quantity, line_quantity: line.quantity })
    return await viewOf(trx, ticketId)
  })
}

/** Takes a part line off a ticket and returns the ticket's new version; 404 when the part is not on it. */
export async function removeTicketPart (db: Kysely<Database>, ticketId: number, partId: number, context: WriteContext): Promise<number> {
  return await db.transaction().execute(async (trx) => {
    await lockTicketForWrite(trx, ticketId, 'lines', context.ifMatch)
    const removed = await trx.deleteFrom('ticket_parts')
      .where('ticket_id', '=', ticketId)
      .where('part_id', '=', partId)
      .returning('quantity')
      .executeTakeFirst()
    if (removed === undefined) throw new HttpProblem(404, 'Not Found', `Part ${partId} is not on service ticket ${ticketId}.`)
    return await recordWrite(trx, ticketId, context.actor, 'part_removed', { part_id: partId, quantity: removed.quantity })
  })
}
