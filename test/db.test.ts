import { setTimeout as sleep } from 'node:timers/promises'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { AbortedTransactionError, sql, type Kysely } from 'kysely'
import t, { type Test } from 'tap'
import pg from 'pg'
import { createDatabase, PreparingPool } from '../src/db/connect.js'
import { pingDatabase, selectOneThrough, sharedPing, type DatabaseProbe } from '../src/db/health.js'
import { MIGRATION_FOLDER, migrateDown, migrateToLatest } from '../src/db/migrate.js'
import type { Database } from '../src/db/schema.js'
import { createTestPostgres } from './helpers.js'

// Every migration file, in the order the Migrator applies them (by name).
const MIGRATIONS = readdirSync(MIGRATION_FOLDER).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => f.replace(/\.ts$/, '')).sort()
const TABLES = [
  'customers', 'idempotency_keys', 'inventory', 'invoice_numbers', 'invoice_payments', 'invoices', 'mechanics', 'refresh_tokens', 'row_counts', 'service_mechanics', 'service_tickets',
  'sessions', 'shop_settings', 'stock_levels', 'stock_movements', 'ticket_events', 'ticket_labor_lines', 'ticket_parts', 'ticket_status_counts', 'vehicles',
]

type Tap = Test

async function appTables (db: Kysely<Database>): Promise<string[]> {
  const { rows } = await sql<{ table_name: string }>`
    select table_name from information_schema.tables
    where table_schema = 'public' and table_name not like 'kysely_%'
    order by table_name
  `.execute(db)
  return rows.map((row) => row.table_name)
}

let seq = 0
/** Unique per call, so subtests sharing one database never collide on emails. */
function unique (label: string): string {
  seq += 1
  return `${label}-${seq}`
}

async function addCustomer (db: Kysely<Database>, email = `${unique('c')}@example.com`): Promise<number> {
  const row = await db.insertInto('customers')
    .values({ name: 'Ann', email, phone: '555-0100', password_hash: 'x' })
    .returning('id').executeTakeFirstOrThrow()
  return row.id
}

async function addMechanic (db: Kysely<Database>, email = `${unique('m')}@example.com`): Promise<number> {
  const row = await db.insertInto('mechanics')
    .values({ name: 'Bob', email, phone: '555-0101', salary: '50000.00', password_hash: 'x' })
    .returning('id').executeTakeFirstOrThrow()
  return row.id
}

async function addTicket (db: Kysely<Database>, customerId: number): Promise<number> {
  const vehicle = await db.insertInto('vehicles').values({ customer_id: customerId, vin: '1HGCM82633A004352' })
    .onConflict((oc) => oc.columns(['customer_id', 'vin']).doUpdateSet({ vin: '1HGCM82633A004352' }))
    .returning('id').executeTakeFirstOrThrow()
  const row = await db.insertInto('service_tickets')
    .values({ customer_id: customerId, vehicle_id: vehicle.id, vin: '1HGCM82633A004352', service_date: '2026-03-04', service_desc: 'Brakes' })
    .returning('id').executeTakeFirstOrThrow()
  return row.id
}

async function addPart (db: Kysely<Database>, price: string | number = '10.00'): Promise<number> {
  const row = await db.insertInto('inventory').values({ name: 'Pad', price }).returning('id').executeTakeFirstOrThrow()
  return row.id
}

async function ticketCounts (db: Kysely<Database>, ids: number[]): Promise<number[]> {
  const rows = await db.selectFrom('mechanics').select(['id', 'ticket_count']).where('id', 'in', ids).execute()
  return ids.map((id) => rows.find((row) => row.id === id)?.ticket_count ?? -1)
}

/** The same assertions for every driver: PGlite must stand in for PostgreSQL faithfully. */
function driverSuite (t: Tap, open: (t: Tap) => Promise<Kysely<Database>>): void {
  let db: Kysely<Database>
  t.before(async () => {
    db = await open(t)
  })
  t.teardown(async () => {
    await db.destroy()
  })

  t.test('migrations apply up, down and up again', async (t) => {
    const up = await migrateToLatest(db)
    t.same(up.map((r) => [r.migrationName, r.direction, r.status]), MIGRATIONS.map((m) => [m, 'Up', 'Success']))
    t.same(await appTables(db), TABLES)
    t.same(await migrateToLatest(db), [], 'nothing left to apply')

    for (const migration of [...MIGRATIONS].reverse()) {
      const down = await migrateDown(db)
      t.same(down.map((r) => [r.migrationName, r.direction, r.status]), [[migration, 'Down', 'Success']])
    }
    t.same(await appTables(db), [])
    const { rows: functions } = await sql`select 1 from pg_proc where proname = 'service_mechanics_maintain_ticket_count'`.execute(db)
    t.equal(functions.length, 0, 'trigger function dropped')
    t.same(await migrateDown(db), [], 'nothing left to revert')

    await migrateToLatest(db)
    t.same(await appTables(db), TABLES)
  })

  t.test('a migration the code does not know stops the start-up, even when the rest are applied', async (t) => {
    await sql`insert into kysely_migration (name, timestamp) values ('2099_01_01_0000_from_a_newer_release', now()::text)`.execute(db)
    t.teardown(async () => { await sql`delete from kysely_migration where name = '2099_01_01_0000_from_a_newer_release'`.execute(db) })
    await t.rejects(migrateToLatest(db), /corrupted migrations/)
  })

  t.test('row_counts follows every insert and delete, several rows per statement too', async (t) => {
    const count = async (table: 'customers' | 'inventory') => {
      const { rows: [row] } = await sql<{ maintained: number, actual: number }>`
        select (select n from row_counts where table_name = ${table}) as maintained,
               (select count(*) from ${sql.table(table)}) as actual`.execute(db)
      return row
    }
    const before = await count('inventory')
    t.equal(before?.maintained, before?.actual)
    const ids = await db.insertInto('inventory').values([{ name: 'A', price: 1 }, { name: 'B', price: 2 }, { name: 'C', price: 3 }]).returning('id').execute()
    t.equal((await count('inventory'))?.maintained, (before?.actual ?? 0) + 3)
    await db.deleteFrom('inventory').where('id', 'in', ids.slice(0, 2).map((r) => r.id)).execute()
    const after = await count('inventory')
    t.equal(after?.maintained, after?.actual)
    t.equal(after?.maintained, (before?.actual ?? 0) + 1)
    const customers = await count('customers')
    t.equal(customers?.maintained, customers?.actual)
  })

  t.test('columns come back as schema.ts declares, identically on both drivers', async (t) => {
    const customer = await db.insertInto('customers')
      .values({ name: 'Ann', email: `${unique('types')}@example.com`, phone: '1', password_hash: 'x' })
      .returningAll().executeTakeFirstOrThrow()
    t.type(customer.id, 'number')
    t.ok(customer.created_at instanceof Date, 'timestamptz is a Date')

    const part = await db.insertInto('inventory').values({ name: 'Filter', price: 12.5 }).returningAll().executeTakeFirstOrThrow()
    t.equal(part.price, '12.50', 'numeric(12,2) is a string with its scale, even from a number')

    const ticketId = await addTicket(db, customer.id)
    const ticket = await db.selectFrom('service_tickets').selectAll().where('id', '=', ticketId).executeTakeFirstOrThrow()
    t.equal(ticket.service_date, '2026-03-04', 'date is the YYYY-MM-DD text')

    const { count } = await db.selectFrom('service_tickets').select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow()
    t.type(count, 'number', 'count(*) is a number')
    t.ok(count >= 1)

    const { rows: [values] } = await sql<Record<string, unknown>>`
      select '2026-03-04'::date as date, 12.5::numeric(12, 2) as numeric, 7::int4 as int4,
             9007199254740991::int8 as int8, '2026-03-04T05:06:07.890Z'::timestamptz as timestamptz,
             '{"a": [1, "b"]}'::json as json, '{"a": [1, "b"]}'::jsonb as jsonb,
             array['2026-03-04'::date, null] as dates, array[1.50::numeric, null] as numerics,
             array[1::int8, null] as int8s, '1 day 02:00:00'::interval as interval
    `.execute(db)
    t.strictSame(values, {
      date: '2026-03-04',
      numeric: '12.50',
      int4: 7,
      int8: 9007199254740991,
      timestamptz: new Date('2026-03-04T05:06:07.890Z'),
      json: { a: [1, 'b'] },
      jsonb: { a: [1, 'b'] },
      dates: ['2026-03-04', null],
      numerics: ['1.50', null],
      int8s: [1, null],
      interval: '1 day 02:00:00',
    })

    await t.rejects(sql`select 9007199254740993::int8 as n`.execute(db), RangeError, 'an int8 beyond 2^53 fails instead of rounding')
    t.equal(await pingDatabase(selectOneThrough(db)), true, 'and the connection survives it')
  })

  t.test('update and delete report affected rows', async (t) => {
    const id = await addPart(db)
    const updated = await db.updateTable('inventory').set({ price: '11.00' }).where('id', '=', id).executeTakeFirstOrThrow()
    t.equal(updated.numUpdatedRows, 1n)
    const missing = await db.deleteFrom('inventory').where('id', '=', -1).executeTakeFirstOrThrow()
    t.equal(missing.numDeletedRows, 0n)
    const deleted = await db.deleteFrom('inventory').where('id', '=', id).executeTakeFirstOrThrow()
    t.equal(deleted.numDeletedRows, 1n)
  })

  t.test('triggers keep mechanics.ticket_count equal to their assignments', async (t) => {
    const customer = await addCustomer(db)
    const [t1, t2] = [await addTicket(db, customer), await addTicket(db, customer)]
    const [m1, m2, m3] = [await addMechanic(db), await addMechanic(db), await addMechanic(db)]
    t.same(await ticketCounts(db, [m1, m2, m3]), [0, 0, 0])

    await db.insertInto('service_mechanics').values([
      { ticket_id: t1, mechanic_id: m1 },
      { ticket_id: t1, mechanic_id: m2 },
      { ticket_id: t2, mechanic_id: m1 },
      { ticket_id: t2, mechanic_id: m3 },
    ]).execute()
    t.same(await ticketCounts(db, [m1, m2, m3]), [2, 1, 1], 'insert increments')

    await db.deleteFrom('service_tickets').where('id', '=', t1).execute()
    t.same(await ticketCounts(db, [m1, m2, m3]), [1, 0, 1], 'deleting a ticket cascades and decrements')

    await db.updateTable('service_mechanics').set({ mechanic_id: m2 }).where('ticket_id', '=', t2).where('mechanic_id', '=', m3).execute()
    t.same(await ticketCounts(db, [m1, m2, m3]), [1, 1, 0], 'reassigning moves the count')

    await db.deleteFrom('mechanics').where('id', '=', m1).execute()
    t.same(await ticketCounts(db, [m2, m3]), [1, 0], 'deleting a mechanic cascades without error')
    const left = await db.selectFrom('service_mechanics').select('mechanic_id').where('ticket_id', '=', t2).execute()
    t.same(left, [{ mechanic_id: m2 }])

    const { rows: drift } = await sql`
      select m.id from mechanics m
      where m.ticket_count <> (select count(*) from service_mechanics sm where sm.mechanic_id = m.id)
    `.execute(db)
    t.same(drift, [], 'no mechanic anywhere has a drifted count')
  })

  t.test('foreign keys restrict deleting referenced customers and parts', async (t) => {
    const customer = await addCustomer(db)
    const ticket = await addTicket(db, customer)
    const part = await addPart(db)
    await db.insertInto('ticket_parts').values({ ticket_id: ticket, part_id: part, quantity: 2 }).execute()

    await t.rejects(db.deleteFrom('customers').where('id', '=', customer).execute(),
      { code: '23503', constraint: 'service_tickets_customer_id_fkey' })
    await t.rejects(db.deleteFrom('inventory').where('id', '=', part).execute(),
      { code: '23503', constraint: 'ticket_parts_part_id_fkey' })
    const { vehicle_id: vehicleId } = await db.selectFrom('service_tickets').select('vehicle_id').where('id', '=', ticket).executeTakeFirstOrThrow()
    await t.rejects(db.insertInto('service_tickets').values({ customer_id: -1, vehicle_id: vehicleId, vin: '1HGCM82633A004352', service_date: '2026-03-04', service_desc: 'Brakes' }).execute(),
      { code: '23503', constraint: 'service_tickets_customer_id_fkey' })
    await t.rejects(db.insertInto('service_tickets').values({ customer_id: customer, vehicle_id: -1, vin: '1HGCM82633A004352', service_date: '2026-03-04', service_desc: 'Brakes' }).execute(),
      { code: '23503', constraint: 'service_tickets_vehicle_id_fkey' })
    await t.rejects(db.insertInto('ticket_parts').values({ ticket_id: ticket, part_id: await addPart(db), quantity: 0 }).execute(),
      { code: '23514', constraint: 'ticket_parts_quantity_check' })
    await t.rejects(addPart(db, '-0.01'), { code: '23514', constraint: 'inventory_price_check' })

    await db.deleteFrom('service_tickets').where('id', '=', ticket).execute()
    const parts = await db.deleteFrom('inventory').where('id', '=', part).executeTakeFirstOrThrow()
    const customers = await db.deleteFrom('customers').where('id', '=', customer).executeTakeFirstOrThrow()
    t.same([parts.numDeletedRows, customers.numDeletedRows], [1n, 1n], 'both go once the ticket (and its parts) are gone')
  })

  t.test('emails are unique regardless of case', async (t) => {
    const local = unique('Case')
    await addCustomer(db, `${local}@Example.com`)
    await t.rejects(addCustomer(db, `${local.toLowerCase()}@example.COM`), { code: '23505', constraint: 'customers_email_key' })
    await addMechanic(db, `${local}@Example.com`)
    await t.rejects(addMechanic(db, `${local.toUpperCase()}@EXAMPLE.COM`), { code: '23505', constraint: 'mechanics_email_key' })
  })

  t.test('COMMIT of a transaction aborted by a swallowed error throws', async (t) => {
    const email = `${unique('abort')}@example.com`
    await addCustomer(db, email)
    await t.rejects(db.transaction().execute(async (trx) => {
      await addCustomer(trx, email).catch(() => {})
    }), AbortedTransactionError)
    t.equal(await pingDatabase(selectOneThrough(db)), true)
  })

  t.test('pingDatabase', async (t) => {
    t.equal(await pingDatabase(selectOneThrough(db)), true)
  })

  t.test('sharedPing: one round trip for the callers that ask while it runs, a new one after', async (t) => {
    let probes = 0
    const counted = (probe: DatabaseProbe): DatabaseProbe => () => { probes += 1; return probe() }
    const ping = sharedPing(counted(selectOneThrough(db)))
    t.same(await Promise.all(Array.from({ length: 20 }, ping)), Array(20).fill(true), 'every caller hears the database answer')
    t.equal(probes, 1, 'with one probe between them')
    t.equal(await ping(), true)
    t.equal(probes, 2, 'a caller after it settled gets a probe of its own')

    // A real failure (division by zero in the database), then a healthy probe on the next ask.
    let failing = true
    const flaky = sharedPing(counted(() => failing ? sql`select 1/0`.execute(db) : selectOneThrough(db)()))
    probes = 0
    t.same(await Promise.all([flaky(), flaky(), flaky()]), [false, false, false], 'a failed probe fails every caller that shared it')
    failing = false
    t.equal(await flaky(), true, 'the failure is not remembered')
    t.equal(probes, 2)
  })

  t.test('sharedPing: a probe that never answers holds no caller past the timeout, nor the next ping', async (t) => {
    let probes = 0
    const ping = sharedPing(() => { probes += 1; return new Promise(() => {}) }, 100)
    const started = Date.now()
    t.same(await Promise.all([ping(), ping()]), [false, false])
    t.ok(Date.now() - started < 1000, 'both answered at the timeout')
    t.equal(await ping(), false)
    t.equal(probes, 2, 'the next caller did not wait on the hung probe: it started another')
  })
}

// scripts/run-tests.ts runs the suite once per TEST_DRIVER; each pass runs its own driver only.
// Run directly (no TEST_DRIVER), this file covers PGlite, and PostgreSQL too when it can.
const driver = process.env.TEST_DRIVER
const skipPGlite = driver === 'pg' ? 'the PGlite pass runs these (TEST_DRIVER=pg here)' : false
const skipPostgres = driver === 'pglite'
  ? 'the PostgreSQL pass runs these (TEST_DRIVER=pglite here)'
  : process.env.TEST_DATABASE_URL ? false : 'TEST_DATABASE_URL is not set'

t.test('PGlite', { skip: skipPGlite }, async (t) => {
  driverSuite(t, async () => await createDatabase({ kind: 'pglite', dir: 'memory://' }))
})

t.test('PostgreSQL', { skip: skipPostgres }, async (t) => {
  driverSuite(t, async (t) => {
    const url = await createTestPostgres(t)
    if (url === undefined) throw new Error('unreachable: skipped without TEST_DATABASE_URL')
    return await createDatabase({ kind: 'pg', url })
  })
})

t.test('PostgreSQL: a pooled client keeps one wrapper for its life', { skip: skipPostgres }, async (t) => {
  const url = await createTestPostgres(t)
  if (url === undefined) throw new Error('unreachable: skipped without TEST_DATABASE_URL')
  const pool = new PreparingPool(new pg.Pool({ connectionString: url, max: 1 }))
  t.teardown(() => pool.end())

  // Kysely keys its connection object by what connect() returns: the same client must come back
  // as the same object, or every checkout builds a new connection and a new WeakMap entry.
  const first = await pool.connect()
  t.same((await first.query<{ n: number }>('select $1::int as n', [1])).rows, [{ n: 1 }])
  first.release()
  const again = await pool.connect()
  t.equal(again, first, 'the same client, the same wrapper')
  again.release(true) // destroys the client

  const next = await pool.connect()
  t.not(next, first, 'a new client gets its own wrapper')
  t.same((await next.query<{ n: number }>('select $1::int as n', [2])).rows, [{ n: 2 }], 'and it answers')
  next.release()
})

t.test('PGlite session is serialised across concurrent users', { skip: skipPGlite }, async (t) => {
  const db = await createDatabase({ kind: 'pglite', dir: 'memory://' })
  t.teardown(() => db.destroy())
  await migrateToLatest(db)

  t.test('concurrent transactions each get their own transaction', async (t) => {
    const txids = async (): Promise<string[]> => await db.transaction().execute(async (trx) => {
      const first = await sql<{ id: string }>`select txid_current()::text as id`.execute(trx)
      await sleep(10) // gives the other transaction every chance to interleave
      const second = await sql<{ id: string }>`select txid_current()::text as id`.execute(trx)
      return [first.rows[0]?.id ?? '', second.rows[0]?.id ?? '']
    })
    const [a, b] = await Promise.all([txids(), txids()])
    t.equal(a[0], a[1], 'A stays in one transaction')
    t.equal(b[0], b[1], 'B stays in one transaction')
    t.not(a[0], b[0], 'A and B are different transactions')
  })

  t.test('statements issued during a rolled-back transaction survive it', async (t) => {
    const rollback = db.transaction().execute(async (trx) => {
      await trx.insertInto('inventory').values({ name: 'doomed', price: 1 }).execute()
      await sleep(20)
      throw new Error('roll back')
    })
    const inserts = Array.from({ length: 50 }, (_, i) =>
      db.insertInto('inventory').values({ name: `concurrent-${i}`, price: i }).returning('id').executeTakeFirstOrThrow())
    await t.rejects(rollback, { message: 'roll back' })
    const ids = await Promise.all(inserts)
    t.equal(new Set(ids.map((row) => row.id)).size, 50, 'all 50 inserts succeed')

    const names = await db.selectFrom('inventory').select('name').execute()
    t.equal(names.filter((row) => row.name.startsWith('concurrent-')).length, 50, 'and are still there')
    t.notOk(names.some((row) => row.name === 'doomed'), 'the rolled-back row is not')
  })

  t.test('a failed transaction releases the session', async (t) => {
    await t.rejects(db.transaction().execute(async (trx) => {
      await sql`select 1/0`.execute(trx)
    }), { code: '22012' })
    t.equal(await pingDatabase(selectOneThrough(db), 1000), true)
  })
})

t.test('PGlite in a directory creates it and persists', { skip: skipPGlite }, async (t) => {
  const dir = join(t.testdir(), 'nested', 'pglite')
  const first = await createDatabase({ kind: 'pglite', dir })
  await migrateToLatest(first)
  await addPart(first, '3.25')
  await first.destroy()
  t.ok(existsSync(dir))

  const second = await createDatabase({ kind: 'pglite', dir })
  t.teardown(() => second.destroy())
  const parts = await second.selectFrom('inventory').select('price').execute()
  t.same(parts, [{ price: '3.25' }])
})

t.test('PGlite in memory leaves no directory behind', { skip: skipPGlite }, async (t) => {
  const db = await createDatabase({ kind: 'pglite', dir: 'memory://' })
  await db.destroy()
  t.notOk(existsSync('memory:'), 'kysely-pglite would create ./memory: from the data dir')
})
