// What customers and mechanics have in common as accounts: an email to log in with and a password
// hash.
import type { ExpressionBuilder, Kysely } from 'kysely'
import type { Database } from './schema.js'

const TABLE_OF_ROLE = { customer: 'customers', mechanic: 'mechanics' } as const

/** The login lookup: the one read of password_hash. */
export async function findLoginByEmail (db: Kysely<Database>, role: keyof typeof TABLE_OF_ROLE, email: string): Promise<{ id: number, password_hash: string } | undefined> {
  return await db.selectFrom(TABLE_OF_ROLE[role]).select(['id', 'password_hash']).where(emailIs(email)).executeTakeFirst()
}

/**
 * Replaces an account's password hash only if it is still `current`: a password changed since it
 * was read is never overwritten by the rehash of the old one. True when the row was updated.
 */
export async function replacePasswordHash (db: Kysely<Database>, role: keyof typeof TABLE_OF_ROLE, id: number, current: string, replacement: string): Promise<boolean> {
  const result = await db.updateTable(TABLE_OF_ROLE[role]).set({ password_hash: replacement })
    .where('id', '=', id).where('password_hash', '=', current).executeTakeFirst()
  return result.numUpdatedRows === 1n
}

/**
 * The account with this email, in any case. Both sides go through SQL's lower() (not JS
 * toLowerCase, which differs outside ASCII), so the comparison is exactly the one the unique index
 * on lower(email) enforces, and can use it.
 */
export const emailIs = (email: string) => <T extends (typeof TABLE_OF_ROLE)[keyof typeof TABLE_OF_ROLE]>(eb: ExpressionBuilder<Database, T>) =>
  eb(eb.fn<string>('lower', [eb.ref('email')]), '=', eb.fn<string>('lower', [eb.val(email)]))
