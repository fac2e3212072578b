// What is measured: the routes, the facts of the seeded shop they need, the callers' tokens they
// rotate through, and the check that both servers answer each read with the same JSON.
import pg from 'pg'
import type { Callers } from './callers.js'
import { BASELINE_STOCK_HEADER, BENCH_PASSWORD, customerEmail, databaseName } from './common.js'
import { http, type Server } from './servers.js'
import type { Target } from './load.js'

interface Facts {
  counts: Record<string, number>
  databaseMiB: number
  customerPages: number
  middleTicketId: number
  /** The invoice in the middle of the invoices table (the seed invoices most completed tickets). */
  middleInvoiceId: number
  /** Existing (ticket, part) lines of open tickets, spread over the table: the write route bumps their quantities. */
  lines: Array<[number, number]>
  /** Open tickets spread over the table: the tracked-part route puts its parts on them. */
  openTickets: number[]
  /** The customers whose tokens rotate, lowest ids first (`customer<i>@bench.test` has the i-th). */
  customerIds: number[]
  /** Each of those customers' first vehicle, in the same order. */
  vehicleIds: number[]
  mechanicIds: number[]
}

export async function readFacts (databaseUrl: string, customers: number): Promise<Facts> {
  const client = new pg.Client({ connectionString: databaseUrl })
  try {
    await client.connect()
  } catch (err) {
    throw new Error(`Cannot connect to ${databaseUrl}: ${(err as Error).message}. Seed it first: npm run bench:seed`, { cause: err })
  }
  try {
    const counts: Record<string, number> = {}
    for (const table of ['customers', 'mechanics', 'inventory', 'vehicles', 'service_tickets', 'service_mechanics', 'ticket_parts', 'invoices', 'invoice_payments']) {
      try {
        const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from ${table}`)
        counts[table] = rows[0]?.n ?? 0
      } catch {
        counts[table] = 0
      }
    }
    if (!counts.customers || !counts.service_tickets) {
      throw new Error(`${databaseName(databaseUrl)} holds no seeded shop. Seed it first: npm run bench:seed -- --scale 1`)
    }
    const { rows: size } = await client.query<{ mib: number }>('select (pg_database_size(current_database()) / 1048576)::int as mib')
    const { rows: midInvoice } = await client.query<{ id: number }>(
      'select id from invoices where id >= (select (min(id) + max(id)) / 2 from invoices) order by id limit 1')
    if (midInvoice[0] === undefined) throw new Error(`${databaseName(databaseUrl)} has no invoices: seed it again (npm run bench:seed)`)
    const { rows: mid } = await client.query<{ id: number }>(
      'select id from service_tickets where id >= (select (min(id) + max(id)) / 2 from service_tickets) order by id limit 1')
    // Every k-th ticket's lines, about 5,000 of them whatever the scale.
    const { rows: lines } = await client.query<{ ticket_id: number, part_id: number }>(
      `select tp.ticket_id, tp.part_id from ticket_parts tp join service_tickets st on st.id = tp.ticket_id
       where tp.ticket_id % $1 = 0 and st.status in ('estimate', 'approved', 'in_progress')
       order by tp.ticket_id, tp.part_id limit 5000`,
      [Math.max(1, Math.floor(counts.service_tickets / 2000))])
    const { rows: open } = await client.query<{ id: number }>(
      `select id from service_tickets where id % $1 = 0 and status in ('estimate', 'approved', 'in_progress') order by id limit 5000`,
      [Math.max(1, Math.floor(counts.service_tickets / 5000))])
    const ids = async (table: string, limit: number) =>
      (await client.query<{ id: number }>(`select id from ${table} order by id limit $1`, [limit])).rows.map((r) => r.id)
    const customerIds = await ids('customers', customers)
    const { rows: vehicles } = await client.query<{ customer_id: number, id: number }>(
      'select customer_id, min(id) as id from vehicles where customer_id = any($1::int[]) group by customer_id', [customerIds])
    const vehicleOf = new Map(vehicles.map((v) => [v.customer_id, v.id]))
    const withVehicle = customerIds.filter((id) => vehicleOf.has(id))
    if (withVehicle.length === 0) throw new Error(`${databaseName(databaseUrl)} has no vehicles: seed it again (npm run bench:seed)`)
    return {
      counts,
      databaseMiB: size[0]?.mib ?? 0,
      customerPages: Math.ceil(counts.customers / 10),
      middleTicketId: mid[0]?.id ?? 1,
      middleInvoiceId: midInvoice[0].id,
      lines: lines.map((l) => [l.ticket_id, l.part_id]),
      openTickets: open.map((t) => t.id),
      customerIds: withVehicle,
      vehicleIds: withVehicle.map((id) => vehicleOf.get(id)!),
      mechanicIds: await ids('mechanics', counts.mechanics ?? 0),
    }
  } finally {
    await client.end()
  }
}

/** How many tracked parts the stock route rotates through, so its connections do not all queue on one stock row. */
const TRACKED_PARTS = 10
/** What each of them holds when a run starts: far more than any run takes. */
const TRACKED_STOCK = 10_000_000
const TRACKED_NAME = 'Bench tracked part'

/**
 * The tracked-part route's parts, made once (`Bench tracked part <i>`) and reset before every run:
 * the lines earlier runs left on tickets are taken off and each part is counted at TRACKED_STOCK,
 * so no run drains the stock or takes a line past its limit of 1,000. Written in SQL as the seed
 * writes, keeping what the API keeps: the count is a movement of the difference, so `on_hand`
 * still equals the ledger's sum. Run it once the API has started (which migrates the database),
 * before any request fills the API's inventory cache.
 */
export async function prepareTrackedParts (databaseUrl: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query('begin')
    const { rows: existing } = await client.query<{ id: number }>(
      'select id from inventory where name like $1 order by id', [`${TRACKED_NAME} %`])
    const parts = existing.map((r) => r.id)
    for (let i = parts.length; i < TRACKED_PARTS; i++) {
      const { rows } = await client.query<{ id: number }>('insert into inventory (name, price) values ($1, 9.99) returning id', [`${TRACKED_NAME} ${i + 1}`])
      parts.push(rows[0]!.id)
    }
    await client.query('delete from ticket_parts where part_id = any($1::int[])', [parts])
    await client.query('insert into stock_levels (part_id, on_hand) select unnest($1::int[]), 0 on conflict do nothing', [parts])
    await client.query(`
      with before as (select part_id, on_hand from stock_levels where part_id = any($1::int[]) for update),
      counted as (
        update stock_levels s set on_hand = $2, updated_at = now() from before b
        where s.part_id = b.part_id returning s.part_id, b.on_hand as before
      )
      insert into stock_movements (part_id, kind, quantity, on_hand_after, actor_role, actor_id)
      select part_id, 'count', $2 - before, $2, 'mechanic', (select min(id) from mechanics) from counted where before <> $2`,
    [parts, TRACKED_STOCK])
    await client.query('commit')
    return parts.slice(0, TRACKED_PARTS)
  } finally {
    await client.end()
  }
}

interface RouteSpec { label: string, target: Target }

/** The routes the API answers from its response cache (`x-cache`), measured against the floor too. */
export const CACHED_ROUTES = ['GET /mechanics/ranking', 'GET /mechanics', 'GET /inventory?page=1&per_page=50']
/** The read measured during the login storm, and the login route that storms. */
export const STORM_READ = 'GET /inventory?page=1&per_page=50'
export const LOGIN_ROUTE = 'POST /customers/login'

/**
 * Concurrent logins at most: the API's hash queue (src/lib/passwords.ts) holds 9 on the one core the
 * server is pinned to, and answers 503 past it.
 */
const LOGINS_IN_FLIGHT = 8

/** A distinct client address for each n (10.0.0.0/8). */
const clientAddress = (n: number): string => `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`

/**
 * The logins a run abandons when it stops still hash on the server, and on the API they hold places
 * in its hash queue: one more login, from an address of its own, answers once they are done.
 */
async function waitForQueuedLogins (server: Server): Promise<void> {
  const deadline = Date.now() + 120_000
  for (;;) {
    const res = await http(`${server.url}/customers/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '10.255.255.254' },
      body: JSON.stringify({ email: customerEmail(1), password: BENCH_PASSWORD }),
      timeoutMs: 60_000,
    })
    if (res.status === 200) return
    // 503: the queue is still full.
    if (res.status !== 503 || Date.now() > deadline) throw new Error(`waiting for queued logins: ${server.kind} answered ${res.status}: ${res.body}`)
    await new Promise((resolve) => setTimeout(resolve, 1000))
  }
}

/** The ticket list every filtered one is compared with, and the filtered ones. */
export const UNFILTERED_TICKET_LIST = 'GET /service-tickets'
export const STATUS_TICKET_LIST = 'GET /service-tickets?status=in_progress'
export const VEHICLE_TICKET_LIST = 'GET /vehicles/{vehicle_id}/service-tickets'
export const FILTERED_TICKET_LISTS = [STATUS_TICKET_LIST, VEHICLE_TICKET_LIST]

export function routes (facts: Facts, who: Callers, trackedParts: number[]): RouteSpec[] {
  const mechanic = (n: number) => ({ authorization: who.mechanics[n % who.mechanics.length]! })
  const customer = (n: number) => {
    const c = who.customers[n % who.customers.length]!
    return { authorization: c.authorization, 'x-customer-id': String(c.customerId) }
  }
  const vehicleTickets = (n: number) => `/vehicles/${facts.vehicleIds[n % who.customers.length]}/service-tickets`
  const asMechanic = (path: string): Target => ({ method: 'GET', path, headers: mechanic(0), vary: (n) => ({ headers: mechanic(n) }) })
  const json = { 'content-type': 'application/json' }
  const lastPage = facts.customerPages
  const ticket = facts.middleTicketId
  const lines = facts.lines.length > 0 ? facts.lines : [[ticket, 1] as [number, number]]
  const openTickets = facts.openTickets.length > 0 ? facts.openTickets : [ticket]
  const trackedAdd = (n: number) => ({
    path: `/service-tickets/${openTickets[n % openTickets.length]}/parts`,
    body: `{"part_id":${trackedParts[n % trackedParts.length]},"quantity":1}`,
  })
  let loginsSent = 0
  const loginBody = (n: number) => JSON.stringify({ email: customerEmail(1 + (n % who.customers.length)), password: BENCH_PASSWORD })
  return [
    { label: 'GET /health', target: { method: 'GET', path: '/health', headers: {} } },
    { label: 'GET /customers?page=100&per_page=10', target: asMechanic('/customers?page=100&per_page=10') },
    { label: `GET /customers?page=${lastPage}&per_page=10 (last)`, target: asMechanic(`/customers?page=${lastPage}&per_page=10`) },
    { label: 'GET /customers/my-tickets', target: { method: 'GET', path: '/customers/my-tickets', headers: customer(0), vary: (n) => ({ headers: customer(n) }) } },
    { label: 'GET /mechanics/ranking', target: asMechanic('/mechanics/ranking') },
    { label: 'GET /mechanics', target: asMechanic('/mechanics') },
    { label: STORM_READ, target: { method: 'GET', path: '/inventory?page=1&per_page=50', headers: {} } },
    { label: `GET /service-tickets/${ticket}`, target: asMechanic(`/service-tickets/${ticket}`) },
    { label: `GET /invoices/${facts.middleInvoiceId}`, target: asMechanic(`/invoices/${facts.middleInvoiceId}`) },
    // The filtered lists against the unfiltered one (FILTERED_TICKET_LISTS, UNFILTERED_TICKET_LIST).
    { label: UNFILTERED_TICKET_LIST, target: asMechanic('/service-tickets') },
    { label: STATUS_TICKET_LIST, target: asMechanic('/service-tickets?status=in_progress') },
    {
      // Each customer's first vehicle, asked by its owner: the ownership check and the owner's filter.
      label: VEHICLE_TICKET_LIST,
      target: { method: 'GET', path: vehicleTickets(0), headers: customer(0), vary: (n) => ({ path: vehicleTickets(n), headers: customer(n) }) },
    },
    {
      // Bumps the quantity of existing lines, spread over the table, so repeated runs do not grow it.
      label: 'POST /service-tickets/{id}/parts',
      target: {
        method: 'POST',
        path: `/service-tickets/${lines[0]![0]}/parts`,
        headers: { ...mechanic(0), ...json },
        body: JSON.stringify({ part_id: lines[0]![1], quantity: 1 }),
        vary: (n) => {
          const [t, p] = lines[n % lines.length]!
          return { path: `/service-tickets/${t}/parts`, body: `{"part_id":${p},"quantity":1}`, headers: mechanic(n) }
        },
      },
    },
    {
      // A tracked part on open tickets: the line, the stock taken with its movement, the version and
      // the event in one transaction (prepareTrackedParts keeps the stock from running out).
      label: 'POST /service-tickets/{id}/parts (tracked part)',
      target: {
        method: 'POST',
        ...trackedAdd(0),
        headers: { ...mechanic(0), ...json, [BASELINE_STOCK_HEADER]: '1' },
        vary: (n) => ({ ...trackedAdd(n), headers: mechanic(n) }),
      },
    },
    {
      // Each login from another client address (the API trusts X-Forwarded-For from loopback in
      // the benchmark), as many customers logging in: the API lets one address have one password
      // hash in flight, and refuses logins past its hash queue (LOGINS_IN_FLIGHT). Addresses are
      // never reused, across runs and the login storm too: the API keeps an address's slot after
      // its client gave up waiting (the runs' ends abandon requests), answering it 429 from then on.
      label: LOGIN_ROUTE,
      target: {
        method: 'POST',
        path: '/customers/login',
        headers: { ...json, 'x-forwarded-for': clientAddress(0) },
        body: loginBody(0),
        vary: (n) => ({ body: loginBody(n), headers: { ...json, 'x-forwarded-for': clientAddress(++loginsSent) } }),
        maxConnections: LOGINS_IN_FLIGHT,
        settle: waitForQueuedLogins,
      },
    },
  ]
}

function firstDifference (a: unknown, b: unknown, path = ''): string | undefined {
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || (a === null) !== (b === null)) return `${path || '/'}: ${JSON.stringify(a)?.slice(0, 60)} vs ${JSON.stringify(b)?.slice(0, 60)}`
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return `${path}: ${a.length} items vs ${b.length}`
    for (let i = 0; i < a.length; i++) {
      const d = firstDifference(a[i], b[i], `${path}/${i}`)
      if (d !== undefined) return d
    }
    return undefined
  }
  if (typeof a === 'object' && a !== null && b !== null) {
    const ka = Object.keys(a).sort()
    const kb = Object.keys(b as object).sort()
    if (ka.join() !== kb.join()) return `${path || '/'}: keys ${ka.join(',')} vs ${kb.join(',')}`
    for (const k of ka) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}/${k}`)
      if (d !== undefined) return d
    }
    return undefined
  }
  return a === b ? undefined : `${path || '/'}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`
}

/** Fetches every read route from both servers and compares the JSON. Differences are warnings. */
export async function compareAnswers (specs: RouteSpec[], api: Server, baseline: Server): Promise<string[]> {
  const notes: string[] = []
  for (const { label, target } of specs) {
    if (target.method !== 'GET') continue
    const [a, b] = await Promise.all([api, baseline].map((s) => http(s.url + target.path, { headers: target.headers })))
    if (a!.status !== 200 || b!.status !== 200) {
      notes.push(`${label}: API ${a!.status}, baseline ${b!.status}`)
      continue
    }
    const difference = firstDifference(JSON.parse(a!.body), JSON.parse(b!.body))
    if (difference !== undefined) notes.push(`${label}: answers differ at ${difference}`)
  }
  return notes
}
