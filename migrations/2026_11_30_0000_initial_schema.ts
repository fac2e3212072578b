// Migrations are frozen history: they take Kysely<any> and never import src/, so later
// changes to the app's types or helpers cannot change what an old migration does.
import { sql, type Kysely } from 'kysely'

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('customers')
    .addColumn('id', 'integer', (col) => col.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('phone', 'text', (col) => col.notNull())
    .addColumn('password_hash', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute()
  // An expression index rather than citext: it works on stock PostgreSQL and PGlite alike,
  // and lookups must then filter on lower(email) to use it.
  await db.schema
    .createIndex('customers_email_key')
    .on('customers')
    .unique()
    .expression(sql`lower(email)`)
    .execute()

  await db.schema
    .createTable('mechanics')
    .addColumn('id', 'integer', (col) => col.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('email', 'text', (col) => col.notNull())
    .addColumn('phone', 'text', (col) => col.notNull())
    .addColumn('salary', 'numeric(12, 2)', (col) => col.notNull())
    .addColumn('password_hash', 'text', (col) => col.notNull())
    // Denormalised so that ranking mechanics by workload is an index scan, not an
    // aggregate over service_mechanics; the triggers below are its only writers.
    .addColumn('ticket_count', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('mechanics_salary_check', sql`salary >= 0`)
    .execute()
  await db.schema
    .createIndex('mechanics_email_key')
    .on('mechanics')
    .unique()
    .expression(sql`lower(email)`)
    .execute()
  await db.schema
    .createIndex('mechanics_ranking_idx')
    .on('mechanics')
    .columns(['ticket_count desc', 'id'])
    .execute()

  await db.schema
    .createTable('inventory')
    .addColumn('id', 'integer', (col) => col.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('name', 'text', (col) => col.notNull())
    .addColumn('price', 'numeric(12, 2)', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('inventory_price_check', sql`price >= 0`)
    .execute()

  await db.schema
    .createTable('service_tickets')
    .addColumn('id', 'integer', (col) => col.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('customer_id', 'integer', (col) => col.notNull())
    .addColumn('vin', 'text', (col) => col.notNull())
    .addColumn('service_date', 'date', (col) => col.notNull())
    .addColumn('service_desc', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    // Constraint names are spelled out because the API's error mapping matches on them.
    // NO ACTION rather than RESTRICT: both refuse to delete a referenced row, but from
    // PostgreSQL 18 on (PGlite 0.5 is 18) RESTRICT reports SQLSTATE 23001 instead of the
    // 23503 that older servers and the error mapping use. Not deferrable, so the check still
    // runs as the deleting statement ends, not at commit.
    .addForeignKeyConstraint('service_tickets_customer_id_fkey', ['customer_id'], 'customers', ['id'], (fk) => fk.onDelete('no action'))
    .execute()
  // (customer_id, id) serves "a customer's tickets, in id order" without a sort.
  await db.schema
    .createIndex('service_tickets_customer_id_idx')
    .on('service_tickets')
    .columns(['customer_id', 'id'])
    .execute()

  await db.schema
    .createTable('service_mechanics')
    .addColumn('ticket_id', 'integer', (col) => col.notNull())
    .addColumn('mechanic_id', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('service_mechanics_pkey', ['ticket_id', 'mechanic_id'])
    .addForeignKeyConstraint('service_mechanics_ticket_id_fkey', ['ticket_id'], 'service_tickets', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('service_mechanics_mechanic_id_fkey', ['mechanic_id'], 'mechanics', ['id'], (fk) => fk.onDelete('cascade'))
    .execute()
  await db.schema
    .createIndex('service_mechanics_mechanic_id_idx')
    .on('service_mechanics')
    .columns(['mechanic_id', 'ticket_id'])
    .execute()

  await db.schema
    .createTable('ticket_parts')
    .addColumn('ticket_id', 'integer', (col) => col.notNull())
    .addColumn('part_id', 'integer', (col) => col.notNull())
    .addColumn('quantity', 'integer', (col) => col.notNull())
    .addPrimaryKeyConstraint('ticket_parts_pkey', ['ticket_id', 'part_id'])
    .addForeignKeyConstraint('ticket_parts_ticket_id_fkey', ['ticket_id'], 'service_tickets', ['id'], (fk) => fk.onDelete('cascade'))
    // NO ACTION for the same reason as service_tickets_customer_id_fkey.
    .addForeignKeyConstraint('ticket_parts_part_id_fkey', ['part_id'], 'inventory', ['id'], (fk) => fk.onDelete('no action'))
    .addCheckConstraint('ticket_parts_quantity_check', sql`quantity > 0`)
    .execute()
  await db.schema
    .createIndex('ticket_parts_part_id_idx')
    .on('ticket_parts')
    .column('part_id')
    .execute()

  // One function for all three events keeps the +1/-1 bookkeeping in one place.
  // When a mechanic is deleted, the cascade removes their service_mechanics rows after the
  // mechanic row is already gone, so the decrement matches no row: that is harmless, which
  // is why this is a plain UPDATE and never checks FOUND.
  // UPDATE is covered too: moving a row to another mechanic would otherwise leave both
  // counters wrong. (TRUNCATE bypasses row triggers; nothing in the app truncates.)
  await sql`
    create function service_mechanics_maintain_ticket_count() returns trigger
    language plpgsql as $$
    begin
      if tg_op in ('DELETE', 'UPDATE') then
        update mechanics set ticket_count = ticket_count - 1 where id = old.mechanic_id;
      end if;
      if tg_op in ('INSERT', 'UPDATE') then
        update mechanics set ticket_count = ticket_count + 1 where id = new.mechanic_id;
      end if;
      return null;
    end
    $$
  `.execute(db)
  await sql`
    create trigger service_mechanics_count_insert
    after insert on service_mechanics
    for each row execute function service_mechanics_maintain_ticket_count()
  `.execute(db)
  await sql`
    create trigger service_mechanics_count_delete
    after delete on service_mechanics
    for each row execute function service_mechanics_maintain_ticket_count()
  `.execute(db)
  await sql`
    create trigger service_mechanics_count_update
    after update of mechanic_id on service_mechanics
    for each row
    when (old.mechanic_id is distinct from new.mechanic_id)
    execute function service_mechanics_maintain_ticket_count()
  `.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop trigger service_mechanics_count_update on service_mechanics`.execute(db)
  await sql`drop trigger service_mechanics_count_delete on service_mechanics`.execute(db)
  await sql`drop trigger service_mechanics_count_insert on service_mechanics`.execute(db)
  await sql`drop function service_mechanics_maintain_ticket_count()`.execute(db)
  // Indexes and constraints go with their tables. No IF EXISTS: the migrator runs this in a
  // transaction, so a missing object means schema drift worth failing on.
  await db.schema.dropTable('ticket_parts').execute()
  await db.schema.dropTable('service_mechanics').execute()
  await db.schema.dropTable('service_tickets').execute()
  await db.schema.dropTable('inventory').execute()
  await db.schema.dropTable('mechanics').execute()
  await db.schema.dropTable('customers').execute()
}
