// Invoices (frozen snapshots of a completed ticket), their payments, and the counter that numbers
// them. Frozen history: Kysely<any>, nothing from src/.
import { sql, type Kysely } from 'kysely'

export async function up (db: Kysely<any>): Promise<void> {
  // Invoice numbers come from this one row, updated in the issuing transaction: a rolled-back
  // issue gives its number back, so numbers have no gaps (a sequence would skip them).
  await db.schema
    .createTable('invoice_numbers')
    .addColumn('id', 'boolean', (col) => col.primaryKey().defaultTo(true))
    .addColumn('last_number', 'integer', (col) => col.notNull().defaultTo(0))
    .addCheckConstraint('invoice_numbers_single_row', sql`id`)
    .addCheckConstraint('invoice_numbers_last_number_check', sql`last_number >= 0`)
    .execute()
  await sql`insert into invoice_numbers (id) values (true)`.execute(db)

  // ticket_id and customer_id have no foreign key: an invoice is a record of what was billed and
  // outlives the ticket and the customer it names (their details are in the snapshot).
  // Money is numeric(16,2): a ticket's lines can total up to about 10^13 (see the Price schema).
  await db.schema
    .createTable('invoices')
    .addColumn('id', 'integer', (col) => col.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('number', 'integer', (col) => col.notNull())
    .addColumn('ticket_id', 'integer', (col) => col.notNull())
    .addColumn('customer_id', 'integer', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('open'))
    .addColumn('issued_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('voided_at', 'timestamptz')
    .addColumn('customer', 'jsonb', (col) => col.notNull())
    .addColumn('vehicle', 'jsonb', (col) => col.notNull())
    .addColumn('odometer_in', 'integer')
    .addColumn('odometer_out', 'integer')
    .addColumn('parts', 'jsonb', (col) => col.notNull())
    .addColumn('labor', 'jsonb', (col) => col.notNull())
    .addColumn('parts_total', 'numeric(16, 2)', (col) => col.notNull())
    .addColumn('labor_total', 'numeric(16, 2)', (col) => col.notNull())
    .addColumn('parts_tax_rate', 'numeric(5, 4)', (col) => col.notNull())
    .addColumn('labor_tax_rate', 'numeric(5, 4)', (col) => col.notNull())
    .addColumn('tax', 'numeric(16, 2)', (col) => col.notNull())
    .addColumn('total', 'numeric(16, 2)', (col) => col.notNull())
    .addColumn('amount_paid', 'numeric(16, 2)', (col) => col.notNull().defaultTo('0'))
    .addUniqueConstraint('invoices_number_key', ['number'])
    .addCheckConstraint('invoices_number_check', sql`number > 0`)
    .addCheckConstraint('invoices_status_check', sql`status in ('open', 'paid', 'void')`)
    .addCheckConstraint('invoices_amounts_check', sql`parts_total >= 0 and labor_total >= 0 and tax >= 0`)
    .addCheckConstraint('invoices_total_check', sql`total = parts_total + labor_total + tax`)
    // What each status means for the money: open owes something, paid owes nothing, void took nothing.
    .addCheckConstraint('invoices_balance_check', sql`(status = 'open' and amount_paid >= 0 and amount_paid < total)
      or (status = 'paid' and amount_paid = total) or (status = 'void' and amount_paid = 0)`)
    .execute()
  // At most one invoice that is not void per ticket.
  await sql`create unique index invoices_ticket_id_live_idx on invoices (ticket_id) where status <> 'void'`.execute(db)
  await db.schema.createIndex('invoices_ticket_id_idx').on('invoices').column('ticket_id').execute()
  await db.schema.createIndex('invoices_customer_id_idx').on('invoices').columns(['customer_id', 'id']).execute()
  await db.schema.createIndex('invoices_status_idx').on('invoices').columns(['status', 'id']).execute()

  await db.schema
    .createTable('invoice_payments')
    .addColumn('id', 'integer', (col) => col.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('invoice_id', 'integer', (col) => col.notNull())
    .addColumn('amount', 'numeric(16, 2)', (col) => col.notNull())
    .addColumn('method', 'text', (col) => col.notNull())
    .addColumn('reference', 'text')
    .addColumn('at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('actor_role', 'text', (col) => col.notNull())
    .addColumn('actor_id', 'integer', (col) => col.notNull())
    .addForeignKeyConstraint('invoice_payments_invoice_id_fkey', ['invoice_id'], 'invoices', ['id'], (fk) => fk.onDelete('restrict'))
    .addCheckConstraint('invoice_payments_amount_check', sql`amount > 0`)
    .addCheckConstraint('invoice_payments_method_check', sql`method in ('cash', 'card', 'check', 'other')`)
    .addCheckConstraint('invoice_payments_actor_role_check', sql`actor_role in ('customer', 'mechanic')`)
    .execute()
  await db.schema.createIndex('invoice_payments_invoice_id_idx').on('invoice_payments').columns(['invoice_id', 'id']).execute()

  // GET /invoices pages through the whole table: its size comes from row_counts like the others'.
  await sql`insert into row_counts (table_name, n) select 'invoices', count(*) from invoices`.execute(db)
  await sql`create trigger invoices_count_insert after insert on invoices
    referencing new table as new_rows for each statement execute function row_counts_maintain()`.execute(db)
  await sql`create trigger invoices_count_delete after delete on invoices
    referencing old table as old_rows for each statement execute function row_counts_maintain()`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop trigger invoices_count_delete on invoices`.execute(db)
  await sql`drop trigger invoices_count_insert on invoices`.execute(db)
  await sql`delete from row_counts where table_name = 'invoices'`.execute(db)
  await db.schema.dropTable('invoice_payments').execute()
  await db.schema.dropTable('invoices').execute()
  await db.schema.dropTable('invoice_numbers').execute()
}
