// Labor lines on service tickets (API.md Part 3). A line's total is hours × rate rounded half-up
// to the cent, kept by the database as a stored generated column, so every reader (ticket views,
// invoices) gets the same cents. Frozen history: Kysely<any>, nothing from src/.
import { sql, type Kysely } from 'kysely'

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('ticket_labor_lines')
    .addColumn('id', 'integer', (col) => col.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('ticket_id', 'integer', (col) => col.notNull().references('service_tickets.id').onDelete('cascade'))
    .addColumn('description', 'text', (col) => col.notNull())
    .addColumn('hours', 'numeric(5, 2)', (col) => col.notNull())
    .addColumn('rate', 'numeric(12, 2)', (col) => col.notNull())
    // round() on numeric rounds half away from zero, which for amounts ≥ 0 is half-up.
    .addColumn('line_total', 'numeric(12, 2)', (col) => col.notNull().generatedAlwaysAs(sql`round(hours * rate, 2)`).stored())
    // A deleted mechanic's lines stay on their tickets, without the name.
    .addColumn('mechanic_id', 'integer', (col) => col.references('mechanics.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('ticket_labor_lines_hours_check', sql`hours between 0.01 and 999.99`)
    // The bound keeps every line, and a ticket's 100 lines together, exact as JSON numbers.
    .addCheckConstraint('ticket_labor_lines_rate_check', sql`rate between 0 and 99999.99`)
    .addCheckConstraint('ticket_labor_lines_description_check', sql`length(description) between 1 and 500`)
    .execute()
  await db.schema.createIndex('ticket_labor_lines_ticket_id_idx').on('ticket_labor_lines').columns(['ticket_id', 'id']).execute()
  // Deleting a mechanic nulls their lines: find them without a scan.
  await db.schema.createIndex('ticket_labor_lines_mechanic_id_idx').on('ticket_labor_lines').column('mechanic_id')
    .where('mechanic_id', 'is not', null).execute()

  // The contract bounds labor_rate as it bounds a line's rate; the default rate must fit a line.
  await sql`alter table shop_settings add constraint shop_settings_labor_rate_max check (labor_rate <= 99999.99)`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`alter table shop_settings drop constraint shop_settings_labor_rate_max`.execute(db)
  await db.schema.dropTable('ticket_labor_lines').execute()
}
