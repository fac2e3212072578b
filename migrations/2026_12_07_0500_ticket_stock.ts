// Stock taken by ticket lines. Each part line records how much of its quantity came out of stock
// (0 for a part that was untracked when it was added), so taking the line off, cancelling the
// ticket or deleting it gives back exactly that, and only once: the return sets it to 0. Lines
// that exist already took nothing. Frozen history: Kysely<any>, nothing from src/.
import { sql, type Kysely } from 'kysely'

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('ticket_parts')
    .addColumn('stock_taken', 'integer', (col) => col.notNull().defaultTo(0))
    .execute()
  await db.schema
    .alterTable('ticket_parts')
    .addCheckConstraint('ticket_parts_stock_taken_check', sql`stock_taken between 0 and quantity`)
    .execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('ticket_parts').dropColumn('stock_taken').execute()
}
