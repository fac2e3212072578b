// The per-status ticket counts the database keeps (ticket_status_counts) and the status-filtered
// list that reads its total from them: after every kind of write the counts equal a real count,
// the migration fills them from existing tickets, every page of a status list is the right tickets,
// and on PostgreSQL a storm of opposite transitions, creates and deletes ends exact, without a deadlock.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { sql } from 'kysely'
import t, { type Test } from 'tap'
import type { components } from '../generated/api.js'
import * as migration from '../migrations/2026_12_07_0700_ticket_status_counts.js'
import { TICKET_STATUSES, type TicketStatus } from '../src/lib/ticket-workflow.js'
import { auth, buildTestApp, expectContract, mechanicToken, signUpCustomer, usingPostgres } from './helpers.js'

type ServiceTicket = components['schemas']['ServiceTicket']
type TicketPage = components['schemas']['ServiceTicketPage']

const VIN = '1HGCM82633A004352'

const app: FastifyInstance = await buildTestApp(t)
const boss = auth(await mechanicToken(app))
const customer = await signUpCustomer(app)

const call = async (operationId: string, options: InjectOptions): Promise<LightMyRequestResponse> => {
  const res = await app.inject(options)
  expectContract(res, operationId)
  return res
}

async function openTicket (): Promise<ServiceTicket> {
  const res = await call('createServiceTicket', { method: 'POST', url: '/service-tickets', headers: boss, payload: { customer_id: customer.id, vin: VIN, service_date: '2026-12-01', service_desc: 'Work' } })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json<ServiceTicket>()
}

const transition = (id: number, to: TicketStatus) =>
  app.inject({ method: 'POST', url: `/service-tickets/${id}/transitions`, headers: boss, payload: { to } })
const approval = (id: number, decision: 'approve' | 'decline') =>
  app.inject({ method: 'POST', url: `/service-tickets/${id}/approval`, headers: boss, payload: { decision } })
const remove = (id: number) => app.inject({ method: 'DELETE', url: `/service-tickets/${id}`, headers: boss })

/** What the counters say and what a real count says, per status (zero where there is none). */
async function counts (): Promise<{ kept: Record<string, number>, real: Record<string, number> }> {
  const kept = await app.db.selectFrom('ticket_status_counts').select(['status', 'n']).execute()
  const real = await app.db.selectFrom('service_tickets').select(['status', sql<number>`count(*)::int`.as('n')]).groupBy('status').execute()
  const byStatus = (rows: Array<{ status: string, n: number }>) =>
    Object.fromEntries(TICKET_STATUSES.map((status) => [status, rows.find((r) => r.status === status)?.n ?? 0]))
  return { kept: byStatus(kept), real: byStatus(real) }
}

async function countsExact (t: Test, after: string): Promise<void> {
  const { kept, real } = await counts()
  t.same(kept, real, `after ${after}, the counts are count(*) group by status`)
}

t.test('every status has its counter row, and nothing else does', async (t) => {
  const rows = await app.db.selectFrom('ticket_status_counts').select('status').orderBy('status').execute()
  t.same(rows.map((r) => r.status), [...TICKET_STATUSES].sort())
})

t.test('the counts follow every kind of write', async (t) => {
  await countsExact(t, 'start-up')
  const [a, b, c, d] = [await openTicket(), await openTicket(), await openTicket(), await openTicket()]
  await countsExact(t, 'creates')
  if (a === undefined || b === undefined || c === undefined || d === undefined) throw new Error('no tickets')

  t.equal((await approval(a.id, 'approve')).statusCode, 200)
  await countsExact(t, 'an approval (estimate → approved)')
  t.equal((await approval(a.id, 'approve')).statusCode, 200)
  await countsExact(t, 'a renewed approval (status kept)')
  t.equal((await approval(b.id, 'decline')).statusCode, 200)
  await countsExact(t, 'a decline (estimate → cancelled)')
  t.equal((await transition(a.id, 'in_progress')).statusCode, 200)
  t.equal((await transition(a.id, 'completed')).statusCode, 200)
  t.equal((await transition(a.id, 'in_progress')).statusCode, 200)
  await countsExact(t, 'start, complete and reopen')
  t.equal((await transition(c.id, 'cancelled')).statusCode, 200)
  await countsExact(t, 'a cancel')
  t.equal((await transition(d.id, 'completed')).statusCode, 409, 'an illegal transition is refused…')
  await countsExact(t, 'a refused transition')
  t.equal((await app.inject({ method: 'PUT', url: `/service-tickets/${d.id}`, headers: boss, payload: { vin: VIN, service_date: '2026-12-02', service_desc: 'Other work' } })).statusCode, 200)
  await countsExact(t, 'a write that keeps the status')
  t.equal((await remove(a.id)).statusCode, 204)
  t.equal((await remove(b.id)).statusCode, 204)
  await countsExact(t, 'deletes')

  // What a migration or an operator might run: bulk statements, several statuses at once.
  await sql`update service_tickets set status = case when id % 2 = 0 then 'completed' else 'approved' end`.execute(app.db)
  await countsExact(t, 'one UPDATE moving every ticket')
  await sql`update service_tickets set status = case status when 'completed' then 'approved' else 'completed' end
    where id = any(${[c.id, d.id]})`.execute(app.db)
  await countsExact(t, 'one UPDATE swapping statuses both ways')
  await sql`insert into service_tickets (customer_id, vehicle_id, vin, service_date, service_desc, status)
    select customer_id, vehicle_id, vin, service_date, service_desc, s
    from service_tickets, unnest(array['estimate', 'paid', 'paid', 'invoiced']) as s where id = ${d.id}`.execute(app.db)
  await countsExact(t, 'one INSERT of several statuses')
  await sql`delete from service_tickets where status in ('paid', 'invoiced')`.execute(app.db)
  await countsExact(t, 'one DELETE of several statuses')
  await t.rejects(app.db.transaction().execute(async (trx) => {
    await sql`update service_tickets set status = 'paid'`.execute(trx)
    throw new Error('changed my mind')
  }), /changed my mind/)
  await countsExact(t, 'a rolled-back UPDATE')
  await t.rejects(sql`update ticket_status_counts set n = -1 where status = 'paid'`.execute(app.db), 'a count below zero is refused')
})

t.test('the migration fills the counts from the tickets there are, and reverts', async (t) => {
  await app.db.transaction().execute(async (trx) => { await migration.down(trx) })
  t.equal((await sql<{ present: boolean }>`select to_regclass('ticket_status_counts') is not null as present`.execute(app.db)).rows[0]?.present, false, 'down drops the table')
  await openTicket() // written while nothing keeps the counts
  await sql`update service_tickets set status = 'in_progress' where id = (select max(id) from service_tickets)`.execute(app.db)
  await app.db.transaction().execute(async (trx) => { await migration.up(trx) })
  await countsExact(t, 'the migration')
  await openTicket()
  await countsExact(t, 'a create after it')
})

t.test('a status list: the total from the counts, every page the right tickets, far pages too', async (t) => {
  const ticket = await openTicket()
  // 37 more tickets spread over four statuses in one statement.
  await sql`insert into service_tickets (customer_id, vehicle_id, vin, service_date, service_desc, status)
    select customer_id, vehicle_id, vin, service_date, service_desc, (array['estimate', 'approved', 'in_progress', 'completed'])[1 + g % 4]
    from service_tickets, generate_series(1, 37) as g where id = ${ticket.id}`.execute(app.db)
  for (const filter of ['in_progress', 'completed,estimate', 'estimate,approved,in_progress', 'paid', [...TICKET_STATUSES].join(',')]) {
    const statuses = filter.split(',')
    const expected = (await app.db.selectFrom('service_tickets').select('id').where('status', 'in', statuses as TicketStatus[]).orderBy('id', 'desc').execute()).map((r) => r.id)
    for (const perPage of [1, 4, 7, 100]) {
      const seen: number[] = []
      const pages = Math.max(1, Math.ceil(expected.length / perPage))
      for (let page = 1; page <= pages + 1; page++) {
        const res = await call('listServiceTickets', { method: 'GET', url: `/service-tickets?status=${filter}&page=${page}&per_page=${perPage}`, headers: boss })
        const body = res.json<TicketPage>()
        if (body.meta.total !== expected.length) t.fail(`${filter} per_page ${perPage} page ${page}: total ${body.meta.total}, ${expected.length} expected`)
        t.ok(body.data.every((x) => statuses.includes(x.status)), `${filter} page ${page}: only those statuses`)
        seen.push(...body.data.map((x) => x.id))
      }
      t.same(seen, expected, `${filter}, ${perPage} per page: every ticket once, newest first`)
    }
  }
  const withCustomer = await call('listServiceTickets', { method: 'GET', url: `/service-tickets?status=in_progress&customer_id=${customer.id}&per_page=100`, headers: boss })
  const mine = (await app.db.selectFrom('service_tickets').select('id').where('status', '=', 'in_progress').where('customer_id', '=', customer.id).execute()).length
  t.equal(withCustomer.json<TicketPage>().meta.total, mine, 'status with another filter still counts its matches')
})

t.test('a storm on PostgreSQL: opposite transitions, approvals, revisions, creates and deletes at once', { skip: usingPostgres() ? false : 'PGlite runs one statement at a time: races need PostgreSQL' }, async (t) => {
  const setStatus = async (ids: number[], status: TicketStatus) => {
    await app.db.updateTable('service_tickets').set({ status }).where('id', 'in', ids).execute()
  }
  const open = async (n: number) => (await Promise.all(Array.from({ length: n }, () => openTicket()))).map((x) => x.id)
  const working = await open(30) // in_progress → completed
  const done = await open(30) // completed → in_progress (reopen)
  const estimates = await open(20) // estimate → approved
  const approved = await open(20) // approved → estimate (revise)
  const doomed = await open(20) // deleted, half of them in_progress, half approved
  await setStatus(working, 'in_progress')
  await setStatus(done, 'completed')
  await setStatus(approved, 'approved')
  await setStatus(doomed.slice(0, 10), 'in_progress')
  await setStatus(doomed.slice(10), 'approved')
  await countsExact(t, 'setting up')

  for (let round = 0; round < 3; round++) {
    const requests: Array<Promise<LightMyRequestResponse>> = []
    for (let i = 0; i < 30; i++) {
      const forward = round % 2 === 0
      requests.push(transition(working[i]!, forward ? 'completed' : 'in_progress'))
      requests.push(transition(done[i]!, forward ? 'in_progress' : 'completed'))
      if (i < 20) {
        requests.push(forward ? approval(estimates[i]!, 'approve') : transition(estimates[i]!, 'estimate'))
        requests.push(forward ? transition(approved[i]!, 'estimate') : approval(approved[i]!, 'approve'))
      }
    }
    if (round === 0) for (const id of doomed) requests.push(remove(id))
    const created = Array.from({ length: 10 }, () => app.inject({ method: 'POST', url: '/service-tickets', headers: boss, payload: { customer_id: customer.id, vin: VIN, service_date: '2026-12-01', service_desc: 'Storm' } }))
    const answers = await Promise.all([...requests, ...created])
    const failed = answers.filter((r) => r.statusCode >= 300)
    t.same(failed.map((r) => `${r.statusCode} ${r.body}`), [], `round ${round}: every write succeeded (no deadlock, no conflict)`)
    await countsExact(t, `round ${round}`)
  }

  // Bulk statements moving disjoint sets of tickets both ways at once, each one statement.
  const flips = Array.from({ length: 12 }, (_, k) => {
    const ids = [...working, ...done].filter((_, i) => i % 12 === k)
    return sql`update service_tickets set status = case status when 'completed' then 'in_progress' else 'completed' end
      where id = any(${ids})`.execute(app.db)
  })
  await Promise.all(flips)
  await countsExact(t, 'concurrent bulk flips')
})
