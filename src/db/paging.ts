// How list queries find a page and the size of the whole list without costs that grow with it.
import type { Kysely, SelectQueryBuilder } from 'kysely'
import { offsetOf, type PageRequest } from '../lib/pagination.js'
import type { Database } from './schema.js'

export interface Page<R> {
  rows: R[]
  total: number
}

/** The tables whose size row_counts maintains (see migrations/2026_11_30_0100_row_counts.ts). */
export type CountedTable = 'customers' | 'mechanics' | 'inventory' | 'service_tickets' | 'vehicles' | 'invoices'

/** The size of a whole table, read off the trigger-maintained counter: one primary-key lookup. */
export async function countRows (db: Kysely<Database>, table: CountedTable): Promise<number> {
  const row = await db.selectFrom('row_counts').select('n').where('table_name', '=', table).executeTakeFirst()
  return row?.n ?? 0
}

export interface PagePlan {
  /** Walk the id index this way… */
  direction: 'asc' | 'desc'
  limit: number
  offset: number
  /** …and reverse the rows afterwards when walking from the far end. */
  reversed: boolean
}

/**
 * An OFFSET scan costs as many index entries as it skips, so a page in the far half of the list
 * is read from the other end instead: the last page of a million rows costs what the first does.
 * Undefined when the page lies past the end.
 */
export function planPage (total: number, page: PageRequest, direction: 'asc' | 'desc' = 'asc'): PagePlan | undefined {
  const offset = offsetOf(page)
  if (offset >= total) return undefined
  const limit = Math.min(page.per_page, total - offset)
  const after = total - offset - limit
  if (after >= offset) return { direction, limit, offset, reversed: false }
  return { direction: direction === 'asc' ? 'desc' : 'asc', limit, offset: after, reversed: true }
}

/** Applies a plan's row order to rows read in plan.direction. */
const inPageOrder = <R>(rows: R[], plan: PagePlan): R[] => plan.reversed ? rows.reverse() : rows

/**
 * The plan as a select's `id` order, limit and offset, for Kysely's `$call`:
 * `db.selectFrom('inventory').select(COLUMNS).$call(byPlan(plan))`.
 */
export const byPlan = (plan: PagePlan) =>
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- every paged table has an integer `id`
  <Q extends SelectQueryBuilder<any, any, any>>(query: Q): Q =>
    query.orderBy('id', plan.direction).limit(plan.limit).offset(plan.offset) as Q

/**
 * One page of a whole table in id order (`order`), and the size of the table: the total from
 * row_counts, the page from whichever end of the id index is nearer. `read` runs the page's query
 * with the plan, usually through `byPlan`; every list of a whole table goes through here:
 *
 *   listPage(db, 'customers', page, (plan) => db.selectFrom('customers').select(COLUMNS).$call(byPlan(plan)).execute())
 */
export async function listPage<R> (
  db: Kysely<Database>,
  table: CountedTable,
  page: PageRequest,
  read: (plan: PagePlan) => Promise<R[]>,
  order: 'asc' | 'desc' = 'asc',
): Promise<Page<R>> {
  return await countedPage(await countRows(db, table), page, read, order)
}

/**
 * One page of a list whose size a maintained count gave beforehand (`total`), read from whichever
 * end of its index is nearer: listPage for a whole table, and any list with a counter of its own.
 */
export async function countedPage<R> (
  total: number,
  page: PageRequest,
  read: (plan: PagePlan) => Promise<R[]>,
  order: 'asc' | 'desc' = 'asc',
): Promise<Page<R>> {
  const plan = planPage(total, page, order)
  if (plan === undefined) return { rows: [], total }
  return { rows: inPageOrder(await read(plan), plan), total }
}

/** The LIMIT and OFFSET of a filtered list's page. */
export interface PageWindow { limit: number, offset: number }

/**
 * One page of a filtered list (no maintained count), and how many rows `matching` selects. `read`
 * runs the page's query in the window with `count(*) over ()` as `total_count` beside each row, so
 * rows and total arrive in one round trip; only a page past the end needs a second query to count.
 */
export async function filteredPage<TB extends keyof Database, R extends { total_count: number }> (
  matching: SelectQueryBuilder<Database, TB, object>,
  page: PageRequest,
  read: (window: PageWindow) => Promise<R[]>,
): Promise<Page<R>> {
  const window = { limit: page.per_page, offset: offsetOf(page) }
  const rows = await read(window)
  const first = rows[0]
  if (first !== undefined) return { rows, total: first.total_count }
  if (window.offset === 0) return { rows, total: 0 }
  const { count } = await matching.select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow()
  return { rows, total: count }
}
