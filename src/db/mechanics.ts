// Every query on mechanics. password_hash is written here but read back only by the login lookup
// (accounts.ts),
// and ticket_count is only ever read: triggers on service_mechanics maintain it.
import { sql, type Kysely } from 'kysely'
import { toNumeric } from '../lib/money.js'
import { offsetOf, type PageRequest } from '../lib/pagination.js'
import { emailIs } from './accounts.js'
import { byPlan, countRows, listPage, type Page } from './paging.js'
import { DuplicateValue, isUniqueViolation } from './pg-errors.js'
import type { Database, MechanicRow } from './schema.js'

const COLUMNS = ['id', 'name', 'email', 'phone', 'salary'] as const
const RANKED_COLUMNS = [...COLUMNS, 'ticket_count'] as const

export type MechanicRecord = Pick<MechanicRow, (typeof COLUMNS)[number]>
export type RankedMechanicRecord = Pick<MechanicRow, (typeof RANKED_COLUMNS)[number]>

/** `salary` is the API's number; it is written as two-decimal text so no float meets the numeric column. */
export interface MechanicValues { name: string, email: string, phone: string, salary: number, password_hash: string }
/** A full replacement of the details; the password changes only when a new hash is given. */
export interface MechanicChanges { name: string, email: string, phone: string, salary: number, password_hash?: string | undefined }

export interface BootstrapMechanic { email: string, password: string, name: string }
/** The bootstrap account has no real phone; this placeholder satisfies the contract's Phone pattern. */
const BOOTSTRAP_PHONE = '000-000-0000'

function rethrowDuplicateEmail (err: unknown): never {
  if (isUniqueViolation(err, 'mechanics_email_key')) throw new DuplicateValue('email', 'A mechanic with this email already exists.')
  throw err
}

export async function insertMechanic (db: Kysely<Database>, values: MechanicValues): Promise<MechanicRecord> {
  const { name, email, phone, salary, password_hash } = values
  return await db.insertInto('mechanics')
    .values({ name, email, phone, salary: toNumeric(salary), password_hash })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow()
    .catch(rethrowDuplicateEmail)
}

export async function findMechanicById (db: Kysely<Database>, id: number): Promise<MechanicRecord | undefined> {
  return await db.selectFrom('mechanics').select(COLUMNS).where('id', '=', id).executeTakeFirst()
}

/** One page, oldest first, and the size of the whole list. */
export async function listMechanics (db: Kysely<Database>, page: PageRequest): Promise<Page<MechanicRecord>> {
  return await listPage(db, 'mechanics', page, (plan) => db.selectFrom('mechanics').select(COLUMNS).$call(byPlan(plan)).execute())
}

/** One page of the workload ranking: most tickets first, ties by id, read off the maintained counter. */
export async function rankMechanics (db: Kysely<Database>, page: PageRequest): Promise<Page<RankedMechanicRecord>> {
  const [rows, total] = await Promise.all([
    db.selectFrom('mechanics')
      .select(RANKED_COLUMNS)
      .orderBy('ticket_count', 'desc')
      .orderBy('id', 'asc')
      .limit(page.per_page)
      .offset(offsetOf(page))
      .execute(),
    countRows(db, 'mechanics'),
  ])
  return { rows, total }
}

/** Undefined when no mechanic has that id. */
export async function updateMechanic (db: Kysely<Database>, id: number, changes: MechanicChanges): Promise<MechanicRecord | undefined> {
  const { name, email, phone, password_hash } = changes
  const salary = toNumeric(changes.salary)
  return await db.updateTable('mechanics')
    .set(password_hash === undefined ? { name, email, phone, salary } : { name, email, phone, salary, password_hash })
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirst()
    .catch(rethrowDuplicateEmail)
}

/** False when no mechanic has that id. Their ticket assignments go with them (on delete cascade). */
/** Any number of our own: the key of the transaction lock that serializes mechanic deletes. */
const MECHANIC_DELETE_LOCK = 7_201_813

/**
 * Deletes a mechanic unless they are the last one: with nobody left, nobody could manage the shop.
 * Deletes take one transaction lock in turn, so two concurrent deletes of the last two mechanics
 * cannot each see the other still there and leave none (test/last-mechanic.test.ts).
 */
export async function deleteMechanic (db: Kysely<Database>, id: number): Promise<'deleted' | 'missing' | 'last'> {
  // The lock holds until the transaction ends: the caller's, when it runs one (sessions go with it).
  const inTransaction = <T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T> =>
    db.isTransaction ? work(db) : db.transaction().execute(work)
  return await inTransaction(async (trx) => {
    await sql`select pg_advisory_xact_lock(${MECHANIC_DELETE_LOCK})`.execute(trx)
    const exists = await trx.selectFrom('mechanics').select('id').where('id', '=', id).executeTakeFirst()
    if (exists === undefined) return 'missing'
    const another = await trx.selectFrom('mechanics').select('id').where('id', '<>', id).limit(1).executeTakeFirst()
    if (another === undefined) return 'last'
    await trx.deleteFrom('mechanics').where('id', '=', id).execute()
    return 'deleted'
  })
}

/**
 * Creates the configured first mechanic unless a mechanic already has that email (in any case).
 * True when it created one.
 */
export async function ensureBootstrapMechanic (
  db: Kysely<Database>,
  account: BootstrapMechanic,
  hash: (pw: string) => Promise<string>,
): Promise<boolean> {
  // Checked first only to skip the deliberately slow hash on every restart; the insert below
  // is what makes it safe.
  const existing = await db.selectFrom('mechanics').select('id').where(emailIs(account.email)).executeTakeFirst()
  if (existing !== undefined) return false
  const created = await db.insertInto('mechanics')
    .values({ name: account.name, email: account.email, phone: BOOTSTRAP_PHONE, salary: toNumeric(0), password_hash: await hash(account.password) })
    // Several instances may start at once and all pass the check above; the unique index on
    // lower(email) lets exactly one insert win and the others do nothing instead of failing.
    .onConflict((oc) => oc.expression(sql`lower(email)`).doNothing())
    .returning('id')
    .executeTakeFirst()
  return created !== undefined
}
