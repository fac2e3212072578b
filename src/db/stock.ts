// Stock levels and their ledger. Every change is one conditional statement on stock_levels plus a
// stock_movements row, and callers run both in one transaction (a Transaction is a Kysely), so
// `on_hand` always equals the sum of the part's movements. `on_hand >= 0` is the database's CHECK
// as well as the condition of every take.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { PageRequest } from '../lib/pagination.js'
import { InsufficientStock, StockLimitExceeded, StockNotTracked } from './errors.js'
import { filteredPage, type Page } from './paging.js'
import { inTransaction } from './transactions.js'
import type { Database, StockMovementKind } from './schema.js'

/** The most a stock level holds (the CHECK stock_levels_on_hand_max). */
export const MAX_ON_HAND = 1_000_000_000
const CHECK_VIOLATION = '23514'

export interface Actor { role: 'customer' | 'mechanic', id: number }

/** A part's stock; `on_hand` and `reorder_point` are null while it is untracked. */
export interface StockRecord {
  part_id: number
  name: string
  on_hand: number | null
  reorder_point: number | null
}

export interface MovementRecord {
  id: number
  kind: StockMovementKind
  quantity: number
  on_hand_after: number
  ticket_id: number | null
  reference: string | null
  at: Date
  actor_role: 'customer' | 'mechanic'
  actor_id: number
}

const isOverLimit = (err: unknown): boolean =>
  (err as { code?: unknown, constraint?: unknown })?.code === CHECK_VIOLATION &&
  (err as { constraint?: unknown }).constraint === 'stock_levels_on_hand_max'

interface Movement {
  partId: number
  kind: StockMovementKind
  quantity: number
  onHandAfter: number
  actor: Actor
  ticketId?: number | null
  reference?: string | null
}

async function recordMovement (db: Kysely<Database>, m: Movement): Promise<void> {
  await db.insertInto('stock_movements').values({
    part_id: m.partId,
    kind: m.kind,
    quantity: m.quantity,
    on_hand_after: m.onHandAfter,
    ticket_id: m.ticketId ?? null,
    reference: m.reference ?? null,
    actor_role: m.actor.role,
    actor_id: m.actor.id,
  }).execute()
}

/** Undefined when no part has that id. */
export async function findStock (db: Kysely<Database>, partId: number): Promise<StockRecord | undefined> {
  return await db.selectFrom('inventory')
    .leftJoin('stock_levels', 'stock_levels.part_id', 'inventory.id')
    .select(['inventory.id as part_id', 'inventory.name', 'stock_levels.on_hand', 'stock_levels.reorder_point'])
    .where('inventory.id', '=', partId)
    .executeTakeFirst()
}

/**
 * A physical count: `on_hand` becomes `onHand` and the difference is a `count` movement; the part
 * is tracked from then on. `reorderPoint` undefined keeps the current one (0 for a first count).
 * Undefined when no part has that id.
 */
export async function countStock (
  db: Kysely<Database>, partId: number, onHand: number, reorderPoint: number | undefined, actor: Actor,
): Promise<StockRecord | undefined> {
  return await inTransaction(db, (trx) => countInTransaction(trx, partId, onHand, reorderPoint, actor))
}

async function countInTransaction (
  trx: Kysely<Database>, partId: number, onHand: number, reorderPoint: number | undefined, actor: Actor,
): Promise<StockRecord | undefined> {
  // The part row is locked against deletion until the count commits.
  const part = await trx.selectFrom('inventory').select(['id', 'name']).where('id', '=', partId).forKeyShare().executeTakeFirst()
  if (part === undefined) return undefined
  await trx.insertInto('stock_levels').values({ part_id: partId, on_hand: 0 })
    .onConflict((oc) => oc.column('part_id').doNothing()).execute()
  // Locked, so the difference recorded is against the level this count replaces.
  const before = await trx.selectFrom('stock_levels').select('on_hand').where('part_id', '=', partId).forUpdate().executeTakeFirstOrThrow()
  const after = await trx.updateTable('stock_levels')
    .set({ on_hand: onHand, updated_at: sql<Date>`now()`, ...(reorderPoint === undefined ? {} : { reorder_point: reorderPoint }) })
    .where('part_id', '=', partId)
    .returning(['on_hand', 'reorder_point'])
    .executeTakeFirstOrThrow()
  await recordMovement(trx, { partId, kind: 'count', quantity: onHand - before.on_hand, onHandAfter: onHand, actor })
  return { part_id: partId, name: part.name, on_hand: after.on_hand, reorder_point: after.reorder_point }
}

/** Adds `quantity` to a tracked part's stock and books `kind`; undefined when the part is untracked. */
async function addStock (trx: Kysely<Database>, partId: number, quantity: number, movement: Omit<Movement, 'partId' | 'quantity' | 'onHandAfter'>): Promise<number | undefined> {
  let row: { on_hand: number } | undefined
  try {
    row = await trx.updateTable('stock_levels')
      .set({ on_hand: sql<number>`on_hand + ${quantity}`, updated_at: sql<Date>`now()` })
      .where('part_id', '=', partId)
      .returning('on_hand')
      .executeTakeFirst()
  } catch (err) {
    if (isOverLimit(err)) throw new StockLimitExceeded(partId, MAX_ON_HAND)
    throw err
  }
  if (row === undefined) return undefined
  await recordMovement(trx, { ...movement, partId, quantity, onHandAfter: row.on_hand })
  return row.on_hand
}

/**
 * A delivery: adds `quantity` to a tracked part and books a `receipt`. Undefined when no part has
 * that id; StockNotTracked for a part never counted, StockLimitExceeded past MAX_ON_HAND.
 */
export async function receiveStock (
  trx: Kysely<Database>, partId: number, quantity: number, reference: string | undefined, actor: Actor,
): Promise<StockRecord | undefined> {
  const onHand = await addStock(trx, partId, quantity, { kind: 'receipt', actor, reference: reference ?? null })
  if (onHand === undefined) {
    if (await findStock(trx, partId) === undefined) return undefined
    throw new StockNotTracked(partId)
  }
  return await findStock(trx, partId)
}

/** What a take or return did: nothing for an untracked part, else the level after it. */
export type StockChange = { tracked: false } | { tracked: true, onHand: number }

/**
 * Takes `quantity` of a part for a ticket line, in the caller's transaction: one conditional
 * `on_hand = on_hand - q … where on_hand >= q`, so concurrent takes can never overdraw, and a
 * `ticket` movement. An untracked part is left alone ({ tracked: false }). Not enough in stock
 * throws InsufficientStock carrying what is available; nothing is changed then.
 */
export async function takeStock (trx: Transaction<Database>, partId: number, quantity: number, ticketId: number, actor: Actor): Promise<StockChange> {
  // A level that grew between the failed update and the read is tried again; it cannot loop for
  // long, as each round needs another transaction's receipt to commit in between.
  for (let attempt = 0; ; attempt++) {
    const row = await trx.updateTable('stock_levels')
      .set({ on_hand: sql<number>`on_hand - ${quantity}`, updated_at: sql<Date>`now()` })
      .where('part_id', '=', partId)
      .where('on_hand', '>=', quantity)
      .returning('on_hand')
      .executeTakeFirst()
    if (row !== undefined) {
      await recordMovement(trx, { partId, kind: 'ticket', quantity: -quantity, onHandAfter: row.on_hand, ticketId, actor })
      return { tracked: true, onHand: row.on_hand }
    }
    const level = await trx.selectFrom('stock_levels').select('on_hand').where('part_id', '=', partId).executeTakeFirst()
    if (level === undefined) return { tracked: false }
    if (level.on_hand < quantity || attempt >= 3) throw new InsufficientStock(partId, quantity, level.on_hand)
  }
}

/**
 * Gives `quantity` of a part back from a ticket, in the caller's transaction, booked as `return`.
 * An untracked part is left alone. Callers return each line once (see API.md, Stock).
 */
export async function returnStock (trx: Transaction<Database>, partId: number, quantity: number, ticketId: number, actor: Actor): Promise<StockChange> {
  const onHand = await addStock(trx, partId, quantity, { kind: 'return', actor, ticketId })
  return onHand === undefined ? { tracked: false } : { tracked: true, onHand }
}

/** One page of a part's ledger, oldest first. */
export async function listMovements (db: Kysely<Database>, partId: number, page: PageRequest): Promise<Page<MovementRecord>> {
  const matching = db.selectFrom('stock_movements').where('part_id', '=', partId)
  const counted = await filteredPage(matching, page, async ({ limit, offset }) => await matching
    .select(['id', 'kind', 'quantity', 'on_hand_after', 'ticket_id', 'reference', 'at', 'actor_role', 'actor_id',
      sql<number>`count(*) over ()::int`.as('total_count')])
    .orderBy('id', 'asc').limit(limit).offset(offset)
    .execute())
  return { rows: counted.rows.map(({ total_count: _, ...movement }) => movement), total: counted.total }
}

/** One page of the tracked parts' stock by part id; `belowReorderPoint` keeps the reorder list. */
export async function listStock (db: Kysely<Database>, belowReorderPoint: boolean, page: PageRequest): Promise<Page<StockRecord>> {
  let matching = db.selectFrom('stock_levels').innerJoin('inventory', 'inventory.id', 'stock_levels.part_id')
  if (belowReorderPoint) matching = matching.where(sql<boolean>`stock_levels.on_hand < stock_levels.reorder_point`)
  const counted = await filteredPage(matching, page, async ({ limit, offset }) => await matching
    .select(['stock_levels.part_id', 'inventory.name', 'stock_levels.on_hand', 'stock_levels.reorder_point',
      sql<number>`count(*) over ()::int`.as('total_count')])
    .orderBy('stock_levels.part_id', 'asc').limit(limit).offset(offset).execute())
  return { rows: counted.rows.map(({ total_count: _, ...stock }) => stock), total: counted.total }
}

/** The part's on_hand and the sum of its ledger, for checks that the two agree. */
export async function ledgerBalance (db: Kysely<Database>, partId: number): Promise<{ on_hand: number | null, ledger: number }> {
  const level = await db.selectFrom('stock_levels').select('on_hand').where('part_id', '=', partId).executeTakeFirst()
  const sum = await db.selectFrom('stock_movements').select(sql<number>`coalesce(sum(quantity), 0)::int`.as('n')).where('part_id', '=', partId).executeTakeFirstOrThrow()
  return { on_hand: level?.on_hand ?? null, ledger: sum.n }
}
