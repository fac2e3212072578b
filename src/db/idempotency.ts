// Idempotency keys in PostgreSQL, so they survive restarts and every instance sees the same ones.
// A key is claimed at the start of the transaction that makes the change and completed with the
// answer before that transaction commits: the answer and the change commit (or vanish) together.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { Database } from './schema.js'

/** How long a key's answer is kept (API.md: at least 24 hours). */
const KEY_RETENTION_HOURS = 24

/**
 * The first key of pg_try_advisory_xact_lock's two-int form: keeps these locks apart from any
 * other advisory lock the app or a tool takes. (ASCII "idem".)
 */
const LOCK_NAMESPACE = 0x6964656d

export interface KeyRef { scope: string, route: string, key: string }

export interface StoredAnswer {
  status: number
  headers: Record<string, string>
  body: unknown
}

export type Claim =
  /** Another transaction holds this key right now. */
  | { kind: 'busy' }
  /** An answer is stored for this key. */
  | { kind: 'stored', fingerprint: string, answer: StoredAnswer }
  /** This transaction holds the key; `id` is its row, to complete before commit. */
  | { kind: 'claimed', id: number }

/**
 * Claims a key in `trx`. A transaction-scoped advisory lock says whether another request with the
 * key is still running (it never waits for one); holding it, the stored answer is read, or the
 * row inserted. The lock is released when `trx` ends, after its row is visible, so the next
 * request with the key finds either the committed answer or no row at all.
 */
// The lock is taken on a 32-bit hash of the key: two different keys that collide and run at the
// same moment make the later one answer 409 and be retried, which costs a retry and never a
// double effect (the row's unique key still decides what is stored).
export async function claimKey (trx: Transaction<Database>, ref: KeyRef, fingerprint: string): Promise<Claim> {
  const lock = `${ref.scope}\n${ref.route}\n${ref.key}`
  const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${lock})) as locked`.execute(trx)
  if (rows[0]?.locked !== true) return { kind: 'busy' }

  const existing = await trx.selectFrom('idempotency_keys')
    .select(['id', 'fingerprint', 'status', 'headers', 'body', sql<boolean>`expires_at <= now()`.as('expired')])
    .where('scope', '=', ref.scope).where('route', '=', ref.route).where('key', '=', ref.key)
    .executeTakeFirst()
  if (existing !== undefined && !existing.expired && existing.status !== null) {
    return { kind: 'stored', fingerprint: existing.fingerprint, answer: { status: existing.status, headers: existing.headers ?? {}, body: existing.body } }
  }
  // Expired (not yet swept): the key is free again.
  if (existing !== undefined) await trx.deleteFrom('idempotency_keys').where('id', '=', existing.id).execute()

  const row = await trx.insertInto('idempotency_keys')
    .values({ ...ref, fingerprint, expires_at: sql<Date>`now() + make_interval(hours => ${KEY_RETENTION_HOURS})` })
    .returning('id')
    .executeTakeFirstOrThrow()
  return { kind: 'claimed', id: row.id }
}

/** Stores the answer on the claimed row, in the transaction that claimed it. */
export async function completeKey (trx: Transaction<Database>, id: number, answer: StoredAnswer): Promise<void> {
  await trx.updateTable('idempotency_keys')
    .set({
      status: answer.status,
      headers: JSON.stringify(answer.headers),
      body: answer.body === undefined ? null : JSON.stringify(answer.body),
    })
    .where('id', '=', id)
    .execute()
}

/**
 * Deletes up to `batch` expired keys; returns how many it deleted. SKIP LOCKED lets several
 * instances sweep at once without waiting on each other or on a key being reclaimed.
 */
export async function sweepExpiredKeys (db: Kysely<Database>, batch = 1000): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys')
    .where('id', 'in', (eb) => eb.selectFrom('idempotency_keys').select('id')
      .where('expires_at', '<=', sql<Date>`now()`)
      .orderBy('expires_at').limit(batch)
      .forUpdate().skipLocked())
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}
