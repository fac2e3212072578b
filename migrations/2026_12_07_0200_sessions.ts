// Sessions (API.md Part 4): one row per login, and the refresh tokens issued to it, kept only as
// SHA-256 digests. A session ends by deleting its row; its refresh tokens go with it (cascade), and
// so does every session of a deleted account. Spent refresh tokens stay until they expire, so a
// replayed one is recognised (reuse detection) rather than merely unknown.
import { sql, type Kysely } from 'kysely'

export async function up (db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sessions')
    .addColumn('id', 'uuid', (col) => col.primaryKey())
    .addColumn('customer_id', 'integer', (col) => col.references('customers.id').onDelete('cascade'))
    .addColumn('mechanic_id', 'integer', (col) => col.references('mechanics.id').onDelete('cascade'))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    // The expiry of the session's newest refresh token: past it, nothing of the session works.
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    .addCheckConstraint('sessions_one_account_check', sql`num_nonnulls(customer_id, mechanic_id) = 1`)
    .execute()
  await db.schema.createIndex('sessions_customer_id_idx').on('sessions').column('customer_id').where('customer_id', 'is not', null).execute()
  await db.schema.createIndex('sessions_mechanic_id_idx').on('sessions').column('mechanic_id').where('mechanic_id', 'is not', null).execute()
  await db.schema.createIndex('sessions_expires_at_idx').on('sessions').column('expires_at').execute()

  await db.schema
    .createTable('refresh_tokens')
    // base64url of the SHA-256 of the token: 43 characters.
    .addColumn('token_hash', 'text', (col) => col.primaryKey().check(sql`length(token_hash) = 43`))
    .addColumn('session_id', 'uuid', (col) => col.notNull().references('sessions.id').onDelete('cascade'))
    .addColumn('expires_at', 'timestamptz', (col) => col.notNull())
    // Null while the token may be exchanged; set once, by the one conditional update that spends it.
    .addColumn('spent_at', 'timestamptz')
    .execute()
  await db.schema.createIndex('refresh_tokens_session_id_idx').on('refresh_tokens').column('session_id').execute()
  await db.schema.createIndex('refresh_tokens_expires_at_idx').on('refresh_tokens').column('expires_at').execute()
}

export async function down (db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('refresh_tokens').execute()
  await db.schema.dropTable('sessions').execute()
}
