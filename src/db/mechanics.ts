// Every query on mechanics. password_hash is written here but read back only by the login lookup,
// and ticket_count is only ever read: triggers on service_mechanics maintain it.
import { sql, type ExpressionBuilder, type Kysely } from 'kysely'
import { conflict } from '../errors.js'
import { toNumeric } from '../lib/money.js'
import { offsetOf, type PageRequest } from '../lib/pagination.js'
import { countRows, inPageOrder, planPage, type Page } from './paging.js'
import { isUniqueViolation } from './pg-errors.js'
import type { Database, MechanicRow } from './schema.js'

const COLUMNS = ['id', 'name', 'email', 'phone', 'salary'] as const
const RANKED_COLUMNS = [...COLUMNS, 'ticket_count'] as const

export type MechanicRecord = Pick<MechanicRow, (typeof COLUMNS)[number]>
export type RankedMechanicRecord = Pick<MechanicRow, (typeof RANKED_COLUMNS)[number]>
export type MechanicLogin = Pick<MechanicRow, 'id' | 'password_hash'>

/** `salary` is the API's number; it is written as two-decimal text so no float meets the numeric column. */
export interface MechanicValues { name: string, email: string, phone: string, salary: number, password_hash: string }
/** A full replacement of the details; the password changes only when a new hash is given. */
export interface MechanicChanges { name: string, email: string, phone: string, salary: number, password_hash?: string | undefined }

export interface BootstrapMechanic { email: string, password: string, name: string }
/** The bootstrap account has no real phone; this placeholder satisfies the contract's Phone pattern. */
const BOOTSTRAP_PHONE = '000-000-0000'

// Both sides go through SQL's lower() (not JS toLowerCase, which differs outside ASCII) so the
// comparison is exactly the one the unique index on lower(email) enforces, and can use it.
const emailIs = (email: string) => (eb: ExpressionBuilder<Database, 'mechanics'>) =>
  eb(eb.fn<string>('lower', ['email']), '=', eb.fn<string>('lower', [eb.val(email)]))

function rethrowDuplicateEmail (err: unknown): never {
  if (isUniqueViolation(err, 'mechanics_email_key')) throw conflict('A mechanic with this email already exists.')
  throw err
}

export async function insertMechanic (db: Kysely<Database>, values: MechanicValues): Promise<MechanicRecord> {
  const { name, email, phone, salary, password_hash } = values
  try {
    return await db.insertInto('mechanics')
      .values({ name, email, phone, salary: toNumeric(salary), password_hash })
      .returning(COLUMNS)
      .executeTakeFirstOrThrow()
  } catch (err) {
    return rethrowDuplicateEmail(err)
  }
}

export async function findMechanicById (db: Kysely<Database>, id: number): Promise<MechanicRecord | undefined> {
  return await db.selectFrom('mechanics').select(COLUMNS).where('id', '=', id).executeTakeFirst()
}

/** The login lookup: the one read of password_hash. */
export async function findMechanicLoginByEmail (db: Kysely<Database>, email: string): Promise<MechanicLogin | undefined> {
  return await db.selectFrom('mechanics').select(['id', 'password_hash']).where(emailIs(email)).executeTakeFirst()
}

/** One page, oldest first, and the size of the whole list. */
export async function listMechanics (db: Kysely<Database>, page: PageRequest): Promise<Page<MechanicRecord>> {
  const total = await countRows(db, 'mechanics')
  const plan = planPage(total, page)
  if (plan === undefined) return { rows: [], total }
  const rows = await db.selectFrom('mechanics').select(COLUMNS)
    .orderBy('id', plan.direction).limit(plan.limit).offset(plan.offset).execute()
  return { rows: inPageOrder(rows, plan), total }
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
  try {
    return await db.updateTable('mechanics')
      .set(password_hash === undefined ? { name, email, phone, salary } : { name, email, phone, salary, password_hash })
      .where('id', '=', id)
      .returning(COLUMNS)
      .executeTakeFirst()
  } catch (err) {
    return rethrowDuplicateEmail(err)
  }
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
  return await db.transaction().execute(async (trx) => {
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
