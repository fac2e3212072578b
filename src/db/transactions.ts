// Repositories that need several statements to be atomic run them through inTransaction, so the
// same function works on its own and inside a caller's transaction (an x-idempotent handler's,
// which the idempotency mechanism opened). Kysely refuses to nest transaction().
import type { Kysely, Transaction } from 'kysely'
import type { Database } from './schema.js'

export async function inTransaction<T> (db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? await work(db as Transaction<Database>) : await db.transaction().execute(work)
}
