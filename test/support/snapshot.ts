// "A failed request writes nothing", checked from the database's side: the row count and a cheap
// checksum of every row's text, for every table of the app, taken before and after a request.
import { sql, type Kysely } from 'kysely'
import type { Database } from '../../src/db/schema.js'

const TABLES = [
  'customers', 'mechanics', 'inventory', 'vehicles', 'service_tickets', 'service_mechanics', 'ticket_parts', 'ticket_labor_lines', 'ticket_events', 'sessions', 'refresh_tokens',
  'shop_settings', 'stock_levels', 'stock_movements', 'idempotency_keys', 'ticket_status_counts', 'invoice_numbers', 'invoices', 'invoice_payments',
] as const satisfies ReadonlyArray<keyof Database>

export type Snapshot = Record<(typeof TABLES)[number], { rows: number, checksum: string }>

/** One statement, so the tables are read in one snapshot of the database. */
export async function snapshot (db: Kysely<Database>): Promise<Snapshot> {
  // hashtext() of the row's text form changes when any column does; the sum is order-free.
  // Cast to text: the sum is an int8, and the count would be one on pg.
  const selects = TABLES.map((table) =>
    sql`select ${table}::text as name, count(*)::int as rows, coalesce(sum(hashtext(t::text)), 0)::text as checksum from ${sql.table(table)} as t`)
  const { rows } = await sql<{ name: (typeof TABLES)[number], rows: number, checksum: string }>`${sql.join(selects, sql` union all `)}`.execute(db)
  return Object.fromEntries(rows.map((r) => [r.name, { rows: r.rows, checksum: r.checksum }])) as Snapshot
}

/** The tables whose count or checksum differ, as `table: before → after`; empty when none did. */
export function changedTables (before: Snapshot, after: Snapshot): string[] {
  return TABLES.filter((table) => before[table].rows !== after[table].rows || before[table].checksum !== after[table].checksum)
    .map((table) => `${table}: ${before[table].rows} rows/${before[table].checksum} → ${after[table].rows} rows/${after[table].checksum}`)
}
