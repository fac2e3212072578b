// The vehicles-and-lifecycle migration on a database that the earlier migrations filled: every
// ticket gets the vehicle of its (customer, VIN), one vehicle per distinct pair, status in_progress,
// version 1, and the migration reverts cleanly. Runs on PGlite, and on PostgreSQL when the runner says so.
import { sql, type Generated, type Kysely } from 'kysely'
import t from 'tap'
import { createDatabase } from '../src/db/connect.js'
import { migrateDown, migrateToLatest, migrateUp } from '../src/db/migrate.js'
import type { Database } from '../src/db/schema.js'
import { usingPostgres, createTestPostgres } from './helpers.js'

const MIGRATION = '2026_12_07_0100_vehicles_and_ticket_lifecycle'

async function open (): Promise<Kysely<Database>> {
  if (!usingPostgres()) return await createDatabase({ kind: 'pglite', dir: 'memory://' })
  const url = await createTestPostgres(t)
  if (url === undefined) throw new Error('TEST_DRIVER=pg needs TEST_DATABASE_URL')
  return await createDatabase({ kind: 'pg', url })
}

const db = await open()
t.teardown(() => db.destroy())

// Every migration before this one, one at a time (migrations apply in name order).
for (;;) {
  const [applied] = await migrateUp(db)
  if (applied === undefined) throw new Error(`${MIGRATION} was never reached`)
  if (applied.migrationName === MIGRATION) {
    await migrateDown(db)
    break
  }
}

// The old shape, written as the previous release wrote it: the columns this test fills in.
interface OldSchema {
  customers: { id: Generated<number>, name: string, email: string, phone: string, password_hash: string }
  service_tickets: { id: Generated<number>, customer_id: number, vin: string, service_date: string, service_desc: string }
}
const old = db as unknown as Kysely<OldSchema>
const customers: number[] = []
for (const name of ['Ann', 'Bob', 'Cy']) {
  const row = await old.insertInto('customers').values({ name, email: `${name}@example.com`, phone: '555-0100', password_hash: 'x' }).returning('id').executeTakeFirstOrThrow()
  customers.push(row.id)
}
const [ann = 0, bob = 0, cy = 0] = customers
const VIN_A = '1HGCM82633A004352'
const VIN_B = '11111111111111111'
const tickets: Array<[number, string]> = [[ann, VIN_A], [ann, VIN_A], [ann, VIN_B], [bob, VIN_A], [cy, VIN_B], [cy, VIN_B]]
for (const [customer, vin] of tickets) {
  await old.insertInto('service_tickets').values({ customer_id: customer, vin, service_date: '2026-01-02', service_desc: 'Old work' }).execute()
}

t.test('every existing ticket gets its vehicle and becomes in_progress', async (t) => {
  const applied = await migrateToLatest(db)
  t.ok(applied.some((r) => r.migrationName === MIGRATION && r.status === 'Success'), 'the migration ran')

  const vehicles = await db.selectFrom('vehicles').select(['id', 'customer_id', 'vin']).orderBy('customer_id').orderBy('vin').execute()
  t.same(vehicles.map((v) => [v.customer_id, v.vin]), [[ann, VIN_B], [ann, VIN_A], [bob, VIN_A], [cy, VIN_B]].sort((a, b) => Number(a[0]) - Number(b[0]) || String(a[1]).localeCompare(String(b[1]))),
    'one vehicle per distinct (customer, VIN)')

  const rows = await db.selectFrom('service_tickets as st')
    .innerJoin('vehicles as v', 'v.id', 'st.vehicle_id')
    .select(['st.customer_id', 'st.vin', 'st.status', 'st.version', 'v.customer_id as vehicle_customer', 'v.vin as vehicle_vin', 'st.updated_at', 'st.created_at'])
    .execute()
  t.equal(rows.length, tickets.length, 'no ticket is left without a vehicle')
  for (const row of rows) {
    t.equal(row.vehicle_customer, row.customer_id, 'the vehicle is the ticket customer\'s')
    t.equal(row.vehicle_vin, row.vin, 'with the ticket\'s VIN')
    t.equal(row.status, 'in_progress')
    t.equal(row.version, 1)
    t.same(row.updated_at, row.created_at)
  }
  const { n } = await db.selectFrom('row_counts').select('n').where('table_name', '=', 'vehicles').executeTakeFirstOrThrow()
  t.equal(n, 4, 'the vehicles count starts right')
  await t.rejects(sql`update service_tickets set vehicle_id = null`.execute(db), 'vehicle_id is required from now on')
  await t.rejects(sql`update service_tickets set status = 'lost'`.execute(db), 'status is one of the workflow\'s')
})

t.test('new tickets start as estimates; down and up again keep the data', async (t) => {
  const vehicle = await db.selectFrom('vehicles').select('id').where('customer_id', '=', ann).executeTakeFirstOrThrow()
  const fresh = await db.insertInto('service_tickets')
    .values({ customer_id: ann, vehicle_id: vehicle.id, vin: VIN_A, service_date: '2026-12-01', service_desc: 'New' })
    .returning('status').executeTakeFirstOrThrow()
  t.equal(fresh.status, 'estimate')
  await migrateDown(db)
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from service_tickets`.execute(db)
  t.equal(rows[0]?.n, tickets.length + 1, 'reverting keeps every ticket')
  await migrateToLatest(db)
  const linked = await db.selectFrom('service_tickets').select('vehicle_id').execute()
  t.ok(linked.every((row) => row.vehicle_id !== null), 'and applying again links them all')
})
