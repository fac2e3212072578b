// Rows made straight through the repositories, with sessions started by the app itself: the
// security tests need many small worlds, and signing up through the API costs a password hash per
// account. Every account shares one password, hashed once per process.
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { insertCustomer } from '../../src/db/customers.js'
import { insertPart } from '../../src/db/inventory.js'
import { insertMechanic } from '../../src/db/mechanics.js'
import type { WriteContext } from '../../src/db/ticket-guard.js'
import { addTicketLabor } from '../../src/db/ticket-labor.js'
import { addTicketPart } from '../../src/db/ticket-lines.js'
import { insertTicket } from '../../src/db/ticket-writes.js'
import { hashPassword } from '../../src/lib/passwords.js'

export const FIXTURE_PASSWORD = 'fixture-password-1'
let fixtureHash: Promise<string> | undefined
const passwordHash = (): Promise<string> => (fixtureHash ??= hashPassword(FIXTURE_PASSWORD))

const tag = (): string => randomUUID().slice(0, 8)

export interface Account { id: number, email: string, password: string, token: string, refreshToken: string }

/** A new session of the account, as its login would open it (with the fixtures' password hash). */
export async function newSession (app: FastifyInstance, role: 'customer' | 'mechanic', id: number): Promise<{ token: string, refresh_token: string }> {
  const session = await app.sessions.start(role, id, await passwordHash())
  if (session === undefined) throw new Error(`no session for ${role} ${id}: the account is gone or has another password`)
  return session
}

export async function customerAccount (app: FastifyInstance, name = 'Fixture Customer'): Promise<Account> {
  const email = `customer-${tag()}@example.com`
  const row = await insertCustomer(app.db, { name, email, phone: '+1 555 0100', password_hash: await passwordHash() })
  const { token, refresh_token: refreshToken } = await newSession(app, 'customer', row.id)
  return { id: row.id, email, password: FIXTURE_PASSWORD, token, refreshToken }
}

export async function mechanicAccount (app: FastifyInstance, name = 'Fixture Mechanic'): Promise<Account> {
  const email = `mechanic-${tag()}@example.com`
  const row = await insertMechanic(app.db, { name, email, phone: '+1 555 0200', salary: 50000, password_hash: await passwordHash() })
  const { token, refresh_token: refreshToken } = await newSession(app, 'mechanic', row.id)
  return { id: row.id, email, password: FIXTURE_PASSWORD, token, refreshToken }
}

export async function part (app: FastifyInstance, name = 'Fixture part', price = 12.5): Promise<number> {
  return (await insertPart(app.db, { name, price })).id
}

/** The history's actor for rows made here: a mechanic id that need not exist (events keep no foreign key). */
const FIXTURE_WRITER: WriteContext = { actor: { role: 'mechanic', id: 1 } }

export async function ticket (app: FastifyInstance, customerId: number, opts: { mechanicIds?: number[], partIds?: number[], vin?: string } = {}): Promise<number> {
  const { id } = await insertTicket(app.db, {
    customer_id: customerId,
    vin: opts.vin ?? '1HGCM82633A004352',
    service_date: '2026-12-01',
    service_desc: 'Fixture ticket',
    mechanic_ids: opts.mechanicIds ?? [],
  }, FIXTURE_WRITER)
  for (const partId of opts.partIds ?? []) await addTicketPart(app.db, id, partId, 1, FIXTURE_WRITER)
  return id
}

/** Puts a labor line on a ticket; returns the line's id. */
export async function laborLine (app: FastifyInstance, ticketId: number, line: { description?: string, hours?: number, rate?: number, mechanic_id?: number } = {}): Promise<number> {
  const { lineId } = await addTicketLabor(app.db, ticketId, { description: line.description ?? 'Fixture labor', hours: line.hours ?? 1, rate: line.rate, mechanic_id: line.mechanic_id }, FIXTURE_WRITER)
  return lineId
}
