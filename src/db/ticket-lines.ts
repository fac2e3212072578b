// A ticket's lines: its mechanic assignments and its part lines. Every write here locks the ticket
// row first and checks its status under that lock (ticket-guard.ts), so no line lands on a ticket
// that a concurrent transition is completing or cancelling: the transition waits for this
// transaction, sees its version, and looks again. Part lines take and give back tracked stock in
// the same transaction (ticket-stock.ts).
import { sql, type Kysely, type Transaction } from 'kysely'
import { viewOf, type TicketViewRow } from './service-tickets.js'
import { lockTicketForWrite, recordWrite, recordWriteForETag, type WriteContext } from './ticket-guard.js'
import { throwUnknownReferences, unknownIds } from './pg-errors.js'
import type { Database } from './schema.js'
import { InvalidTicketValue, TicketFull } from './ticket-errors.js'
import { returnLine, takeForLine } from './ticket-stock.js'
import { inTransaction } from './transactions.js'

export interface MechanicsEdit {
  add_ids?: readonly number[] | undefined
  remove_ids?: readonly number[] | undefined
}

/** ticket_parts.quantity is an int4; the sum of two adds must not overflow it into a 500. */
const MAX_TICKET_PART_QUANTITY = 1_000
const MAX_TICKET_PART_LINES = 100

const ascending = (ids: readonly number[]): number[] => [...ids].sort((a, b) => a - b)

/**
 * Locks the mechanics among `ids` in id order (see the lock order in ticket-guard.ts) and returns
 * the ids that are no mechanic, ascending. Locked, a mechanic cannot be deleted before the caller commits.
 */
export async function lockMechanics (trx: Transaction<Database>, ids: readonly number[]): Promise<number[]> {
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
    throw new InvalidTicketValue(`Mechanic ${inBoth.join(', ')} cannot be both added and removed.`, [
      { field: 'add_ids', reason },
      { field: 'remove_ids', reason },
    ])
  }

  return await db.transaction().execute(async (trx) => {
    await lockTicketForWrite(trx, ticketId, 'lines', context.ifMatch)
    const unknown = await lockMechanics(trx, [...add, ...remove])
    throwUnknownReferences([
      ...unknownIds('add_ids', 'mechanic', unknown.filter((id) => add.includes(id))),
      ...unknownIds('remove_ids', 'mechanic', unknown.filter((id) => remove.includes(id))),
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

/**
 * Puts `quantity` of a part on a ticket, adding to the quantity already there; 422 for an unknown
 * part. A tracked part's quantity comes out of stock in the same transaction (ticket-stock.ts);
 * InsufficientStock when there is not enough, and then nothing is written.
 */
export async function addTicketPart (db: Kysely<Database>, ticketId: number, partId: number, quantity: number, context: WriteContext): Promise<TicketViewRow> {
  return await inTransaction(db, async (trx) => {
    await lockTicketForWrite(trx, ticketId, 'lines', context.ifMatch)
    // Key share: the part cannot be deleted before this line commits (that would be a foreign key
    // error, not this 422), and it is taken before the stock row (the lock order of ticket-stock.ts).
    // Whether the part is tracked comes with it, so an untracked part costs no stock statement. A
    // count that starts tracking it after this read commits as if it came after this line, which
    // then took nothing: the same outcome, as a count sets on_hand outright.
    const part = await trx.selectFrom('inventory')
      .leftJoin('stock_levels', 'stock_levels.part_id', 'inventory.id')
      .select(['inventory.id', sql<boolean>`stock_levels.part_id is not null`.as('tracked')])
      .where('inventory.id', '=', partId)
      .forKeyShare('inventory')
      .executeTakeFirst()
    throwUnknownReferences(unknownIds('part_id', 'part', part === undefined ? [partId] : []))
    // Bounded lines keep every total exact as a JSON number (Price in openapi.yaml); the ticket's
    // row lock makes the count stable until this line commits.
    const lines = await trx.selectFrom('ticket_parts').select([sql<number>`count(*)::int`.as('n'), sql<boolean>`bool_or(part_id = ${partId})`.as('has_part')])
      .where('ticket_id', '=', ticketId).executeTakeFirstOrThrow()
    if (lines.n >= MAX_TICKET_PART_LINES && lines.has_part !== true) {
      throw new TicketFull(`Service ticket ${ticketId} already holds ${MAX_TICKET_PART_LINES} different parts.`)
    }
    const taken = part?.tracked === true ? await takeForLine(trx, ticketId, partId, quantity, context.actor) : 0
    // The conflict branch only updates while the sum fits in an int4; otherwise no row comes back
    // (and the stock just taken goes back with the rolled-back transaction).
    const line = await trx.insertInto('ticket_parts')
      .values({ ticket_id: ticketId, part_id: partId, quantity, stock_taken: taken })
      .onConflict((oc) => oc
        .columns(['ticket_id', 'part_id'])
        .doUpdateSet({
          quantity: sql<number>`ticket_parts.quantity + excluded.quantity`,
          stock_taken: sql<number>`ticket_parts.stock_taken + excluded.stock_taken`,
        })
        .where(sql<boolean>`ticket_parts.quantity <= ${sql.lit(MAX_TICKET_PART_QUANTITY)} - excluded.quantity`))
      .returning('quantity')
      .executeTakeFirst()
    if (line === undefined) {
      throw new InvalidTicketValue(`Service ticket ${ticketId} cannot hold more than ${MAX_TICKET_PART_QUANTITY} of part ${partId}.`, [
        { field: 'quantity', reason: `would take the part's quantity on the ticket past ${MAX_TICKET_PART_QUANTITY}` },
      ])
    }
    await recordWrite(trx, ticketId, context.actor, 'part_added', { part_id: partId, quantity, line_quantity: line.quantity })
    return await viewOf(trx, ticketId)
  })
}

/**
 * Takes a part line off a ticket, giving back the stock it took, and returns the ticket's new
 * ETag; undefined (and nothing written) when the part is not on it.
 */
export async function removeTicketPart (db: Kysely<Database>, ticketId: number, partId: number, context: WriteContext): Promise<string | undefined> {
  return await db.transaction().execute(async (trx) => {
    await lockTicketForWrite(trx, ticketId, 'lines', context.ifMatch)
    // The part's inventory row before the line and the stock row (the lock order of ticket-stock.ts).
    await trx.selectFrom('inventory').select('id').where('id', '=', partId).forKeyShare().execute()
    const removed = await trx.deleteFrom('ticket_parts')
      .where('ticket_id', '=', ticketId)
      .where('part_id', '=', partId)
      .returning(['quantity', 'stock_taken'])
      .executeTakeFirst()
    if (removed === undefined) return undefined
    await returnLine(trx, ticketId, partId, removed.stock_taken, context.actor)
    return await recordWriteForETag(trx, ticketId, context.actor, 'part_removed', { part_id: partId, quantity: removed.quantity })
  })
}
