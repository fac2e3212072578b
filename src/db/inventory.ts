// Every query on the parts catalogue. Prices go in as two-decimal text and come out as numeric
// text, so no float ever meets the numeric column.
import type { Kysely } from 'kysely'
import { toNumeric } from '../lib/money.js'
import type { PageRequest } from '../lib/pagination.js'
import { byPlan, listPage, type Page } from './paging.js'
import { rethrowStillReferenced } from './pg-errors.js'
import type { Database, InventoryRow } from './schema.js'

const COLUMNS = ['id', 'name', 'price'] as const

export type PartRecord = Pick<InventoryRow, (typeof COLUMNS)[number]>

/** `price` is the API's number. */
export interface PartValues { name: string, price: number }

export async function insertPart (db: Kysely<Database>, values: PartValues): Promise<PartRecord> {
  return await db.insertInto('inventory')
    .values({ name: values.name, price: toNumeric(values.price) })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow()
}

export async function findPart (db: Kysely<Database>, id: number): Promise<PartRecord | undefined> {
  return await db.selectFrom('inventory').select(COLUMNS).where('id', '=', id).executeTakeFirst()
}

/** One page of the catalogue by id, and the size of the whole of it. */
export async function listParts (db: Kysely<Database>, page: PageRequest): Promise<Page<PartRecord>> {
  return await listPage(db, 'inventory', page, (plan) => db.selectFrom('inventory').select(COLUMNS).$call(byPlan(plan)).execute())
}

/** Undefined when no part has that id. */
export async function updatePart (db: Kysely<Database>, id: number, values: PartValues): Promise<PartRecord | undefined> {
  return await db.updateTable('inventory')
    .set({ name: values.name, price: toNumeric(values.price) })
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirst()
}

/** False when no part has that id; a part on any ticket is kept by the foreign key (409). */
export async function deletePart (db: Kysely<Database>, id: number): Promise<boolean> {
  const result = await db.deleteFrom('inventory').where('id', '=', id).executeTakeFirst()
    .catch(rethrowStillReferenced('ticket_parts_part_id_fkey', 'The part is used on a service ticket.'))
  return result.numDeletedRows > 0n
}
