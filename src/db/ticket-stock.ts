// The stock a ticket's part lines hold. A line's `stock_taken` is how much of its quantity came
// out of stock (src/db/stock.ts takeStock) and is owed back: 0 for a part that was untracked when
// the line got it, so untracked parts behave as if stock did not exist. Giving stock back sets it
// to 0, which is what makes every return happen once: a cancelled ticket has given everything
// back, and deleting it later finds nothing owed.
//
// Lock order: the ticket row (ticket-guard.ts, or the conditional status update), then a key-share
// lock on each part's inventory row, then its stock row, parts in ascending id. Nothing locks a
// stock row and then waits for a ticket, so two ticket writes never wait on each other's stock
// rows in opposite orders. The inventory lock comes first because deleting a part takes its
// inventory row, then its stock row (cascade) and a key-share lock on its lines (restrict): a
// ticket write holding the stock row while it deletes a line would otherwise close a cycle.
// The status counters (the trigger of a status change or a delete) come after the stock rows: a
// cancel gives stock back before it changes the status (ticket-status.ts).
import type { Transaction } from 'kysely'
import type { Database } from './schema.js'
import { returnStock, takeStock, type Actor } from './stock.js'

/**
 * Takes `quantity` of a part for a line of the ticket; answers how much was taken, which the line
 * adds to its stock_taken (0 for an untracked part). InsufficientStock when there is not enough.
 */
export async function takeForLine (trx: Transaction<Database>, ticketId: number, partId: number, quantity: number, actor: Actor): Promise<number> {
  const change = await takeStock(trx, partId, quantity, ticketId, actor)
  return change.tracked ? quantity : 0
}

/** Gives back what a line that is gone held. */
export async function returnLine (trx: Transaction<Database>, ticketId: number, partId: number, stockTaken: number, actor: Actor): Promise<void> {
  if (stockTaken > 0) await returnStock(trx, partId, stockTaken, ticketId, actor)
}

/**
 * Gives back what every line of the ticket holds, by ascending part id, and leaves the lines (a
 * cancelled ticket keeps them as its record) holding nothing. The caller holds the ticket row.
 */
export async function releaseTicketStock (trx: Transaction<Database>, ticketId: number, actor: Actor): Promise<void> {
  const held = await trx.selectFrom('ticket_parts as tp')
    .innerJoin('inventory as i', 'i.id', 'tp.part_id')
    .select(['tp.part_id', 'tp.stock_taken'])
    .where('tp.ticket_id', '=', ticketId)
    .where('tp.stock_taken', '>', 0)
    .orderBy('tp.part_id')
    .forKeyShare('i')
    .execute()
  if (held.length === 0) return
  for (const line of held) await returnStock(trx, line.part_id, line.stock_taken, ticketId, actor)
  await trx.updateTable('ticket_parts').set({ stock_taken: 0 }).where('ticket_id', '=', ticketId).where('stock_taken', '>', 0).execute()
}
