// A ticket's labor lines. Each write is a ticket write (ticket-guard.ts): the ticket row is locked
// first and its status checked under that lock, then the line changes, then version + 1 and one
// event, all in one transaction (inTransaction, so an idempotent POST's transaction is joined).
// Amounts go in as two-decimal text and line_total is the database's own (a generated column).
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely'
import { toNumeric } from '../lib/money.js'
import { viewOf, type TicketViewRow } from './service-tickets.js'
import { lockTicketForWrite, recordWrite, recordWriteForETag, type WriteContext } from './ticket-guard.js'
import { throwUnknownReferences, unknownIds } from './pg-errors.js'
import type { Database, TicketLaborLineTable } from './schema.js'
import { TicketFull } from './ticket-errors.js'
import { inTransaction } from './transactions.js'

/**
 * With hours ≤ 999.99 and rate ≤ 99,999.99, a ticket's labor stays below 10^10 and, with its parts,
 * every amount of the ticket below 2^45, where a JSON number still tells every cent apart.
 */
const MAX_TICKET_LABOR_LINES = 100

const COLUMNS = ['id', 'ticket_id', 'description', 'hours', 'rate', 'line_total', 'mechanic_id'] as const

type LaborLineRecord = Pick<Selectable<TicketLaborLineTable>, (typeof COLUMNS)[number]>

export interface NewLaborLine {
  description: string
  hours: number
  /** Omitted: the shop's labor_rate at the time of the add. */
  rate?: number | undefined
  /** Omitted or null: nobody. */
  mechanic_id?: number | null | undefined
}

export interface LaborLineChange {
  description: string
  hours: number
  /** Omitted: kept as it is. */
  rate?: number | undefined
  /** Omitted: kept as it is; null: nobody. */
  mechanic_id?: number | null | undefined
}

/** Hours as exact numeric(5,2) text. */
const toHours = (hours: number): string => hours.toFixed(2)

/** A line as the history records it: amounts as JSON numbers (exact: each is below 10^10). */
const eventLine = (line: LaborLineRecord) => ({
  line_id: line.id,
  description: line.description,
  hours: Number(line.hours),
  rate: Number(line.rate),
  line_total: Number(line.line_total),
  mechanic_id: line.mechanic_id,
})

/**
 * 422 naming mechanic_id unless it is a mechanic. The key-share lock keeps the mechanic from being
 * deleted before the line commits (which would be a foreign key error, not this 422); it comes
 * after the ticket's lock, in the order of ticket-guard.ts.
 */
async function checkMechanic (trx: Transaction<Database>, mechanicId: number | null | undefined): Promise<void> {
  if (mechanicId === undefined || mechanicId === null) return
  const found = await trx.selectFrom('mechanics').select('id').where('id', '=', mechanicId).forKeyShare().executeTakeFirst()
  throwUnknownReferences(unknownIds('mechanic_id', 'mechanic', found === undefined ? [mechanicId] : []))
}

/** Puts a labor line on a ticket; answers the ticket's view and the new line's id. */
export async function addTicketLabor (db: Kysely<Database>, ticketId: number, line: NewLaborLine, context: WriteContext): Promise<{ view: TicketViewRow, lineId: number }> {
  return await inTransaction(db, async (trx) => {
    await lockTicketForWrite(trx, ticketId, 'lines', context.ifMatch)
    await checkMechanic(trx, line.mechanic_id)
    // The ticket's row lock keeps the count stable until this line commits.
    const { n } = await trx.selectFrom('ticket_labor_lines').select(sql<number>`count(*)::int`.as('n'))
      .where('ticket_id', '=', ticketId).executeTakeFirstOrThrow()
    if (n >= MAX_TICKET_LABOR_LINES) throw new TicketFull(`Service ticket ${ticketId} already holds ${MAX_TICKET_LABOR_LINES} labor lines.`)
    // The shop's rate as it stands in this transaction: the line keeps it when the rate changes later.
    const rate = line.rate === undefined
      ? sql<string>`(select labor_rate from shop_settings)`
      : toNumeric(line.rate)
    const added = await trx.insertInto('ticket_labor_lines')
      .values({ ticket_id: ticketId, description: line.description, hours: toHours(line.hours), rate, mechanic_id: line.mechanic_id ?? null })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow()
    await recordWrite(trx, ticketId, context.actor, 'labor_added', eventLine(added))
    return { view: await viewOf(trx, ticketId), lineId: added.id }
  })
}

/** Changes a labor line of a ticket; undefined (and nothing written) when the line is not on it. */
export async function updateTicketLabor (db: Kysely<Database>, ticketId: number, lineId: number, change: LaborLineChange, context: WriteContext): Promise<TicketViewRow | undefined> {
  return await inTransaction(db, async (trx) => {
    await lockTicketForWrite(trx, ticketId, 'lines', context.ifMatch)
    const before = await trx.selectFrom('ticket_labor_lines').select(COLUMNS)
      .where('id', '=', lineId).where('ticket_id', '=', ticketId).executeTakeFirst()
    if (before === undefined) return undefined
    if (change.mechanic_id !== before.mechanic_id) await checkMechanic(trx, change.mechanic_id)
    const after = await trx.updateTable('ticket_labor_lines')
      .set({
        description: change.description,
        hours: toHours(change.hours),
        ...(change.rate === undefined ? {} : { rate: toNumeric(change.rate) }),
        ...(change.mechanic_id === undefined ? {} : { mechanic_id: change.mechanic_id }),
      })
      .where('id', '=', lineId)
      .returning(COLUMNS)
      .executeTakeFirstOrThrow()
    const [old, now] = [eventLine(before), eventLine(after)]
    const changed = (Object.keys(now) as Array<keyof typeof now>).filter((key) => key !== 'line_id' && old[key] !== now[key])
    await recordWrite(trx, ticketId, context.actor, 'labor_updated', {
      line_id: lineId,
      from: Object.fromEntries(changed.map((key) => [key, old[key]])),
      to: Object.fromEntries(changed.map((key) => [key, now[key]])),
    })
    return await viewOf(trx, ticketId)
  })
}

/** Takes a labor line off a ticket and returns the ticket's new ETag; undefined (and nothing written) when the line is not on it. */
export async function removeTicketLabor (db: Kysely<Database>, ticketId: number, lineId: number, context: WriteContext): Promise<string | undefined> {
  return await inTransaction(db, async (trx) => {
    await lockTicketForWrite(trx, ticketId, 'lines', context.ifMatch)
    const removed = await trx.deleteFrom('ticket_labor_lines')
      .where('id', '=', lineId)
      .where('ticket_id', '=', ticketId)
      .returning(COLUMNS)
      .executeTakeFirst()
    if (removed === undefined) return undefined
    return await recordWriteForETag(trx, ticketId, context.actor, 'labor_removed', eventLine(removed))
  })
}
