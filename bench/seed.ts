// The benchmark's dataset: a deterministic shop in the PostgreSQL database named by BENCH_DATABASE_URL.
//
//   npm run bench:seed -- [--scale N] [--force]
//
// Scale 1 is 10,000 customers with one or two vehicles each, 50 mechanics, 500 parts and 50,000
// service tickets, each on one of its customer's vehicles, in a status of the repair-order workflow,
// with 1–3 mechanics and 1–4 part lines (quantity 1–5); --scale multiplies every count (0.01 for a
// smoke run, 20 for a million tickets). The database is dropped, created and migrated with the project's
// own migrations, then filled with set-based `insert … select … from generate_series` in chunks.
//
// Deterministic: every "random" choice is a hash of the row number (hashint8extended, the stable
// hash PostgreSQL's hash partitioning relies on), never random(), so the same scale gives the same
// rows whatever the chunk size, order or server. The one exception is the salt of the shared
// password hash, which hashPassword draws itself (it changes nothing a benchmark can see).
//
// Rows go in with explicit ids (`overriding system value`) and the identity sequences are moved
// past them afterwards, so API writes during the benchmark get fresh ids. service_mechanics rows are
// inserted normally so the migration's triggers maintain mechanics.ticket_count; the seed checks
// every counter against a real count at the end and fails if one is off.
import { resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import cliProgress from 'cli-progress'
import pg from 'pg'
import { createDatabase } from '../src/db/connect.js'
import { migrateToLatest } from '../src/db/migrate.js'
import { hashPassword } from '../src/lib/passwords.js'
import { BENCH_PASSWORD, benchDatabaseUrl, databaseName, withDatabase } from './common.js'

export interface Sizes {
  customers: number
  mechanics: number
  parts: number
  tickets: number
}

/** Row counts at a scale. The minimums keep a tiny smoke dataset meaningful (3 mechanics so a ticket can have 3). */
export function sizesFor (scale: number): Sizes {
  if (!(Number.isFinite(scale) && scale > 0)) throw new Error(`--scale must be a positive number, got ${scale}`)
  return {
    customers: Math.max(10, Math.round(10_000 * scale)),
    mechanics: Math.max(3, Math.round(50 * scale)),
    parts: Math.max(4, Math.round(500 * scale)),
    tickets: Math.max(10, Math.round(50_000 * scale)),
  }
}

export interface SeedOptions {
  url: string
  scale: number
  /** Draw cli-progress bars (default: true). */
  progress?: boolean
  log?: (line: string) => void
}

export interface SeedSummary {
  database: string
  scale: number
  sizes: Sizes
  /** Rows per table after seeding, counted. */
  counts: Record<string, number>
  /** Seconds per phase. */
  seconds: Record<string, number>
  totalSeconds: number
  databaseBytes: number
}

/** The same server, database `postgres`: where CREATE and DROP DATABASE run. */
const maintenanceUrl = (url: string): string => withDatabase(url, 'postgres')

const quoteIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`

async function withMaintenanceClient<T> (url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: maintenanceUrl(url) })
  await client.connect()
  try {
    return await run(client)
  } finally {
    await client.end()
  }
}

/** Drops the database (kicking out its sessions); no error when it does not exist. */
export async function dropDatabase (url: string): Promise<void> {
  const name = databaseName(url)
  await withMaintenanceClient(url, async (client) => {
    await client.query(`drop database if exists ${quoteIdentifier(name)} with (force)`)
  })
}

async function recreateDatabase (url: string): Promise<void> {
  const name = databaseName(url)
  await withMaintenanceClient(url, async (client) => {
    await client.query(`drop database if exists ${quoteIdentifier(name)} with (force)`)
    await client.query(`create database ${quoteIdentifier(name)}`)
  })
}

// A uniform double in [0, 1) from (row number, salt): the low 53 bits of a stable 64-bit hash.
// SQL-language and immutable, so the planner inlines it into the generating queries.
const RAND_FUNCTION = `
  create function bench_rand(i bigint, salt bigint) returns double precision
  language sql immutable parallel safe
  as $$ select (hashint8extended(i, salt) & 9007199254740991)::double precision / 9007199254740992.0 $$
`

const FIRST_NAMES = ['Ada', 'Ben', 'Carla', 'Dev', 'Elena', 'Farid', 'Grace', 'Hugo', 'Ines', 'Jonas', 'Kemal', 'Lena', 'Mateo', 'Nora', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tariq', 'Uma', 'Viktor', 'Wen', 'Yara', 'Zoe']
const LAST_NAMES = ['Alvarez', 'Brown', 'Chen', 'Dubois', 'Eriksen', 'Fischer', 'Garcia', 'Haddad', 'Ito', 'Jensen', 'Kowalski', 'Lopez', 'Murphy', 'Nakamura', 'Okafor', 'Petrov', 'Rossi', 'Silva', 'Tanaka', 'Weber']
const PART_KINDS = ['Brake pad set', 'Oil filter', 'Air filter', 'Spark plug', 'Wiper blade', 'Timing belt', 'Water pump', 'Alternator', 'Starter motor', 'Radiator hose', 'Cabin filter', 'Brake disc', 'Shock absorber', 'Headlight bulb', 'Battery', 'Fuel pump', 'Clutch kit', 'Drive belt', 'Thermostat', 'Ignition coil']
const MAKES = ['Toyota', 'Ford', 'Volkswagen', 'Honda', 'BMW', 'Renault', 'Hyundai', 'Skoda', 'Fiat', 'Volvo']
const MODELS = ['Compact', 'Estate', 'Hatchback', 'Saloon', 'Van', 'Pickup', 'Coupe', 'SUV']
const JOBS = ['Oil change and filter', 'Brake pads front and rear', 'Annual inspection', 'Timing belt replacement', 'Diagnose engine warning light', 'Replace battery and test charging', 'Air conditioning service', 'Suspension check after pothole', 'Replace wiper blades and bulbs', 'Clutch slipping in third gear', 'Coolant leak at radiator hose', 'Pre-trip check, tyres and fluids']

const sqlArray = (items: readonly string[]): string => `array[${items.map((s) => `'${s.replaceAll("'", "''")}'`).join(', ')}]`
/** A pick from `items` driven by bench_rand(row, salt). */
const pick = (items: readonly string[], row: string, salt: number): string =>
  `(${sqlArray(items)})[1 + floor(bench_rand(${row}, ${salt}) * ${items.length})::int]`

/**
 * The statuses tickets are drawn in, with their shares: a shop with much work under way, a steady
 * stream of finished jobs and some estimates waiting for approval. `invoiced` and `paid` need
 * invoices: the seed invoices part of the completed tickets afterwards (INVOICED_SHARE).
 */
const STATUS_SHARES: ReadonlyArray<readonly [string, number]> = [
  ['in_progress', 0.4], ['completed', 0.3], ['estimate', 0.15], ['approved', 0.1], ['cancelled', 0.05],
]

/** A status drawn by bench_rand(row, salt) with STATUS_SHARES' weights. */
function statusCase (row: string, salt: number): string {
  let upTo = 0
  const arms = STATUS_SHARES.slice(0, -1).map(([status, share]) => {
    upTo += share
    return `when bench_rand(${row}, ${salt}) < ${upTo.toFixed(4)} then '${status}'`
  })
  return `(case ${arms.join(' ')} else '${STATUS_SHARES.at(-1)![0]}' end)`
}

/** The share of completed tickets the seed invoices; half of those invoices are paid in full. */
const INVOICED_SHARE = 0.6

/**
 * Invoices for a share of the completed tickets, as issuing them does: a snapshot of the customer,
 * the vehicle, the part and labor lines at a parts tax of 8.25 % (labor untaxed), numbered 1… in
 * ticket order; half of them paid with one payment. The tickets become `invoiced` or `paid` and the counter
 * row holds the last number, so invoices issued later continue the sequence.
 */
const INVOICE_STATEMENTS = [`
  insert into invoices (number, ticket_id, customer_id, status, issued_at, customer, vehicle, odometer_in, odometer_out,
                        parts, labor, parts_total, labor_total, parts_tax_rate, labor_tax_rate, tax, total, amount_paid)
  select row_number() over (order by b.ticket_id), b.ticket_id, b.customer_id,
         case when b.paid or b.total = 0 then 'paid' else 'open' end,
         (b.service_date + time '17:00') at time zone 'UTC', b.customer, b.vehicle, null, null,
         b.parts, b.labor, b.parts_total, b.labor_total, 0.0825, 0, b.tax, b.total,
         case when b.paid or b.total = 0 then b.total else 0 end
  from (
    select st.id as ticket_id, st.customer_id, st.service_date,
           jsonb_build_object('id', c.id, 'name', c.name, 'email', c.email, 'phone', c.phone) as customer,
           jsonb_build_object('id', v.id, 'vin', v.vin, 'year', v.year, 'make', v.make, 'model', v.model, 'license_plate', v.license_plate) as vehicle,
           coalesce(p.parts, '[]') as parts, coalesce(p.total, 0) as parts_total,
           coalesce(l.labor, '[]') as labor, coalesce(l.total, 0) as labor_total,
           round(coalesce(p.total, 0) * 0.0825, 2) as tax,
           coalesce(p.total, 0) + coalesce(l.total, 0) + round(coalesce(p.total, 0) * 0.0825, 2) as total,
           bench_rand(st.id, 51) < 0.5 as paid
    from service_tickets st
    join customers c on c.id = st.customer_id
    join vehicles v on v.id = st.vehicle_id
    cross join lateral (
      select jsonb_agg(jsonb_build_object('part_id', tp.part_id, 'name', i.name, 'price', i.price::text, 'quantity', tp.quantity,
                                          'line_total', (i.price * tp.quantity)::text) order by tp.part_id) as parts,
             sum(i.price * tp.quantity) as total
      from ticket_parts tp join inventory i on i.id = tp.part_id where tp.ticket_id = st.id
    ) p
    cross join lateral (
      select jsonb_agg(jsonb_build_object('id', ll.id, 'description', ll.description, 'hours', ll.hours::text, 'rate', ll.rate::text,
                                          'line_total', ll.line_total::text, 'mechanic_id', ll.mechanic_id) order by ll.id) as labor,
             sum(ll.line_total) as total
      from ticket_labor_lines ll where ll.ticket_id = st.id
    ) l
    where st.status = 'completed' and bench_rand(st.id, 50) < ${INVOICED_SHARE}
  ) b`, `
  insert into invoice_payments (invoice_id, amount, method, reference, at, actor_role, actor_id)
  select id, total, (array['cash', 'card', 'check', 'other'])[1 + floor(bench_rand(id, 52) * 4)::int], null,
         issued_at + interval '10 minutes', 'mechanic', 1
  from invoices where status = 'paid' and total > 0`, `
  update service_tickets st set status = case inv.status when 'paid' then 'paid' else 'invoiced' end
  from invoices inv where inv.ticket_id = st.id`, `
  update invoice_numbers set last_number = (select coalesce(max(number), 0) from invoices)`,
]

// Customer c owns vehicle 2c - 1, and vehicle 2c when this draw says so (about half of them).
const HAS_SECOND_VEHICLE = (customer: string): string => `bench_rand(${customer}, 40) < 0.5`
/** A vehicle's VIN from its id: 17 upper-case hex digits, all within the contract's VIN alphabet. */
const VIN_OF = (vehicle: string): string => `upper(substr(md5('vin' || ${vehicle}), 1, 17))`

interface Phase {
  table: string
  /** The rows (or tickets) to walk, 1..total. */
  total: number
  chunk: number
  /** Inserts rows for ids from..to (inclusive). */
  statement: string
  /** Extra parameters after $1 (from) and $2 (to). */
  params?: unknown[]
  /** Runs between chunks (outside the chunk's transaction). */
  between?: string
}

function phases (sizes: Sizes, passwordHash: string): Phase[] {
  const { customers, mechanics, parts, tickets } = sizes
  return [
    {
      table: 'customers',
      total: customers,
      chunk: 20_000,
      statement: `
        insert into customers (id, name, email, phone, password_hash) overriding system value
        select i, ${pick(FIRST_NAMES, 'i', 1)} || ' ' || ${pick(LAST_NAMES, 'i', 2)},
               'customer' || i || '@bench.test',
               '+1 555 ' || lpad((i % 10000)::text, 4, '0'),
               $3
        from generate_series($1::int, $2::int) as i`,
      params: [passwordHash],
    },
    {
      table: 'mechanics',
      total: mechanics,
      chunk: 20_000,
      statement: `
        insert into mechanics (id, name, email, phone, salary, password_hash) overriding system value
        select i, ${pick(FIRST_NAMES, 'i', 3)} || ' ' || ${pick(LAST_NAMES, 'i', 4)},
               'mechanic' || i || '@bench.test',
               '+1 555 ' || lpad((i % 10000)::text, 4, '0'),
               round((35000 + bench_rand(i, 5) * 45000)::numeric, 2),
               $3
        from generate_series($1::int, $2::int) as i`,
      params: [passwordHash],
    },
    {
      table: 'inventory',
      total: parts,
      chunk: 20_000,
      statement: `
        insert into inventory (id, name, price) overriding system value
        select i, ${pick(PART_KINDS, 'i', 6)} || ' #' || i,
               round((1 + bench_rand(i, 7) * 499)::numeric, 2)
        from generate_series($1::int, $2::int) as i`,
    },
    {
      table: 'vehicles',
      total: customers,
      chunk: 20_000,
      statement: `
        insert into vehicles (id, customer_id, vin, year, make, model, license_plate) overriding system value
        select v, c, ${VIN_OF('v')},
               2000 + floor(bench_rand(v, 41) * 25)::int,
               ${pick(MAKES, 'v', 42)}, ${pick(MODELS, 'v', 43)},
               'BN-' || v
        from generate_series($1::int, $2::int) as c
        cross join lateral generate_series(2 * c - 1, case when ${HAS_SECOND_VEHICLE('c')} then 2 * c else 2 * c - 1 end) as v`,
    },
    {
      // A uniformly drawn customer (about 5 tickets each), then one of that customer's vehicles.
      table: 'service_tickets',
      total: tickets,
      chunk: 25_000,
      statement: `
        insert into service_tickets (id, customer_id, vehicle_id, vin, service_date, service_desc, status) overriding system value
        select i, c, v, ${VIN_OF('v')},
               date '2020-01-01' + floor(bench_rand(i, 12) * 2190)::int,
               ${pick(JOBS, 'i', 13)},
               ${statusCase('i', 14)}
        from generate_series($1::int, $2::int) as i
        cross join lateral (select 1 + floor(bench_rand(i, 11) * $3)::int as c) as customer
        cross join lateral (
          select 2 * c - 1 + case when ${HAS_SECOND_VEHICLE('c')} and bench_rand(i, 15) < 0.5 then 1 else 0 end as v
        ) as vehicle`,
      params: [customers],
    },
    {
      // 1–3 draws per ticket, duplicates folded, so 1–3 distinct mechanics. The draw is skewed
      // towards low ids (density falling linearly to 0, the busiest mechanic about twice the mean)
      // so the ranking has a clear order instead of near-ties.
      // Inserted normally: the triggers bump mechanics.ticket_count once per row. Each bump is a
      // non-HOT update (ticket_count is indexed) that the next bump of the same mechanic must step
      // over, so a chunk costs O(bumps per mechanic ^ 2): chunks are sized to ~40 bumps per
      // mechanic, and the small mechanics table is vacuumed between them.
      table: 'service_mechanics',
      total: tickets,
      chunk: Math.max(500, mechanics * 20),
      statement: `
        insert into service_mechanics (ticket_id, mechanic_id)
        select distinct t, 1 + floor((1 - sqrt(1 - bench_rand(t * 4 + j, 21))) * $3)::int
        from generate_series($1::int, $2::int) as t
        cross join lateral generate_series(0, floor(bench_rand(t, 20) * 3)::int) as j`,
      params: [mechanics],
      between: 'vacuum mechanics',
    },
    {
      // 1–4 draws per ticket over the whole catalogue, duplicates folded (keeping the first quantity).
      table: 'ticket_parts',
      total: tickets,
      chunk: 25_000,
      statement: `
        insert into ticket_parts (ticket_id, part_id, quantity)
        select t, p, min(q) from (
          select t, 1 + floor(bench_rand(t * 4 + j, 31) * $3)::int as p,
                 1 + floor(bench_rand(t * 4 + j, 32) * 5)::int as q
          from generate_series($1::int, $2::int) as t
          cross join lateral generate_series(0, floor(bench_rand(t, 30) * 4)::int) as j
        ) as draws
        group by t, p`,
      params: [parts],
    },
    {
      // 0–2 labor lines per ticket: 0.25–4.25 hours at one of the shop's usual rates, credited to
      // a mechanic drawn like the assignments above.
      table: 'ticket_labor_lines',
      total: tickets,
      chunk: 25_000,
      statement: `
        insert into ticket_labor_lines (ticket_id, description, hours, rate, mechanic_id)
        select t, ${pick(JOBS, 't * 2 + j', 51)},
               round((0.25 + bench_rand(t * 2 + j, 52) * 4)::numeric, 2),
               (array[95, 110, 120, 135])[1 + floor(bench_rand(t * 2 + j, 53) * 4)::int],
               1 + floor((1 - sqrt(1 - bench_rand(t * 2 + j, 54))) * $3)::int
        from generate_series($1::int, $2::int) as t
        cross join lateral generate_series(1, floor(bench_rand(t, 50) * 3)::int) as j`,
      params: [mechanics],
    },
  ]
}

const IDENTITY_TABLES = ['customers', 'mechanics', 'inventory', 'vehicles', 'service_tickets'] as const
const COUNTED_TABLES = ['customers', 'mechanics', 'inventory', 'vehicles', 'service_tickets', 'service_mechanics', 'ticket_parts', 'invoices', 'invoice_payments'] as const

export async function seed (options: SeedOptions): Promise<SeedSummary> {
  const { url, scale } = options
  const log = options.log ?? ((line: string) => console.log(line))
  const progress = options.progress ?? true
  const sizes = sizesFor(scale)
  const database = databaseName(url)
  const seconds: Record<string, number> = {}
  const started = performance.now()
  const time = async <T>(phase: string, run: () => Promise<T>): Promise<T> => {
    const t0 = performance.now()
    try {
      return await run()
    } finally {
      seconds[phase] = (performance.now() - t0) / 1000
    }
  }

  log(`Seeding ${database} at scale ${scale}: ${sizes.customers} customers (with 1–2 vehicles each), ${sizes.mechanics} mechanics, ` +
    `${sizes.parts} parts, ${sizes.tickets} service tickets`)

  await time('create + migrate', async () => {
    await recreateDatabase(url)
    const db = await createDatabase({ kind: 'pg', url })
    try {
      await migrateToLatest(db)
    } finally {
      await db.destroy()
    }
  })

  const passwordHash = await time('password hash', () => hashPassword(BENCH_PASSWORD))

  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    // A seed that dies half way is re-run from scratch, so losing the last commits to a crash is fine.
    await client.query('set synchronous_commit = off')
    await client.query("set maintenance_work_mem = '256MB'")
    await client.query(RAND_FUNCTION)

    // A bar per table on a terminal; on a pipe (CI) one plain line per finished table instead.
    const tty = progress && process.stderr.isTTY
    for (const phase of phases(sizes, passwordHash)) {
      const bar = tty
        ? new cliProgress.SingleBar({
            format: ` ${phase.table.padEnd(17)} |{bar}| {percentage}% | {value}/{total} | {duration_formatted} (eta {eta_formatted})`,
            hideCursor: true,
            etaBuffer: 20,
          }, cliProgress.Presets.shades_classic)
        : undefined
      bar?.start(phase.total, 0)
      try {
        await time(phase.table, async () => {
          for (let from = 1; from <= phase.total; from += phase.chunk) {
            const to = Math.min(phase.total, from + phase.chunk - 1)
            await client.query(phase.statement, [from, to, ...(phase.params ?? [])])
            if (phase.between !== undefined) await client.query(phase.between)
            bar?.update(to)
          }
        })
      } finally {
        bar?.stop()
      }
      if (!tty && progress) log(`  ${phase.table}: done in ${seconds[phase.table]?.toFixed(1)} s`)
    }

    await time('invoices', async () => {
      for (const statement of INVOICE_STATEMENTS) await client.query(statement)
    })

    await time('sequences', async () => {
      for (const table of IDENTITY_TABLES) {
        await client.query(`select setval(pg_get_serial_sequence('${table}', 'id'), (select max(id) from ${table}))`)
      }
    })
    await client.query('drop function bench_rand(bigint, bigint)')

    const mismatched = await time('ticket_count check', async () => {
      const { rows } = await client.query<{ n: number }>(`
        select count(*)::int as n from mechanics m
        where m.ticket_count <> (select count(*) from service_mechanics sm where sm.mechanic_id = m.id)`)
      return rows[0]?.n ?? -1
    })
    if (mismatched !== 0) throw new Error(`mechanics.ticket_count is wrong for ${mismatched} mechanics after seeding`)
    // Any other trigger-maintained count the migrations keep (a row_counts table, when there is one).
    const { rows: hasRowCounts } = await client.query<{ present: boolean }>("select to_regclass('row_counts') is not null as present")
    if (hasRowCounts[0]?.present === true) {
      const { rows: counted } = await client.query<{ table_name: string, n: string }>('select table_name, n::text as n from row_counts')
      for (const { table_name: table, n } of counted) {
        const { rows } = await client.query<{ n: string }>(`select count(*)::text as n from ${quoteIdentifier(table)}`)
        if (rows[0]?.n !== n) throw new Error(`row_counts says ${table} has ${n} rows, it has ${rows[0]?.n}`)
      }
    }
    const { rows: hasStatusCounts } = await client.query<{ present: boolean }>("select to_regclass('ticket_status_counts') is not null as present")
    if (hasStatusCounts[0]?.present === true) {
      const { rows: wrong } = await client.query<{ status: string, kept: string, real: string }>(`
        select c.status, c.n::text as kept, count(st.id)::text as real
        from ticket_status_counts c left join service_tickets st on st.status = c.status
        group by c.status, c.n having c.n <> count(st.id)`)
      if (wrong.length > 0) throw new Error(`ticket_status_counts is wrong: ${wrong.map((w) => `${w.status} ${w.kept} (${w.real} tickets)`).join(', ')}`)
    }

    // VACUUM as well as ANALYZE: a long-running database has its visibility map set by autovacuum
    // (index-only scans, no hint-bit writes on first read), and the triggers left dead mechanics rows.
    await time('vacuum analyze', async () => { await client.query('vacuum (analyze)') })

    const counts: Record<string, number> = {}
    for (const table of COUNTED_TABLES) {
      const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from ${table}`)
      counts[table] = rows[0]?.n ?? 0
    }
    const { rows: sizeRows } = await client.query<{ bytes: string }>('select pg_database_size(current_database())::text as bytes')
    return {
      database,
      scale,
      sizes,
      counts,
      seconds,
      totalSeconds: (performance.now() - started) / 1000,
      databaseBytes: Number(sizeRows[0]?.bytes ?? 0),
    }
  } finally {
    await client.end()
  }
}

export function formatSummary (summary: SeedSummary): string {
  const lines = [`Seeded ${summary.database} (scale ${summary.scale}) in ${summary.totalSeconds.toFixed(1)} s, ` +
    `${(summary.databaseBytes / 1024 / 1024).toFixed(0)} MiB on disk`]
  const width = Math.max(...Object.keys(summary.seconds).map((k) => k.length), ...Object.keys(summary.counts).map((k) => k.length))
  for (const [table, n] of Object.entries(summary.counts)) {
    const s = summary.seconds[table]
    lines.push(`  ${table.padEnd(width)}  ${String(n).padStart(9)} rows${s === undefined ? '' : `  ${s.toFixed(1).padStart(6)} s`}`)
  }
  for (const [phase, s] of Object.entries(summary.seconds)) {
    if (!(phase in summary.counts)) lines.push(`  ${phase.padEnd(width)}  ${''.padStart(14)}  ${s.toFixed(1).padStart(6)} s`)
  }
  return lines.join('\n')
}

/** Refuses to wipe a database whose name does not say it is a benchmark's, unless forced. */
export function assertDisposable (url: string, force: boolean): void {
  const name = databaseName(url)
  if (!force && !/bench/i.test(name)) {
    throw new Error(`Refusing to drop and re-seed database "${name}": its name does not contain "bench". Pass --force if you mean it.`)
  }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      scale: { type: 'string', default: '1' },
      force: { type: 'boolean', default: false },
      'no-progress': { type: 'boolean', default: false },
    },
  })
  const url = benchDatabaseUrl()
  assertDisposable(url, values.force)
  const summary = await seed({ url, scale: Number(values.scale), progress: !values['no-progress'] })
  console.log(formatSummary(summary))
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? `Seeding failed: ${err.message}` : err)
    process.exit(1)
  })
}
