import type { Kysely } from 'kysely'
import type { Database } from './schema.js'

const TABLE_OF_ROLE = { customer: 'customers', mechanic: 'mechanics' } as const

/** Whether the account a token names still exists: a deleted account's tokens must stop working. */
export async function accountExists (db: Kysely<Database>, role: keyof typeof TABLE_OF_ROLE, id: number): Promise<boolean> {
  const row = await db.selectFrom(TABLE_OF_ROLE[role]).select('id').where('id', '=', id).executeTakeFirst()
  return row !== undefined
}
