// Reading service tickets: the ticket view that every ticket answer is made of (a ticket, its
// mechanics, its part and labor lines and its money in one query) and the filtered ticket lists.
// Writes live in ticket-writes.ts, ticket-lines.ts, ticket-labor.ts and ticket-status.ts; all of
// them answer with this view. The money rules are those of ticket-totals.ts.
//
// Money never passes through a float: line totals and the total are computed in SQL on numeric and
// leave the database as text. PostgreSQL's json functions would print numeric as a JSON number,
// which JSON.parse turns into a double, so inside the JSON they are cast to text as well.
import { sql, type AliasableExpression, type Kysely } from 'kysely'
import { jsonArrayFrom } from 'kysely/helpers/postgres'
import { offsetOf, type PageRequest } from '../lib/pagination.js'
import type { TicketStatus } from '../lib/ticket-workflow.js'
import { compiledOnce } from './compiled-once.js'
import { byPlan, countedPage, filteredPage, listPage, type Page, type PagePlan, type PageWindow } from './paging.js'
import { RowNotFound } from './pg-errors.js'
import type { ActorRole, Database } from './schema.js'
import { ticketETagOf } from './ticket-etag.js'
import { PART_LINE_TOTAL, ticketMoney, type TicketTotals } from './ticket-totals.js'

/** A labor line as the view carries it: amounts as exact decimal text. */
interface LaborLineView {
  id: number
  description: string
  hours: string
  rate: string
  line_total: string
  mechanic_id: number | null
}

/** A ticket as the lists show it. */
export interface TicketListRow extends Omit<TicketTotals, 'parts_tax_rate' | 'labor_tax_rate'> {
  id: number
  customer_id: number
  vehicle_id: number
  vin: string
  service_date: string
  service_desc: string
  status: TicketStatus
  version: number
  odometer_in: number | null
  odometer_out: number | null
  authorized_total: string | null
  authorized_at: Date | null
  authorized_by_role: ActorRole | null
  authorized_by_id: number | null
  created_at: Date
  updated_at: Date
  mechanics: Array<{ id: number, name: string }>
  parts: Array<{ part_id: number, name: string, price: string, quantity: number, line_total: string }>
  labor: LaborLineView[]
}

/** A ticket as one ticket's answer shows it: with its ETag (ticket-etag.ts). */
export interface TicketViewRow extends TicketListRow {
  etag: string
}

/** The filters of the ticket lists; they combine (every one given must hold). */
export interface TicketFilter {
  customerId?: number | undefined
  mechanicId?: number | undefined
  vehicleId?: number | undefined
  statuses?: readonly TicketStatus[] | undefined
}

function ticketViews (db: Kysely<Database>) {
  // The part lines and their sum come from one lateral pass over the ticket's rows of
  // ticket_parts, the labor lines and theirs from one over ticket_labor_lines (an aggregate
  // without GROUP BY always yields one row, so every ticket keeps its row), and the money from
  // those two sums (ticket-totals.ts). json_agg keeps the ORDER BY inside it; amounts travel as
  // text inside the JSON.
  return db.selectFrom('service_tickets as st')
    .innerJoinLateral(
      (eb) => eb.selectFrom('ticket_parts as tp')
        .innerJoin('inventory as i', 'i.id', 'tp.part_id')
        .whereRef('tp.ticket_id', '=', 'st.id')
        .select([
          sql<TicketViewRow['parts'] | null>`json_agg(json_build_object(
            'part_id', tp.part_id, 'name', i.name, 'price', i.price::text,
            'quantity', tp.quantity, 'line_total', ${PART_LINE_TOTAL}::text) order by tp.part_id)`.as('lines'),
          sql<string | null>`sum(${PART_LINE_TOTAL})`.as('sum'),
        ])
        .as('ps'),
      (join) => join.onTrue(),
    )
    .innerJoinLateral(
      (eb) => eb.selectFrom('ticket_labor_lines as ll')
        .whereRef('ll.ticket_id', '=', 'st.id')
        .select([
          sql<LaborLineView[] | null>`json_agg(json_build_object(
            'id', ll.id, 'description', ll.description, 'hours', ll.hours::text, 'rate', ll.rate::text,
            'line_total', ll.line_total::text, 'mechanic_id', ll.mechanic_id) order by ll.id)`.as('lines'),
          sql<string | null>`sum(ll.line_total)`.as('sum'),
        ])
        .as('ls'),
      (join) => join.onTrue(),
    )
    .innerJoinLateral(ticketMoney(sql.ref('ps.sum'), sql.ref('ls.sum')).as('money'), (join) => join.onTrue())
    .select((eb) => [
      'st.id',
      'st.customer_id',
      'st.vehicle_id',
      'st.vin',
      'st.service_date',
      'st.service_desc',
      'st.status',
      'st.version',
      'st.odometer_in',
      'st.odometer_out',
      'st.authorized_total',
      'st.authorized_at',
      'st.authorized_by_role',
      'st.authorized_by_id',
      'st.created_at',
      'st.updated_at',
      // jsonArrayFrom aggregates an ordered subquery: PostgreSQL keeps that order through json_agg.
      jsonArrayFrom(
        eb.selectFrom('service_mechanics as sm')
          .innerJoin('mechanics as m', 'm.id', 'sm.mechanic_id')
          .select(['m.id', 'm.name'])
          .whereRef('sm.ticket_id', '=', 'st.id')
          .orderBy('m.id'),
      ).as('mechanics'),
      sql<TicketViewRow['parts']>`coalesce(ps.lines, '[]')`.as('parts'),
      sql<LaborLineView[]>`coalesce(ls.lines, '[]')`.as('labor'),
      'money.parts_total',
      'money.labor_total',
      'money.total',
      'money.tax',
      'money.grand_total',
    ])
}

function matchingTickets (db: Kysely<Database>, filter: TicketFilter) {
  let query = db.selectFrom('service_tickets')
  if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId)
  if (filter.vehicleId !== undefined) query = query.where('vehicle_id', '=', filter.vehicleId)
  if (filter.statuses !== undefined && filter.statuses.length > 0) query = query.where('status', 'in', [...filter.statuses])
  if (filter.mechanicId !== undefined) {
    const mechanicId = filter.mechanicId
    query = query.where('id', 'in', (eb) =>
      eb.selectFrom('service_mechanics').select('ticket_id').where('mechanic_id', '=', mechanicId))
  }
  return query
}

/** The views of one window of the matching tickets, newest first, each with the matching count. */
function newestViews (db: Kysely<Database>, filter: TicketFilter, { limit, offset }: PageWindow) {
  const pageIds = matchingTickets(db, filter)
    .select((eb) => ['id', eb.fn.countAll<number>().over().as('total_count')])
    .orderBy('id', 'desc')
    .limit(limit)
    .offset(offset)
  return ticketViews(db)
    .innerJoin(pageIds.as('page'), 'page.id', 'st.id')
    .select('page.total_count')
    .orderBy('st.id', 'desc')
}

/**
 * A customer's or a mechanic's page of ticket views. The page is picked (and counted) first, so
 * the views' subqueries run for its rows only. `my-tickets` runs on every customer visit, so the
 * query is compiled once (compiled-once.ts).
 */
const ownedTicketPage = (filter: 'customerId' | 'mechanicId') =>
  compiledOnce(['owner', 'limit', 'offset'], (db: Kysely<Database>, { owner, limit, offset }) =>
    newestViews(db, { [filter]: owner }, { limit, offset }))

const customerTicketPage = ownedTicketPage('customerId')
const mechanicTicketPage = ownedTicketPage('mechanicId')

const isEmpty = (filter: TicketFilter): boolean => Object.values(filter).every((value) => value === undefined)

/** The statuses of a filter that names statuses and nothing else; undefined for any other filter. */
function onlyStatuses ({ statuses, ...rest }: TicketFilter): readonly TicketStatus[] | undefined {
  return statuses !== undefined && statuses.length > 0 && isEmpty(rest) ? statuses : undefined
}

/** How many tickets are in any of `statuses`: the trigger-maintained counters' sum, a few rows' read. */
const countInStatuses = (db: Kysely<Database>, statuses: readonly TicketStatus[]) => db.selectFrom('ticket_status_counts')
  // sum(bigint) is numeric; as int8 both drivers hand it over as a number.
  .select(sql<number>`coalesce(sum(n), 0)::int8`.as('n'))
  .where('status', 'in', [...statuses])

/**
 * The ids of the plan's window of tickets in `statuses`, each status a walk of the (status, id)
 * index. Several statuses' walks, each cut at the window's end, are merged in id order (a Merge
 * Append): a page costs its offset in index entries, never a sort of every matching ticket. The
 * cut is what lets PostgreSQL merge them; without it, it sorts the union.
 */
function idsInStatuses (db: Kysely<Database>, statuses: readonly TicketStatus[], plan: PagePlan) {
  const walk = (status: TicketStatus) => db.selectFrom('service_tickets').select('id').where('status', '=', status)
  const [first, ...rest] = statuses
  if (first === undefined) throw new Error('idsInStatuses needs a status')
  if (rest.length === 0) return walk(first).$call(byPlan(plan))
  const upToWindowEnd = (status: TicketStatus) => db.selectFrom(
    walk(status).orderBy('id', plan.direction).limit(plan.offset + plan.limit).as('walk')).select('id')
  const merged = rest.reduce((union, status) => union.unionAll(upToWindowEnd(status)), upToWindowEnd(first))
  return db.selectFrom(merged.as('matching')).select('id').$call(byPlan(plan))
}

/** The views of the tickets whose ids `ids` selects, in the plan's order. */
const viewsOf = (db: Kysely<Database>, ids: AliasableExpression<{ id: number }>, plan: PagePlan) =>
  ticketViews(db).innerJoin(ids.as('page'), 'page.id', 'st.id').orderBy('st.id', plan.direction).execute()

/**
 * One page of ticket views, newest first. Every ticket, or the tickets in some statuses: the total
 * comes from a maintained count (row_counts, ticket_status_counts), and far pages are read from the
 * end. Any other filter counts its matches with the page.
 */
export async function listTicketViews (db: Kysely<Database>, filter: TicketFilter, page: PageRequest): Promise<Page<TicketListRow>> {
  if (isEmpty(filter)) {
    return await listPage(db, 'service_tickets', page, async (plan) =>
      await viewsOf(db, db.selectFrom('service_tickets').select('id').$call(byPlan(plan)), plan), 'desc')
  }
  const statuses = onlyStatuses(filter)
  if (statuses !== undefined) {
    if (offsetOf(page) === 0) {
      // The first page is read from the newest end whatever the total, so the total can come
      // in the same statement (and snapshot): one round trip for the page most lists are asked for.
      const plan: PagePlan = { direction: 'desc', limit: page.per_page, offset: 0, reversed: false }
      const rows = await ticketViews(db).innerJoin(idsInStatuses(db, statuses, plan).as('page'), 'page.id', 'st.id')
        .select(countInStatuses(db, statuses).as('total_count'))
        .orderBy('st.id', 'desc')
        .execute()
      return { rows, total: rows[0]?.total_count ?? 0 }
    }
    const { n: total } = await countInStatuses(db, statuses).executeTakeFirstOrThrow()
    return await countedPage(total, page, async (plan) => await viewsOf(db, idsInStatuses(db, statuses, plan), plan), 'desc')
  }
  const { customerId, mechanicId } = filter
  const onlyOwner = isEmpty({ ...filter, customerId: undefined, mechanicId: undefined }) && (customerId === undefined) !== (mechanicId === undefined)
  return await filteredPage(matchingTickets(db, filter), page, async (window) => {
    if (!onlyOwner) return await newestViews(db, filter, window).execute()
    const values = { owner: customerId ?? mechanicId ?? 0, ...window }
    return (await db.executeQuery((customerId !== undefined ? customerTicketPage : mechanicTicketPage)(db, values))).rows
  })
}

/**
 * A vehicle's history, newest service date first (ties: newest ticket first), on the index
 * (vehicle_id, service_date desc, id desc). `customerId` keeps only that customer's tickets.
 */
export async function listVehicleTicketViews (db: Kysely<Database>, vehicleId: number, customerId: number | undefined, page: PageRequest): Promise<Page<TicketListRow>> {
  const matching = matchingTickets(db, { vehicleId, customerId })
  return await filteredPage(matching, page, async ({ limit, offset }) => {
    const pageIds = matching
      .select((eb) => ['id', 'service_date', eb.fn.countAll<number>().over().as('total_count')])
      .orderBy('service_date', 'desc')
      .orderBy('id', 'desc')
      .limit(limit)
      .offset(offset)
    return await ticketViews(db).innerJoin(pageIds.as('page'), 'page.id', 'st.id')
      .select('page.total_count')
      .orderBy('page.service_date', 'desc')
      .orderBy('st.id', 'desc')
      .execute()
  })
}

/**
 * The ticket view by id with its ETag, compiled once: it answers every ticket read and write. The
 * lists carry no ETag, so only this query pays for it; it reuses the tax the view computed.
 */
const ticketViewById = compiledOnce(['id'], (db: Kysely<Database>, { id }) => ticketViews(db)
  .select(ticketETagOf({ id: sql.ref('st.id'), version: sql.ref('st.version') }, sql.ref('money.tax')).as('etag'))
  .where('st.id', '=', id))

export async function findTicketView (db: Kysely<Database>, id: number): Promise<TicketViewRow | undefined> {
  const { rows } = await db.executeQuery(ticketViewById(db, { id }))
  return rows[0]
}

/** The view of a ticket the caller knows exists (inside the transaction that wrote it). */
export async function viewOf (trx: Kysely<Database>, id: number): Promise<TicketViewRow> {
  const view = await findTicketView(trx, id)
  if (view === undefined) throw new RowNotFound('service ticket', id)
  return view
}
