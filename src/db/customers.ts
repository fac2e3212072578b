// Every query on customers. password_hash is written here but read back only by the login lookup
// (accounts.ts):
// the other reads select the public columns, so a hash cannot reach a response by accident.
import type { Kysely } from 'kysely'
import type { PageRequest } from '../lib/pagination.js'
import { byPlan, listPage, type Page } from './paging.js'
import { DuplicateValue, isUniqueViolation, rethrowStillReferenced } from './pg-errors.js'
import type { CustomerRow, Database } from './schema.js'

const COLUMNS = ['id', 'name', 'email', 'phone'] as const

export type CustomerRecord = Pick<CustomerRow, (typeof COLUMNS)[number]>

export interface CustomerValues { name: string, email: string, phone: string, password_hash: string }
/** A full replacement of the details; the password changes only when a new hash is given. */
export interface CustomerChanges { name: string, email: string, phone: string, password_hash?: string | undefined }

function rethrowDuplicateEmail (err: unknown): never {
  if (isUniqueViolation(err, 'customers_email_key')) throw new DuplicateValue('email', 'A customer with this email already exists.')
  throw err
}

export async function insertCustomer (db: Kysely<Database>, values: CustomerValues): Promise<CustomerRecord> {
  const { name, email, phone, password_hash } = values
  return await db.insertInto('customers')
    .values({ name, email, phone, password_hash })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow()
    .catch(rethrowDuplicateEmail)
}

export async function findCustomerById (db: Kysely<Database>, id: number): Promise<CustomerRecord | undefined> {
  return await db.selectFrom('customers').select(COLUMNS).where('id', '=', id).executeTakeFirst()
}

/** One page, oldest first, and the size of the whole list. */
export async function listCustomers (db: Kysely<Database>, page: PageRequest): Promise<Page<CustomerRecord>> {
  return await listPage(db, 'customers', page, (plan) => db.selectFrom('customers').select(COLUMNS).$call(byPlan(plan)).execute())
}

/** Undefined when no customer has that id. */
export async function updateCustomer (db: Kysely<Database>, id: number, changes: CustomerChanges): Promise<CustomerRecord | undefined> {
  const { name, email, phone, password_hash } = changes
  return await db.updateTable('customers')
    .set(password_hash === undefined ? { name, email, phone } : { name, email, phone, password_hash })
    .where('id', '=', id)
    .returning(COLUMNS)
    .executeTakeFirst()
    .catch(rethrowDuplicateEmail)
}

/** False when no customer has that id; a customer with tickets is kept by the foreign key (409). */
export async function deleteCustomer (db: Kysely<Database>, id: number): Promise<boolean> {
  const result = await db.deleteFrom('customers').where('id', '=', id).executeTakeFirst()
    .catch(rethrowStillReferenced('service_tickets_customer_id_fkey', 'The customer still has service tickets.'))
  return result.numDeletedRows > 0n
}
