// Service tickets, their mechanic assignments and part lines, and the ticket view that the API
// answers with: a ticket, its mechanics, its part lines and its total in one query.
//
// Money never passes through a float: line totals and the total are computed in SQL on numeric and
// leave the database as text. PostgreSQL's json functions would print numeric as a JSON number,
// which JSON.parse turns into a double, so inside the JSON they are cast to text as well.
//
// Lock order, for every write here: the ticket row first, then mechanic rows by ascending id. The
// service_mechanics triggers update mechanics rows one at a time, so two transactions reaching the
// same mechanics in different orders would deadlock on PostgreSQL (PGlite, one session, cannot).
//
// Unlike the single-statement repositories, the writes here throw their 404/422 themselves: they
// find out inside their transaction, and throwing is what rolls it back.
import { sql, type Kysely } from 'kysely'
import { jsonArrayFrom } from 'kysely/helpers/postgres'
import { badRequest, HttpProblem, notFound, unknownReference } from '../errors.js'
import { offsetOf, type PageRequest } from '../lib/pagination.js'
import { compiledOnce } from './compiled-once.js'
import { countRows, inPageOrder, pageWithTotal, planPage, type Page } from './paging.js'
import { isMissingReference } from './pg-errors.js'
import type { Database } from './schema.js'

export interface TicketViewRow {
  id: number
  customer_id: number
  vin: string
  service_date: string
  service_desc: string
  mechanics: Array<{ id: number, name: string }>
  parts: Array<{ part_id: number, name: string, price: string, quantity: number, line_total: string }>
  total: string
}

export interface TicketFilter {
  customerId?: number
  mechanicId?: number
}

export interface TicketFields {
  vin: string
  service_date: string
  service_desc: string
}

export interface NewTicket extends TicketFields {
  customer_id: number
  mechanic_ids?: readonly number[]
}

export interface MechanicsEdit {
  add_ids?: readonly number[]
  remove_ids?: readonly number[]
}

/** ticket_parts.quantity is an int4; the sum of two adds must not overflow it into a 500. */
const MAX_TICKET_PART_QUANTITY = 2_147_483_647

function ticketViews (db: Kysely<Database>) {
  // The part lines and the total come from one lateral pass over the ticket's rows of
  // ticket_parts (an aggregate without GROUP BY always yields one row, so every ticket keeps its
  // row). json_agg keeps the ORDER BY inside it; prices travel as text inside the JSON.
  return db.selectFrom('service_tickets as st')
    .innerJoinLateral(
      (eb) => eb.selectFrom('ticket_parts as tp')
        .innerJoin('inventory as i', 'i.id', 'tp.part_id')
        .whereRef('tp.ticket_id', '=', 'st.id')
        .select([
          sql<TicketViewRow['parts'] | null>`json_agg(json_build_object(
            'part_id', tp.part_id, 'name', i.name, 'price', i.price::text,
            'quantity', tp.quantity, 'line_total', (i.price * tp.quantity)::text) order by tp.part_id)`.as('lines'),
          sql<string | null>`sum(i.price * tp.quantity)`.as('sum'),
        ])
        .as('ps'),
      (join) => join.onTrue(),
    )
    .select((eb) => [
      'st.id',
      'st.customer_id',
      'st.vin',
      'st.service_date',
      'st.service_desc',
      // jsonArrayFrom aggregates an ordered subquery: PostgreSQL keeps that order through json_agg.
      jsonArrayFrom(
        eb.selectFrom('service_mechanics as sm')
          .innerJoin('mechanics as m', 'm.id', 'sm.mechanic_id')
          .select(['m.id', 'm.name'])
          .whereRef('sm.ticket_id', '=', 'st.id')
          .orderBy('m.id'),
      ).as('mechanics'),
      sql<TicketViewRow['parts']>`coalesce(ps.lines, '[]')`.as('parts'),
      sql<string>`coalesce(ps.sum, 0)::text`.as('total'),
    ])
}

function matchingTickets (db: Kysely<Database>, filter: TicketFilter) {
  let query = db.selectFrom('service_tickets')
  if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId)
  if (filter.mechanicId !== undefined) {
    const mechanicId = filter.mechanicId
    query = query.where('id', 'in', (eb) =>
      eb.selectFrom('service_mechanics').select('ticket_id').where('mechanic_id', '=', mechanicId))
  }
  return query
}

/**
 * One page of a customer's or a mechanic's ticket views, newest first, with the matching count
 * beside each row. The page is picked (and counted) first, so the views' subqueries run for its rows
 * only. `my-tickets` runs on every customer visit, so the query is compiled once (compiled-once.ts).
 */
function filteredTicketPage (filter: 'customerId' | 'mechanicId') {
  return compiledOnce(['owner', 'limit', 'offset'], (db: Kysely<Database>, { owner, limit, offset }) => {
    const pageIds = matchingTickets(db, { [filter]: owner })
      .select((eb) => ['id', eb.fn.countAll<number>().over().as('total_count')])
      .orderBy('id', 'desc')
      .limit(limit)
      .offset(offset)
    return ticketViews(db)
      .innerJoin(pageIds.as('page'), 'page.id', 'st.id')
      .select('page.total_count')
      .orderBy('st.id', 'desc')
  })
}

const customerTicketPage = filteredTicketPage('customerId')
const mechanicTicketPage = filteredTicketPage('mechanicId')

/** One page of ticket views, newest first. */
export async function listTicketViews (db: Kysely<Database>, filter: TicketFilter, page: PageRequest): Promise<Page<TicketViewRow>> {
  const { customerId, mechanicId } = filter
  if (customerId !== undefined && mechanicId !== undefined) throw new Error('filter tickets by a customer or by a mechanic, not both')
  if (customerId === undefined && mechanicId === undefined) return await listAllTicketViews(db, page)
  const offset = offsetOf(page)
  const values = { owner: customerId ?? mechanicId ?? 0, limit: page.per_page, offset }
  const query = (customerId !== undefined ? customerTicketPage : mechanicTicketPage)(db, values)
  const { rows } = await db.executeQuery(query)
  return await pageWithTotal(rows, offset, async () => {
    const { count } = await matchingTickets(db, filter)
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow()
    return count
  })
}

/** Every ticket: the total comes from the maintained count, and far pages are read from the end. */
async function listAllTicketViews (db: Kysely<Database>, page: PageRequest): Promise<Page<TicketViewRow>> {
  const total = await countRows(db, 'service_tickets')
  const plan = planPage(total, page, 'desc')
  if (plan === undefined) return { rows: [], total }
  const pageIds = db.selectFrom('service_tickets').select('id')
    .orderBy('id', plan.direction).limit(plan.limit).offset(plan.offset)
  const rows = await ticketViews(db)
    .innerJoin(pageIds.as('page'), 'page.id', 'st.id')
    .orderBy('st.id', plan.direction)
    .execute()
  return { rows: inPageOrder(rows, plan), total }
}

/** The ticket view by id, compiled once: it answers every ticket read and write. */
const ticketViewById = compiledOnce(['id'], (db: Kysely<Database>, { id }) => ticketViews(db).where('st.id', '=', id))

export async function findTicketView (db: Kysely<Database>, id: number): Promise<TicketViewRow | undefined> {
  const { rows } = await db.executeQuery(ticketViewById(db, { id }))
  return rows[0]
}

async function viewOf (trx: Kysely<Database>, id: number): Promise<TicketViewRow> {
  const view = await findTicketView(trx, id)
  if (view === undefined) throw notFound('service ticket', id)
  return view
}

/** Locks the ticket against deletion until commit; 404 when there is none. */
async function lockTicket (trx: Kysely<Database>, id: number, mode: 'key share' | 'update' = 'key share'): Promise<void> {
  const query = trx.selectFrom('service_tickets').select('id').where('id', '=', id)
  const ticket = await (mode === 'update' ? query.forUpdate() : query.forKeyShare()).executeTakeFirst()
  if (ticket === undefined) throw notFound('service ticket', id)
}

/**
 * Locks the mechanics among `ids` in id order (see the lock order above) and returns the ids that
 * are no mechanic, ascending. Locked, a mechanic cannot be deleted before the caller commits.
 */
async function lockMechanics (trx: Kysely<Database>, ids: readonly number[]): Promise<number[]> {
  if (ids.length === 0) return []
  const found = await trx.selectFrom('mechanics').select('id')
    .where('id', 'in', [...ids])
    .orderBy('id')
    .forNoKeyUpdate()
    .execute()
  const known = new Set(found.map((row) => row.id))
  return [...new Set(ids)].filter((id) => !known.has(id)).sort((a, b) => a - b)
}

async function assignMechanics (trx: Kysely<Database>, ticketId: number, mechanicIds: readonly number[]): Promise<void> {
  if (mechanicIds.length === 0) return
  const sorted = [...mechanicIds].sort((a, b) => a - b)
  await trx.insertInto('service_mechanics')
    .values(sorted.map((mechanicId) => ({ ticket_id: ticketId, mechanic_id: mechanicId })))
    .onConflict((oc) => oc.doNothing())
    .execute()
}

/** All unknown references of one request in a single 422, so the client learns every bad field at once. */
function throwUnknown (problems: HttpProblem[]): void {
  const [first, ...rest] = problems
  if (first === undefined) return
  if (rest.length === 0) throw first
  throw new HttpProblem(first.status, first.title, problems.map((p) => p.message).join(' '), first.type,
    problems.flatMap((p) => p.errors ?? []))
}

/** Opens a ticket with its first mechanics; 422 naming every unknown customer or mechanic id. */
export async function insertTicket (db: Kysely<Database>, input: NewTicket): Promise<TicketViewRow> {
  const mechanicIds = input.mechanic_ids ?? []
  return await db.transaction().execute(async (trx) => {
    // Key-share locks keep the customer and the mechanics from being deleted before we commit,
    // which would otherwise surface as a foreign key error instead of this 422.
    const customer = await trx.selectFrom('customers').select('id')
      .where('id', '=', input.customer_id)
      .forKeyShare()
      .executeTakeFirst()
    const unknownMechanics = await lockMechanics(trx, mechanicIds)
    throwUnknown([
      ...(customer === undefined ? [unknownReference('customer_id', 'customer', [input.customer_id])] : []),
      ...(unknownMechanics.length > 0 ? [unknownReference('mechanic_ids', 'mechanic', unknownMechanics)] : []),
    ])

    const { id } = await trx.insertInto('service_tickets')
      .values({
        customer_id: input.customer_id,
        vin: input.vin,
        service_date: input.service_date,
        service_desc: input.service_desc,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await assignMechanics(trx, id, mechanicIds)
    return await viewOf(trx, id)
  })
}

export async function updateTicket (db: Kysely<Database>, id: number, fields: TicketFields): Promise<TicketViewRow> {
  return await db.transaction().execute(async (trx) => {
    const updated = await trx.updateTable('service_tickets')
      .set({ vin: fields.vin, service_date: fields.service_date, service_desc: fields.service_desc })
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirst()
    if (updated === undefined) throw notFound('service ticket', id)
    return await viewOf(trx, id)
  })
}

/** Deletes a ticket; its assignments and part lines go with it (on delete cascade). */
export async function deleteTicket (db: Kysely<Database>, id: number): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockTicket(trx, id, 'update')
    // The cascade's triggers decrement these mechanics' counts: lock them in order first.
    await trx.selectFrom('mechanics').select('id')
      .where('id', 'in', (eb) => eb.selectFrom('service_mechanics').select('mechanic_id').where('ticket_id', '=', id))
      .orderBy('id')
      .forNoKeyUpdate()
      .execute()
    await trx.deleteFrom('service_tickets').where('id', '=', id).execute()
  })
}

/**
 * Assigns `add_ids` and unassigns `remove_ids` atomically. Adding an assigned mechanic or removing
 * an unassigned one is a no-op; an id in both lists is a 400, an id that is no mechanic a 422
 * (in either list), and either leaves the ticket untouched.
 */
export async function editTicketMechanics (db: Kysely<Database>, ticketId: number, edit: MechanicsEdit): Promise<TicketViewRow> {
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
    await lockTicket(trx, ticketId)
    const unknown = await lockMechanics(trx, [...add, ...remove])
    const unknownAdds = unknown.filter((id) => add.includes(id))
    const unknownRemoves = unknown.filter((id) => remove.includes(id))
    throwUnknown([
      ...(unknownAdds.length > 0 ? [unknownReference('add_ids', 'mechanic', unknownAdds)] : []),
      ...(unknownRemoves.length > 0 ? [unknownReference('remove_ids', 'mechanic', unknownRemoves)] : []),
    ])

    if (remove.length > 0) {
      await trx.deleteFrom('service_mechanics')
        .where('ticket_id', '=', ticketId)
        .where('mechanic_id', 'in', [...remove])
        .execute()
    }
    await assignMechanics(trx, ticketId, add)
    return await viewOf(trx, ticketId)
  })
}

/**
 * Puts `quantity` of a part on a ticket, adding to the quantity already there, and answers the
 * ticket's view. Two round trips, like a hand-written handler: the upsert is one statement, so
 * concurrent adds of the same part all count, and its foreign keys are the existence checks. It
 * touches one row, so it needs no transaction; a ticket deleted between the two statements
 * answers 404, which is then the truth.
 */
export async function addTicketPart (db: Kysely<Database>, ticketId: number, partId: number, quantity: number): Promise<TicketViewRow> {
  let line: { quantity: number } | undefined
  try {
    // The conflict branch only updates while the sum fits in an int4; otherwise no row comes back.
    line = await db.insertInto('ticket_parts')
      .values({ ticket_id: ticketId, part_id: partId, quantity })
      .onConflict((oc) => oc
        .columns(['ticket_id', 'part_id'])
        .doUpdateSet({ quantity: sql<number>`ticket_parts.quantity + excluded.quantity` })
        .where(sql<boolean>`ticket_parts.quantity <= ${sql.lit(MAX_TICKET_PART_QUANTITY)} - excluded.quantity`))
      .returning('quantity')
      .executeTakeFirst()
  } catch (err) {
    if (isMissingReference(err, 'ticket_parts_ticket_id_fkey')) throw notFound('service ticket', ticketId)
    if (isMissingReference(err, 'ticket_parts_part_id_fkey')) {
      // Whichever key PostgreSQL checks first, a missing ticket is the 404 it has always been.
      const ticket = await db.selectFrom('service_tickets').select('id').where('id', '=', ticketId).executeTakeFirst()
      throw ticket === undefined ? notFound('service ticket', ticketId) : unknownReference('part_id', 'part', [partId])
    }
    throw err
  }
  if (line === undefined) {
    throw badRequest(`Service ticket ${ticketId} cannot hold more than ${MAX_TICKET_PART_QUANTITY} of part ${partId}.`, [
      { name: '/quantity', in: 'body', reason: `would take the part's quantity on the ticket past ${MAX_TICKET_PART_QUANTITY}` },
    ])
  }
  return await viewOf(db, ticketId)
}

/** Takes a part line off a ticket; 404 when the ticket does not exist or the part is not on it. */
export async function removeTicketPart (db: Kysely<Database>, ticketId: number, partId: number): Promise<void> {
  const removed = await db.deleteFrom('ticket_parts')
    .where('ticket_id', '=', ticketId)
    .where('part_id', '=', partId)
    .executeTakeFirst()
  if (removed.numDeletedRows > 0n) return
  const ticket = await db.selectFrom('service_tickets').select('id').where('id', '=', ticketId).executeTakeFirst()
  if (ticket === undefined) throw notFound('service ticket', ticketId)
  throw new HttpProblem(404, 'Not Found', `Part ${partId} is not on service ticket ${ticketId}.`)
}
