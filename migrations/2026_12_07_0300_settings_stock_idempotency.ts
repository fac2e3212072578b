// The shop's settings (one row), stock levels with their ledger, and the stored answers of
// idempotent requests. Frozen history: Kysely<any>, nothing from src/.
import { sql, type Kysely } from 'kysely'

export async function up (db: Kysely<any>): Promise<void> {
  // One row, enforced by a primary key that can only be true.
  await db.schema
    .createTable('shop_settings')
    .addColumn('id', 'boolean', (col) => col.primaryKey().defaultTo(true))
    .addColumn('labor_rate', 'numeric(12, 2)', (col) => col.notNull().defaultTo('100.00'))
    .addColumn('parts_tax_rate', 'numeric(5, 4)', (col) => col.notNull().defaultTo('0'))
    .addColumn('labor_tax_rate', 'numeric(5, 4)', (col) => col.notNull().defaultTo('0'))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('shop_settings_single_row', sql`id`)
    .addCheckConstraint('shop_settings_labor_rate_check', sql`labor_rate >= 0`)
    .addCheckConstraint('shop_settings_tax_rates_check', sql`parts_tax_rate between 0 and 1 and labor_tax_rate between 0 and 1`)
    .execute()
  await sql`insert into shop_settings (id) values (true)`.execute(db)

  // A part is tracked exactly when it has a row here. The upper bound keeps every receipt's
  // sum inside integer; the API reports a receipt past it as a conflict.
  await db.schema
    .createTable('stock_levels')
    .addColumn('part_id', 'integer', (col) => col.primaryKey())
    .addColumn('on_hand', 'integer', (col) => col.notNull())
    .addColumn('reorder_point', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint('stock_levels_part_id_fkey', ['part_id'], 'inventory', ['id'], (fk) => fk.onDelete('cascade'))
    .addCheckConstraint('stock_levels_on_hand_check', sql`on_hand >= 0`)
    .addCheckConstraint('stock_levels_on_hand_max', sql`on_hand <= 1000000000`)
    .addCheckConstraint('stock_levels_reorder_point_check', sql`reorder_point between 0 and 1000000000`)
    .execute()
  // The reorder list: only the rows below their reorder point are in the index.
  await sql`create index stock_levels_below_reorder_point_idx on stock_levels (part_id) where on_hand < reorder_point`.execute(db)

  // The ledger. ticket_id has no foreign key: a deleted ticket's movements stay as history.
  await db.schema
    .createTable('stock_movements')
    .addColumn('id', 'integer', (col) => col.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('part_id', 'integer', (col) => col.notNull())
    .addColumn('kind', 'text', (col) => col.notNull())
    .addColumn('quantity', 'integer', (col) => col.notNull())
    .addColumn('on_hand_after', 'integer', (col) => col.notNull())
    .addColumn('ticket_id', 'integer')
    .addColumn('reference', 'text')
    .addColumn('at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('actor_role', 'text', (col) => col.notNull())
    .addColumn('actor_id', 'integer', (col) => col.notNull())
    .addForeignKeyConstraint('stock_movements_part_id_fkey', ['part_id'], 'stock_levels', ['part_id'], (fk) => fk.onDelete('cascade'))
    .addCheckConstraint('stock_movements_kind_check', sql`kind in ('count', 'receipt', 'ticket', 'return')`)
    .addCheckConstraint('stock_movements_on_hand_after_check', sql`on_hand_after >= 0`)
    .addCheckConstraint('stock_movements_actor_role_check', sql`actor_role in ('customer', 'mechanic')`)
    .execute()
  await db.schema.createIndex('stock_movements_part_id_idx').on('stock_movements').columns(['part_id', 'id']).execute()

  // One row per (caller, operation with its path parameters, key). The row is written in the
  // transaction of the change it answers for, so it commits or rolls back with it.
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('id', 'bigint', (col) => col.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('scope', 'text', (col) => col.notNull())
    .addColumn('route', 'text', (col) => col.notNull())
    .addColumn('key', 'text', (col) => col.notNull())
    .addColumn('fingerprint', 'text', (col) => col.notNull())
    .addColumn('status', 'integer')
    .addColumn('headers', 'jsonb')
    .addColumn('body', 'jsonb')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addUniqueConstraint('idempotency_keys_scope_route_key', ['scope', 'route', 'key'])
    .execute()
  await db.schema.createIndex('idempotency_keys_expires_at_idx').on('idempotency_keys').column('expires_at').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute()
  await db.schema.dropTable('stock_movements').execute()
  await db.schema.dropTable('stock_levels').execute()
  await db.schema.dropTable('shop_settings').execute()
}
