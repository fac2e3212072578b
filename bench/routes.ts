// What is measured: the routes, the facts of the seeded shop they need, the callers' tokens they
// rotate through, and the check that both servers answer each read with the same JSON.
import { createHmac } from 'node:crypto'
import pg from 'pg'
import { BENCH_JWT_SECRET } from './api-process.js'
import { BENCH_PASSWORD, customerEmail, databaseName, mechanicEmail } from './common.js'
import { http, type Server } from './servers.js'
import type { Target } from './load.js'

interface Facts {
  counts: Record<string, number>
  databaseMiB: number
  customerPages: number
  middleTicketId: number
  /** Existing (ticket, part) lines, spread over the table: the write route bumps their quantities. */
  lines: Array<[number, number]>
  /** The customers whose tokens rotate, lowest ids first (`customer<i>@bench.test` has the i-th). */
  customerIds: number[]
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
    for (const table of ['customers', 'mechanics', 'inventory', 'service_tickets', 'service_mechanics', 'ticket_parts']) {
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
    const { rows: mid } = await client.query<{ id: number }>(
      'select id from service_tickets where id >= (select (min(id) + max(id)) / 2 from service_tickets) order by id limit 1')
    // Every k-th ticket's lines, about 5,000 of them whatever the scale.
    const { rows: lines } = await client.query<{ ticket_id: number, part_id: number }>(
      'select ticket_id, part_id from ticket_parts where ticket_id % $1 = 0 order by ticket_id, part_id limit 5000',
      [Math.max(1, Math.floor(counts.service_tickets / 2000))])
    const ids = async (table: string, limit: number) =>
      (await client.query<{ id: number }>(`select id from ${table} order by id limit $1`, [limit])).rows.map((r) => r.id)
    return {
      counts,
      databaseMiB: size[0]?.mib ?? 0,
      customerPages: Math.ceil(counts.customers / 10),
      middleTicketId: mid[0]?.id ?? 1,
      lines: lines.map((l) => [l.ticket_id, l.part_id]),
      customerIds: await ids('customers', customers),
      mechanicIds: await ids('mechanics', counts.mechanics ?? 0),
    }
  } finally {
    await client.end()
  }
}

/** Every caller's `authorization` header, and for customers the id the baseline reads instead. */
interface Callers {
  mechanics: string[]
  customers: Array<{ authorization: string, customerId: number }>
}

async function login (server: Server, role: 'mechanics' | 'customers', email: string): Promise<string> {
  const res = await http(`${server.url}/${role}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: BENCH_PASSWORD }),
  })
  if (res.status !== 200) throw new Error(`${role} login as ${email} answered ${res.status}: ${res.body}`)
  return (JSON.parse(res.body) as { token: string }).token
}

/**
 * Tokens for many accounts without a password hash each (about 90 ms of one core per login): one
 * real login per role, then the same header and claims re-signed with each account's `sub`, so
 * whatever claims the API issues and checks, the minted tokens carry them too.
 */
function tokensLike (token: string, ids: number[]): string[] {
  const [header, payload] = token.split('.')
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>
  return ids.map((id) => {
    const unsigned = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: String(id) })).toString('base64url')}`
    return `${unsigned}.${createHmac('sha256', BENCH_JWT_SECRET).update(unsigned).digest('base64url')}`
  })
}

export async function callers (api: Server, facts: Facts): Promise<Callers> {
  const mechanic = await login(api, 'mechanics', mechanicEmail(1))
  const customer = await login(api, 'customers', customerEmail(1))
  return {
    mechanics: tokensLike(mechanic, facts.mechanicIds).map((token) => `Bearer ${token}`),
    customers: tokensLike(customer, facts.customerIds).map((token, i) => ({ authorization: `Bearer ${token}`, customerId: facts.customerIds[i]! })),
  }
}

interface RouteSpec { label: string, target: Target }

/** The routes the API answers from its response cache (`x-cache`), measured against the floor too. */
export const CACHED_ROUTES = ['GET /mechanics/ranking', 'GET /mechanics', 'GET /inventory?page=1&per_page=50']

export function routes (facts: Facts, who: Callers): RouteSpec[] {
  const mechanic = (n: number) => ({ authorization: who.mechanics[n % who.mechanics.length]! })
  const customer = (n: number) => {
    const c = who.customers[n % who.customers.length]!
    return { authorization: c.authorization, 'x-customer-id': String(c.customerId) }
  }
  const asMechanic = (path: string): Target => ({ method: 'GET', path, headers: mechanic(0), vary: (n) => ({ headers: mechanic(n) }) })
  const json = { 'content-type': 'application/json' }
  const lastPage = facts.customerPages
  const ticket = facts.middleTicketId
  const lines = facts.lines.length > 0 ? facts.lines : [[ticket, 1] as [number, number]]
  const loginBody = (n: number) => JSON.stringify({ email: customerEmail(1 + (n % who.customers.length)), password: BENCH_PASSWORD })
  return [
    { label: 'GET /health', target: { method: 'GET', path: '/health', headers: {} } },
    { label: 'GET /customers?page=100&per_page=10', target: asMechanic('/customers?page=100&per_page=10') },
    { label: `GET /customers?page=${lastPage}&per_page=10 (last)`, target: asMechanic(`/customers?page=${lastPage}&per_page=10`) },
    { label: 'GET /customers/my-tickets', target: { method: 'GET', path: '/customers/my-tickets', headers: customer(0), vary: (n) => ({ headers: customer(n) }) } },
    { label: 'GET /mechanics/ranking', target: asMechanic('/mechanics/ranking') },
    {
      // A query parameter the contract does not declare still goes into the API's cache key
      // (src/plugins/caching.ts keys on the validated query, unknown fields kept), so every request misses.
      label: 'GET /mechanics/ranking?_=<n> (uncached)',
      target: { method: 'GET', path: '/mechanics/ranking?_=0', headers: mechanic(0), vary: (n) => ({ path: `/mechanics/ranking?_=${n}`, headers: mechanic(n) }) },
    },
    { label: 'GET /mechanics', target: asMechanic('/mechanics') },
    { label: 'GET /inventory?page=1&per_page=50', target: { method: 'GET', path: '/inventory?page=1&per_page=50', headers: {} } },
    { label: `GET /service-tickets/${ticket}`, target: asMechanic(`/service-tickets/${ticket}`) },
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
      label: 'POST /customers/login',
      target: { method: 'POST', path: '/customers/login', headers: json, body: loginBody(0), vary: (n) => ({ body: loginBody(n) }) },
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
