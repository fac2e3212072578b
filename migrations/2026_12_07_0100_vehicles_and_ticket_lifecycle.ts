// Vehicles, and the repair order's lifecycle on service tickets: a status with its CHECK, a version
// for conditional writes, odometer readings, the customer's authorization, and a history of events.
// Tickets that exist already get a vehicle per distinct (customer, VIN) and become `in_progress`.
// Frozen history: Kysely<any>, nothing imported from src/.
import { sql, type Kysely } from 'kysely'

const STATUSES = ['estimate', 'approved', 'in_progress', 'completed', 'invoiced', 'paid', 'cancelled']
const EVENT_TYPES = ['created', 'updated', 'mechanics_changed', 'part_added', 'part_removed', 'labor_added', 'labor_updated',
  'labor_removed', 'approved', 'declined', 'status_changed', 'invoiced', 'invoice_voided', 'payment_received']

const inList = (values: string[]) => sql.join(values.map((v) => sql.lit(v)))

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('vehicles')
    .addColumn('id', 'integer', (col) => col.generatedAlwaysAsIdentity().primaryKey())
    .addColumn('customer_id', 'integer', (col) => col.notNull())
    .addColumn('vin', 'text', (col) => col.notNull())
    .addColumn('year', 'integer')
    .addColumn('make', 'text')
    .addColumn('model', 'text')
    .addColumn('license_plate', 'text')
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    // A customer's vehicles go with them (a customer without tickets can be deleted, as before
    // vehicles existed); a vehicle that a ticket still references stops that delete (409).
    .addForeignKeyConstraint('vehicles_customer_id_fkey', ['customer_id'], 'customers', ['id'], (fk) => fk.onDelete('cascade'))
    .addCheckConstraint('vehicles_year_check', sql`year >= 1886`)
    .addCheckConstraint('vehicles_license_plate_check', sql`char_length(license_plate) between 1 and 16`)
    .execute()
  // A customer holds a VIN at most once; the API's 409 matches on this name.
  await db.schema.createIndex('vehicles_customer_id_vin_key').on('vehicles').unique().columns(['customer_id', 'vin']).execute()
  // "A customer's vehicles, oldest first" and the two lookups GET /vehicles filters on.
  await db.schema.createIndex('vehicles_customer_id_idx').on('vehicles').columns(['customer_id', 'id']).execute()
  await db.schema.createIndex('vehicles_vin_idx').on('vehicles').columns(['vin', 'id']).execute()
  await db.schema.createIndex('vehicles_license_plate_idx').on('vehicles').expression(sql`lower(license_plate), id`).execute()

  await sql`
    insert into vehicles (customer_id, vin)
    select distinct customer_id, vin from service_tickets order by customer_id, vin`.execute(db)

  await db.schema
    .alterTable('service_tickets')
    // PostgreSQL names it service_tickets_vehicle_id_fkey; NO ACTION makes a referenced vehicle's delete a 409.
    .addColumn('vehicle_id', 'integer', (col) => col.references('vehicles.id').onDelete('no action'))
    // Existing tickets are work already under way; the default becomes `estimate` below.
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('in_progress'))
    .addColumn('version', 'integer', (col) => col.notNull().defaultTo(1))
    .addColumn('odometer_in', 'integer')
    .addColumn('odometer_out', 'integer')
    .addColumn('authorized_total', sql`numeric(12, 2)`)
    .addColumn('authorized_at', 'timestamptz')
    .addColumn('authorized_by_role', 'text')
    .addColumn('authorized_by_id', 'integer')
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`update service_tickets set updated_at = created_at`.execute(db)
  await sql`
    update service_tickets st set vehicle_id = v.id
    from vehicles v where v.customer_id = st.customer_id and v.vin = st.vin`.execute(db)
  await sql`alter table service_tickets alter column vehicle_id set not null`.execute(db)
  await sql`alter table service_tickets alter column status set default 'estimate'`.execute(db)
  await sql`alter table service_tickets add constraint service_tickets_status_check check (status in (${inList(STATUSES)}))`.execute(db)
  await sql`alter table service_tickets add constraint service_tickets_version_check check (version >= 1)`.execute(db)
  await sql`alter table service_tickets add constraint service_tickets_odometer_check
    check (odometer_in >= 0 and odometer_out >= 0 and odometer_out >= odometer_in)`.execute(db)
  await sql`alter table service_tickets add constraint service_tickets_authorized_by_check
    check ((authorized_by_role is null) = (authorized_by_id is null) and authorized_by_role in ('customer', 'mechanic'))`.execute(db)

  // The filtered ticket lists, newest first, each an index walk: by status; a vehicle's history by
  // service date; a customer's tickets in a status. (customer_id, id) and the mechanic link's
  // (mechanic_id, ticket_id) exist already.
  await db.schema.createIndex('service_tickets_status_idx').on('service_tickets').columns(['status', 'id']).execute()
  await db.schema.createIndex('service_tickets_vehicle_id_idx').on('service_tickets')
    .columns(['vehicle_id', 'service_date desc', 'id desc']).execute()
  await db.schema.createIndex('service_tickets_customer_id_status_idx').on('service_tickets')
    .columns(['customer_id', 'status', 'id']).execute()

  await db.schema
    .createTable('ticket_events')
    .addColumn('id', 'bigint', (col) => col.generatedAlwaysAsIdentity().primaryKey())
    // The history goes with its ticket.
    .addColumn('ticket_id', 'integer', (col) => col.notNull().references('service_tickets.id').onDelete('cascade'))
    .addColumn('type', 'text', (col) => col.notNull())
    .addColumn('actor_role', 'text', (col) => col.notNull())
    .addColumn('actor_id', 'integer', (col) => col.notNull())
    .addColumn('data', 'jsonb', (col) => col.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addCheckConstraint('ticket_events_type_check', sql`type in (${inList(EVENT_TYPES)})`)
    .addCheckConstraint('ticket_events_actor_role_check', sql`actor_role in ('customer', 'mechanic')`)
    .execute()
  await db.schema.createIndex('ticket_events_ticket_id_idx').on('ticket_events').columns(['ticket_id', 'id']).execute()

  // GET /vehicles pages through the whole table: its size comes from row_counts like the others'.
  await sql`insert into row_counts (table_name, n) select 'vehicles', count(*) from vehicles`.execute(db)
  await sql`create trigger vehicles_count_insert after insert on vehicles
    referencing new table as new_rows for each statement execute function row_counts_maintain()`.execute(db)
  await sql`create trigger vehicles_count_delete after delete on vehicles
    referencing old table as old_rows for each statement execute function row_counts_maintain()`.execute(db)
}

export async function down (db: Kysely<any>): Promise<void> {
  await sql`drop trigger vehicles_count_delete on vehicles`.execute(db)
  await sql`drop trigger vehicles_count_insert on vehicles`.execute(db)
  await sql`delete from row_counts where table_name = 'vehicles'`.execute(db)
  await db.schema.dropTable('ticket_events').execute()
  await db.schema.dropIndex('service_tickets_customer_id_status_idx').execute()
  await db.schema.dropIndex('service_tickets_vehicle_id_idx').execute()
  await db.schema.dropIndex('service_tickets_status_idx').execute()
  for (const constraint of ['authorized_by', 'odometer', 'version', 'status']) {
    await db.schema.alterTable('service_tickets').dropConstraint(`service_tickets_${constraint}_check`).execute()
  }
  await db.schema.alterTable('service_tickets')
    .dropColumn('updated_at')
    .dropColumn('authorized_by_id')
    .dropColumn('authorized_by_role')
    .dropColumn('authorized_at')
    .dropColumn('authorized_total')
    .dropColumn('odometer_out')
    .dropColumn('odometer_in')
    .dropColumn('version')
    .dropColumn('status')
    .dropColumn('vehicle_id')
    .execute()
  await db.schema.dropTable('vehicles').execute()
}
