// The yardstick: a bare Fastify + pg server answering the benchmarked routes with the SQL a careful
// person writes by hand and the same JSON shapes as the API, and nothing else: no validation, no
// plugins, no auth checks, no cache, no rate limits, no logging. Whatever the API costs beyond this
// is the price of its contract, security and features (or a performance bug).
//
//   BASELINE_PORT=3100 BENCH_DATABASE_URL=postgres://… node --import tsx bench/baseline.ts
//
// Deliberate differences from the API:
// - GET /mechanics/ranking is the naive GROUP BY over every assignment,
//   not a read of the trigger-maintained mechanics.ticket_count.
// - GET /customers/my-tickets and GET /vehicles/:id/service-tickets read the customer id from
//   `x-customer-id` (my-tickets: default customer 1; the vehicle's tickets: none, a mechanic)
//   instead of a verified token, and no route checks a token at all.
// - POST /service-tickets/:id/parts with `x-baseline-stock` (the tracked-part route) does what the
//   API does for a tracked part, in one transaction: the ticket's version and lock, the stock taken
//   with its movement, the line, the event. Without it, the line's upsert alone. The header stands
//   in for knowing which parts are tracked; the API finds that out with the part it reads anyway.
// - Logins verify the stored hash at its own cost (argon2id through the API's package, or scrypt)
//   with no bound on how many run at once, and sign an HS256 JWT by hand.
import { createHmac, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { verify as verifyArgon2 } from '@node-rs/argon2'
import Fastify, { type FastifyReply } from 'fastify'
import pg from 'pg'
import { BASELINE_STOCK_HEADER, DEFAULT_BENCH_DATABASE_URL } from './common.js'

const url = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || DEFAULT_BENCH_DATABASE_URL
const port = Number(process.env.BASELINE_PORT ?? 3100)
const host = process.env.HOST ?? '127.0.0.1'
const jwtSecret = process.env.JWT_SECRET ?? 'bench-baseline-secret'
const TOKEN_SECONDS = 3600

const pool = new pg.Pool({ connectionString: url, max: 10 })
pool.on('error', () => {}) // an idle client dying must not kill the process

// ---- the hand-written SQL --------------------------------------------------------------------

// One ticket view: the ticket, its mechanics, its part lines and its labor lines with their sums
// in one lateral pass each, and the money from those sums at the shop's tax rates. Money leaves
// PostgreSQL as numeric inside JSON (a JSON number) or as text.
const VIEW_COLUMNS = `
  st.id, st.customer_id, st.vehicle_id, st.vin, st.service_date::text as service_date, st.service_desc,
  st.status, st.version, st.odometer_in, st.odometer_out, st.authorized_total::text as authorized_total,
  st.authorized_at, st.authorized_by_role, st.authorized_by_id, st.created_at, st.updated_at,
  coalesce(ms.mechanics, '[]') as mechanics,
  coalesce(ps.parts, '[]') as parts,
  coalesce(ls.labor, '[]') as labor,
  mt.parts_total::text as parts_total, mt.labor_total::text as labor_total,
  (mt.parts_total + mt.labor_total)::text as total, mt.tax::text as tax,
  (mt.parts_total + mt.labor_total + mt.tax)::text as grand_total`
const VIEW_JOINS = `
  cross join lateral (
    select json_agg(json_build_object('id', m.id, 'name', m.name) order by m.id) as mechanics
    from service_mechanics sm join mechanics m on m.id = sm.mechanic_id
    where sm.ticket_id = st.id
  ) ms
  cross join lateral (
    select json_agg(json_build_object('part_id', tp.part_id, 'name', i.name, 'price', i.price,
                                      'quantity', tp.quantity, 'line_total', i.price * tp.quantity)
                    order by tp.part_id) as parts,
           sum(i.price * tp.quantity) as total
    from ticket_parts tp join inventory i on i.id = tp.part_id
    where tp.ticket_id = st.id
  ) ps
  cross join lateral (
    select json_agg(json_build_object('id', l.id, 'description', l.description, 'hours', l.hours, 'rate', l.rate,
                                      'line_total', l.line_total, 'mechanic_id', l.mechanic_id) order by l.id) as labor,
           sum(l.line_total) as total
    from ticket_labor_lines l
    where l.ticket_id = st.id
  ) ls
  cross join lateral (
    select coalesce(ps.total, 0) as parts_total, coalesce(ls.total, 0) as labor_total,
           round(coalesce(ps.total, 0) * s.parts_tax_rate, 2) + round(coalesce(ls.total, 0) * s.labor_tax_rate, 2) as tax
    from shop_settings s
  ) mt`

/**
 * One page of ticket views: the matching ids (and their count) first, the views for that page only.
 * `filters` is how many parameters `where` takes; limit and offset follow them. `order` sorts the
 * page's ids (its columns come with them), `outer` the views in the same order.
 */
function ticketPage (where: string, filters: number, order: { inner: string, columns: string, outer: string }): string {
  return `
    select ${VIEW_COLUMNS}, page.total_count
    from (
      select ${order.columns}, (count(*) over ())::int as total_count
      from service_tickets where ${where}
      order by ${order.inner} limit $${filters + 1} offset $${filters + 2}
    ) page
    join service_tickets st on st.id = page.id
    ${VIEW_JOINS}
    order by ${order.outer}`
}
const NEWEST_FIRST = { inner: 'id desc', columns: 'id', outer: 'st.id desc' }
const LATEST_SERVICE_FIRST = { inner: 'service_date desc, id desc', columns: 'id, service_date', outer: 'page.service_date desc, st.id desc' }

const SQL = {
  health: 'select 1',
  customersPage: 'select id, name, email, phone from customers order by id limit $1 offset $2',
  customersCount: 'select count(*)::int as total from customers',
  mechanicsPage: 'select id, name, email, phone, salary from mechanics order by id limit $1 offset $2',
  mechanicsCount: 'select count(*)::int as total from mechanics',
  // The naive ranking: count every assignment, every time.
  ranking: `
    select m.id, m.name, m.email, m.phone, m.salary, count(sm.ticket_id)::int as ticket_count
    from mechanics m left join service_mechanics sm on sm.mechanic_id = m.id
    group by m.id
    order by ticket_count desc, m.id
    limit $1 offset $2`,
  partsPage: 'select id, name, price, (count(*) over ())::int as total_count from inventory order by id limit $1 offset $2',
  partsCount: 'select count(*)::int as total from inventory',
  ticket: `select ${VIEW_COLUMNS} from service_tickets st ${VIEW_JOINS} where st.id = $1`,
  // The page of ids (and the total) first, so the views are built for that page only.
  customerTickets: `
    select ${VIEW_COLUMNS}, page.total_count
    from (
      select id, (count(*) over ())::int as total_count
      from service_tickets where customer_id = $1
      order by id desc limit $2 offset $3
    ) page
    join service_tickets st on st.id = page.id
    ${VIEW_JOINS}
    order by st.id desc`,
  customerTicketsCount: 'select count(*)::int as total from service_tickets where customer_id = $1',
  tickets: ticketPage('true', 0, NEWEST_FIRST),
  ticketsCount: 'select count(*)::int as total from service_tickets',
  ticketsInStatus: ticketPage('status = any($1::text[])', 1, NEWEST_FIRST),
  ticketsInStatusCount: 'select count(*)::int as total from service_tickets where status = any($1::text[])',
  vehicleOwner: 'select customer_id from vehicles where id = $1',
  // $2: the owner when a customer asks (a customer sees only their own tickets), null for a mechanic.
  vehicleTickets: ticketPage('vehicle_id = $1 and ($2::int is null or customer_id = $2)', 2, LATEST_SERVICE_FIRST),
  vehicleTicketsCount: 'select count(*)::int as total from service_tickets where vehicle_id = $1 and ($2::int is null or customer_id = $2)',
  addPart: `
    insert into ticket_parts (ticket_id, part_id, quantity) values ($1, $2, $3)
    on conflict (ticket_id, part_id) do update set quantity = ticket_parts.quantity + excluded.quantity`,
  // The tracked-part route, in one transaction: lock the open ticket and raise its version, take the
  // stock and book the movement, put the line on, record the event.
  lockTicket: `
    update service_tickets set version = version + 1, updated_at = now()
    where id = $1 and status in ('estimate', 'approved', 'in_progress') returning id`,
  takeStock: `
    with taken as (
      update stock_levels set on_hand = on_hand - $3, updated_at = now()
      where part_id = $2 and on_hand >= $3 returning on_hand
    ), moved as (
      insert into stock_movements (part_id, kind, quantity, on_hand_after, ticket_id, actor_role, actor_id)
      select $2, 'ticket', -$3, on_hand, $1, 'mechanic', $4 from taken
    )
    select on_hand from taken`,
  addTrackedPart: `
    insert into ticket_parts (ticket_id, part_id, quantity, stock_taken) values ($1, $2, $3, $3)
    on conflict (ticket_id, part_id) do update
    set quantity = ticket_parts.quantity + excluded.quantity, stock_taken = ticket_parts.stock_taken + excluded.stock_taken
    returning quantity`,
  partEvent: `
    insert into ticket_events (ticket_id, type, actor_role, actor_id, data)
    values ($1, 'part_added', 'mechanic', $4, json_build_object('part_id', $2::int, 'quantity', $3::int, 'line_quantity', $5::int))`,
  // An invoice is its stored snapshot; only the balance and the payments are put together here.
  invoice: `
    select inv.id, inv.number, inv.ticket_id, inv.status, inv.issued_at, inv.customer, inv.vehicle,
           inv.odometer_in, inv.odometer_out, inv.parts, inv.labor,
           inv.parts_total::text as parts_total, inv.labor_total::text as labor_total,
           inv.parts_tax_rate::text as parts_tax_rate, inv.labor_tax_rate::text as labor_tax_rate,
           inv.tax::text as tax, inv.total::text as total, inv.amount_paid::text as amount_paid,
           (inv.total - inv.amount_paid)::text as balance_due,
           coalesce((select json_agg(json_build_object('id', p.id, 'amount', p.amount, 'method', p.method,
                                                       'reference', p.reference, 'at', p.at) order by p.id)
                     from invoice_payments p where p.invoice_id = inv.id), '[]') as payments
    from invoices inv where inv.id = $1`,
  customerLogin: 'select id, password_hash from customers where lower(email) = lower($1)',
  mechanicLogin: 'select id, password_hash from mechanics where lower(email) = lower($1)',
} as const

// ---- shapes ----------------------------------------------------------------------------------

/** A part line as json_agg builds it: the amounts are JSON numbers already. */
interface TicketLine { part_id: number, name: string, price: number, quantity: number, line_total: number }
interface LaborLine { id: number, description: string, hours: number, rate: number, line_total: number, mechanic_id: number | null }

interface TicketRow {
  id: number
  customer_id: number
  vehicle_id: number
  vin: string
  service_date: string
  service_desc: string
  status: string
  version: number
  odometer_in: number | null
  odometer_out: number | null
  authorized_total: string | null
  authorized_at: Date | null
  authorized_by_role: string | null
  authorized_by_id: number | null
  created_at: Date
  updated_at: Date
  mechanics: Array<{ id: number, name: string }>
  parts: TicketLine[]
  labor: LaborLine[]
  parts_total: string
  labor_total: string
  total: string
  tax: string
  grand_total: string
}

const ticketView = (row: TicketRow) => ({
  id: row.id,
  customer_id: row.customer_id,
  vehicle_id: row.vehicle_id,
  vin: row.vin,
  service_date: row.service_date,
  service_desc: row.service_desc,
  status: row.status,
  version: row.version,
  odometer_in: row.odometer_in,
  odometer_out: row.odometer_out,
  authorized_total: row.authorized_total === null ? null : Number(row.authorized_total),
  authorized_at: row.authorized_at?.toISOString() ?? null,
  authorized_by: row.authorized_by_role === null ? null : { role: row.authorized_by_role, id: row.authorized_by_id },
  mechanics: row.mechanics,
  parts: row.parts,
  labor: row.labor,
  parts_total: Number(row.parts_total),
  labor_total: Number(row.labor_total),
  total: Number(row.total),
  tax: Number(row.tax),
  grand_total: Number(row.grand_total),
  created_at: row.created_at.toISOString(),
  updated_at: row.updated_at.toISOString(),
})

/** Money inside the snapshot's JSON is decimal text. */
interface InvoiceRow {
  id: number
  number: number
  ticket_id: number
  status: string
  issued_at: Date
  customer: unknown
  vehicle: unknown
  odometer_in: number | null
  odometer_out: number | null
  parts: Array<{ part_id: number, name: string, price: string, quantity: number, line_total: string }>
  labor: Array<{ id: number, description: string, hours: string, rate: string, line_total: string, mechanic_id: number | null }>
  parts_total: string
  labor_total: string
  parts_tax_rate: string
  labor_tax_rate: string
  tax: string
  total: string
  amount_paid: string
  balance_due: string
  payments: Array<{ id: number, amount: number, method: string, reference: string | null, at: string }>
}

const invoiceView = (row: InvoiceRow) => ({
  id: row.id,
  number: row.number,
  ticket_id: row.ticket_id,
  status: row.status,
  issued_at: row.issued_at.toISOString(),
  customer: row.customer,
  vehicle: row.vehicle,
  odometer_in: row.odometer_in,
  odometer_out: row.odometer_out,
  parts: row.parts.map((p) => ({ part_id: p.part_id, name: p.name, price: Number(p.price), quantity: p.quantity, line_total: Number(p.line_total) })),
  labor: row.labor.map((l) => ({ id: l.id, description: l.description, hours: Number(l.hours), rate: Number(l.rate), line_total: Number(l.line_total), mechanic_id: l.mechanic_id })),
  parts_total: Number(row.parts_total),
  labor_total: Number(row.labor_total),
  parts_tax_rate: Number(row.parts_tax_rate),
  labor_tax_rate: Number(row.labor_tax_rate),
  tax: Number(row.tax),
  total: Number(row.total),
  amount_paid: Number(row.amount_paid),
  balance_due: Number(row.balance_due),
  payments: row.payments.map((p) => ({ id: p.id, amount: p.amount, method: p.method, reference: p.reference, at: new Date(p.at).toISOString() })),
})

interface PageRequest { page: number, perPage: number }

function pageOf (query: unknown): PageRequest {
  const q = (query ?? {}) as Record<string, string | undefined>
  const page = Math.max(1, Number.parseInt(q.page ?? '', 10) || 1)
  const perPage = Math.min(100, Math.max(1, Number.parseInt(q.per_page ?? '', 10) || 10))
  return { page, perPage }
}

/** `{ data, meta }` and the same RFC 8288 Link header the API sends; `filters` are kept in its links (`status=…&`). */
function sendPage (reply: FastifyReply, path: string, { page, perPage }: PageRequest, data: unknown[], total: number, filters = '') {
  const totalPages = Math.ceil(total / perPage)
  const last = Math.max(totalPages, 1)
  const link = (p: number, rel: string) => `<${path}?${filters}page=${p}&per_page=${perPage}>; rel="${rel}"`
  const links = [link(1, 'first')]
  if (page > 1) links.push(link(Math.min(page - 1, last), 'prev'))
  if (page < last) links.push(link(page + 1, 'next'))
  links.push(link(last, 'last'))
  reply.header('link', links.join(', '))
  return { data, meta: { page, per_page: perPage, total, total_pages: totalPages } }
}

function problem (reply: FastifyReply, status: number, title: string, detail: string) {
  return reply.code(status).type('application/problem+json').send({ type: 'about:blank', title, status, detail })
}

// ---- tokens ----------------------------------------------------------------------------------

function verifyPassword (password: string, stored: string): Promise<boolean> {
  if (stored.startsWith('$argon2')) return verifyArgon2(stored, password.normalize('NFKC'))
  const [scheme, N, r, p, salt, key] = stored.split('$')
  if (scheme !== 'scrypt' || salt === undefined || key === undefined) return Promise.resolve(false)
  const expected = Buffer.from(key, 'base64url')
  const cost = { N: Number(N), r: Number(r), p: Number(p) }
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), Buffer.from(salt, 'base64url'), expected.length, options, (err, actual) => {
      if (err) reject(err)
      else resolve(actual.length === expected.length && timingSafeEqual(actual, expected))
    })
  })
}

const JWT_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')

function signToken (role: 'customer' | 'mechanic', id: number) {
  const iat = Math.floor(Date.now() / 1000)
  const payload = Buffer.from(JSON.stringify({ role, sub: String(id), iat, exp: iat + TOKEN_SECONDS })).toString('base64url')
  const signature = createHmac('sha256', jwtSecret).update(`${JWT_HEADER}.${payload}`).digest('base64url')
  return { token: `${JWT_HEADER}.${payload}.${signature}`, token_type: 'Bearer', expires_in: TOKEN_SECONDS }
}

// A stored hash to verify against when the email is unknown, so both failures cost the same.
let decoyHash: string | undefined

async function login (role: 'customer' | 'mechanic', body: unknown, reply: FastifyReply) {
  const { email, password } = (body ?? {}) as { email?: string, password?: string }
  if (typeof email !== 'string' || typeof password !== 'string') return problem(reply, 400, 'Bad Request', 'email and password are required.')
  const { rows } = await pool.query<{ id: number, password_hash: string }>(role === 'customer' ? SQL.customerLogin : SQL.mechanicLogin, [email])
  const account = rows[0]
  const valid = await verifyPassword(password, account?.password_hash ?? decoyHash ?? '')
  if (account === undefined || !valid) return problem(reply, 401, 'Unauthorized', 'Email or password is wrong.')
  return signToken(role, account.id)
}

// ---- routes ----------------------------------------------------------------------------------

const app = Fastify({ logger: false })

app.get('/health', async () => {
  await pool.query(SQL.health)
  return { status: 'ok', database: 'up' }
})

app.get('/customers', async (req, reply) => {
  const page = pageOf(req.query)
  const [rows, count] = await Promise.all([
    pool.query(SQL.customersPage, [page.perPage, (page.page - 1) * page.perPage]),
    pool.query<{ total: number }>(SQL.customersCount),
  ])
  return sendPage(reply, '/customers', page, rows.rows, count.rows[0]?.total ?? 0)
})

app.get('/customers/my-tickets', async (req, reply) => {
  const header = req.headers['x-customer-id']
  const customerId = Number(typeof header === 'string' ? header : 1) || 1
  const page = pageOf(req.query)
  const offset = (page.page - 1) * page.perPage
  const { rows } = await pool.query<TicketRow & { total_count: number }>(SQL.customerTickets, [customerId, page.perPage, offset])
  const total = rows[0]?.total_count ??
    (offset === 0 ? 0 : (await pool.query<{ total: number }>(SQL.customerTicketsCount, [customerId])).rows[0]?.total ?? 0)
  return sendPage(reply, '/customers/my-tickets', page, rows.map(ticketView), total)
})

app.post('/customers/login', async (req, reply) => await login('customer', req.body, reply))
app.post('/mechanics/login', async (req, reply) => await login('mechanic', req.body, reply))

interface MechanicRow { id: number, name: string, email: string, phone: string, salary: string }
const mechanicView = (m: MechanicRow) => ({ id: m.id, name: m.name, email: m.email, phone: m.phone, salary: Number(m.salary) })

app.get('/mechanics', async (req, reply) => {
  const page = pageOf(req.query)
  const [rows, count] = await Promise.all([
    pool.query<MechanicRow>(SQL.mechanicsPage, [page.perPage, (page.page - 1) * page.perPage]),
    pool.query<{ total: number }>(SQL.mechanicsCount),
  ])
  return sendPage(reply, '/mechanics', page, rows.rows.map(mechanicView), count.rows[0]?.total ?? 0)
})

app.get('/mechanics/ranking', async (req, reply) => {
  const page = pageOf(req.query)
  const [rows, count] = await Promise.all([
    pool.query<MechanicRow & { ticket_count: number }>(SQL.ranking, [page.perPage, (page.page - 1) * page.perPage]),
    pool.query<{ total: number }>(SQL.mechanicsCount),
  ])
  const data = rows.rows.map((m) => ({ ...mechanicView(m), ticket_count: m.ticket_count }))
  return sendPage(reply, '/mechanics/ranking', page, data, count.rows[0]?.total ?? 0)
})

app.get('/inventory', async (req, reply) => {
  const page = pageOf(req.query)
  const offset = (page.page - 1) * page.perPage
  const { rows } = await pool.query<{ id: number, name: string, price: string, total_count: number }>(SQL.partsPage, [page.perPage, offset])
  const total = rows[0]?.total_count ??
    (offset === 0 ? 0 : (await pool.query<{ total: number }>(SQL.partsCount)).rows[0]?.total ?? 0)
  return sendPage(reply, '/inventory', page, rows.map((p) => ({ id: p.id, name: p.name, price: Number(p.price) })), total)
})

app.get('/service-tickets/:id', async (req, reply) => {
  const id = Number((req.params as { id: string }).id)
  const { rows } = await pool.query<TicketRow>(SQL.ticket, [id])
  const row = rows[0]
  if (row === undefined) return problem(reply, 404, 'Not Found', `Service ticket ${id} does not exist.`)
  return ticketView(row)
})

/** A page of ticket views from `query` (its rows carry the count), the count asked apart only past the last page. */
async function ticketList (query: string, count: string, filters: unknown[], page: PageRequest): Promise<{ rows: TicketRow[], total: number }> {
  const offset = (page.page - 1) * page.perPage
  const { rows } = await pool.query<TicketRow & { total_count: number }>(query, [...filters, page.perPage, offset])
  const total = rows[0]?.total_count ??
    (offset === 0 ? 0 : (await pool.query<{ total: number }>(count, filters)).rows[0]?.total ?? 0)
  return { rows, total }
}

app.get('/service-tickets', async (req, reply) => {
  const page = pageOf(req.query)
  const status = (req.query as { status?: string }).status
  const { rows, total } = status === undefined
    ? await ticketList(SQL.tickets, SQL.ticketsCount, [], page)
    : await ticketList(SQL.ticketsInStatus, SQL.ticketsInStatusCount, [status.split(',')], page)
  return sendPage(reply, '/service-tickets', page, rows.map(ticketView), total, status === undefined ? '' : `status=${encodeURIComponent(status)}&`)
})

app.get('/vehicles/:id/service-tickets', async (req, reply) => {
  const id = Number((req.params as { id: string }).id)
  const header = req.headers['x-customer-id']
  const customerId = typeof header === 'string' ? Number(header) : null
  const { rows: owners } = await pool.query<{ customer_id: number }>(SQL.vehicleOwner, [id])
  // Another customer's vehicle answers like a missing one.
  if (owners[0] === undefined || (customerId !== null && owners[0].customer_id !== customerId)) {
    return problem(reply, 404, 'Not Found', `Vehicle ${id} does not exist.`)
  }
  const page = pageOf(req.query)
  const { rows, total } = await ticketList(SQL.vehicleTickets, SQL.vehicleTicketsCount, [id, customerId], page)
  return sendPage(reply, `/vehicles/${id}/service-tickets`, page, rows.map(ticketView), total)
})

/** A tracked part on an open ticket; the answer when it is refused, else undefined. */
async function addTrackedPart (reply: FastifyReply, id: number, partId: number, quantity: number): Promise<FastifyReply | undefined> {
  const actor = 1 // no token is checked: the first mechanic
  const client = await pool.connect()
  try {
    await client.query('begin')
    const refuse = async (status: number, title: string, detail: string) => {
      await client.query('rollback')
      return problem(reply, status, title, detail)
    }
    if ((await client.query(SQL.lockTicket, [id])).rowCount === 0) return await refuse(409, 'Conflict', `Service ticket ${id} is missing or locks its parts.`)
    if ((await client.query(SQL.takeStock, [id, partId, quantity, actor])).rowCount === 0) return await refuse(409, 'Conflict', `Not enough of part ${partId} in stock.`)
    const { rows } = await client.query<{ quantity: number }>(SQL.addTrackedPart, [id, partId, quantity])
    await client.query(SQL.partEvent, [id, partId, quantity, actor, rows[0]!.quantity])
    await client.query('commit')
    return undefined
  } catch (err) {
    await client.query('rollback').catch(() => {})
    throw err
  } finally {
    client.release()
  }
}

app.post('/service-tickets/:id/parts', async (req, reply) => {
  const id = Number((req.params as { id: string }).id)
  const { part_id: partId, quantity = 1 } = (req.body ?? {}) as { part_id?: number, quantity?: number }
  if (req.headers[BASELINE_STOCK_HEADER] !== undefined && partId !== undefined) {
    const refused = await addTrackedPart(reply, id, partId, quantity)
    if (refused !== undefined) return refused
    const { rows } = await pool.query<TicketRow>(SQL.ticket, [id])
    return ticketView(rows[0]!)
  }
  try {
    await pool.query(SQL.addPart, [id, partId, quantity])
  } catch (err) {
    const constraint = (err as { code?: string, constraint?: string }).code === '23503' ? (err as { constraint?: string }).constraint : undefined
    if (constraint === 'ticket_parts_ticket_id_fkey') return problem(reply, 404, 'Not Found', `Service ticket ${id} does not exist.`)
    if (constraint === 'ticket_parts_part_id_fkey') return problem(reply, 422, 'Unprocessable Content', `Part ${partId} does not exist.`)
    throw err
  }
  const { rows } = await pool.query<TicketRow>(SQL.ticket, [id])
  const row = rows[0]
  if (row === undefined) return problem(reply, 404, 'Not Found', `Service ticket ${id} does not exist.`)
  return ticketView(row)
})

app.get('/invoices/:id', async (req, reply) => {
  const id = Number((req.params as { id: string }).id)
  const { rows } = await pool.query<InvoiceRow>(SQL.invoice, [id])
  const row = rows[0]
  if (row === undefined) return problem(reply, 404, 'Not Found', `Invoice ${id} does not exist.`)
  return invoiceView(row)
})

// ---- the framework floor ---------------------------------------------------------------------
// Not one of the compared routes: `GET /floor/<path>` sends this server's own answer to <path>
// (fetched once through app.inject, then kept as a string) with no query, hook or plugin. It is
// the most any response cache could reach with Fastify, this HTTP stack and this load generator on
// this machine, and so the ceiling of what a cached route can show against its baseline.
const floorBodies = new Map<string, Promise<string>>()
app.get('/floor/*', async (req, reply) => {
  const path = req.url.slice('/floor'.length)
  let body = floorBodies.get(path)
  if (body === undefined) {
    body = app.inject({ method: 'GET', url: path }).then((res) => {
      if (res.statusCode !== 200) throw new Error(`floor: GET ${path} answered ${res.statusCode}`)
      return res.body
    })
    floorBodies.set(path, body)
  }
  return reply.type('application/json; charset=utf-8').send(await body)
})

async function main (): Promise<void> {
  // Any stored hash has the API's cost; verifying a wrong password against it is the decoy.
  const { rows } = await pool.query<{ password_hash: string }>('select password_hash from customers order by id limit 1')
  decoyHash = rows[0]?.password_hash
  await app.listen({ port, host })
  const close = () => {
    app.close().then(() => pool.end()).finally(() => process.exit(0))
  }
  process.once('SIGTERM', close)
  process.once('SIGINT', close)
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `Baseline start-up failed: ${err.message}` : err)
  process.exit(1)
})
