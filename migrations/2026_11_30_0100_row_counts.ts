// Maintained row counts for the lists the API pages through, so a page's `total` is a primary-key
// lookup instead of a count(*) over the whole table, whose cost grows with the shop's history.
// Statement-level triggers with transition tables add each statement's rows in one update.
import { sql, type Kysely } from 'kysely'

const COUNTED = ['customers', 'mechanics', 'inventory', 'service_tickets'] as const

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('row_counts')
    .addColumn('table_name', 'text', (col) => col.primaryKey())
    .addColumn('n', 'bigint', (col) => col.notNull().check(sql`n >= 0`))
    .execute()

  await sql`
    create function row_counts_maintain() returns trigger
    language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        update row_counts set n = n + (select count(*) from new_rows) where table_name = tg_table_name;
      else
        update row_counts set n = n - (select count(*) from old_rows) where table_name = tg_table_name;
      end if;
      return null;
    end
    $$`.execute(db)

  for (const table of COUNTED) {
    await sql`insert into row_counts (table_name, n) select ${table}, count(*) from ${sql.table(table)}`.execute(db)
    await sql`
      create trigger ${sql.id(`${table}_count_insert`)} after insert on ${sql.table(table)}
      referencing new table as new_rows for each statement execute function row_counts_maintain()`.execute(db)
    await sql`
      create trigger ${sql.id(`${table}_count_delete`)} after delete on ${sql.table(table)}
      referencing old table as old_rows for each statement execute function row_counts_maintain()`.execute(db)
  }
}

export async function down (db: Kysely<any>): Promise<void> {
  for (const table of COUNTED) {
    await sql`drop trigger ${sql.id(`${table}_count_delete`)} on ${sql.table(table)}`.execute(db)
    await sql`drop trigger ${sql.id(`${table}_count_insert`)} on ${sql.table(table)}`.execute(db)
  }
  await sql`drop function row_counts_maintain()`.execute(db)
  await db.schema.dropTable('row_counts').execute()
}
