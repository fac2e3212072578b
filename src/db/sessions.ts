// Every query on sessions and refresh tokens. A session ends by deleting its row (its refresh tokens
// go with it); callers that answer "which sessions ended" get their ids back, to tell the other
// instances. Refresh tokens arrive here as digests only: the values never reach the database.
import { sql, type Kysely } from 'kysely'
import type { Database } from './schema.js'

type SessionRole = 'customer' | 'mechanic'

export interface SessionAccount { role: SessionRole, id: number }

const ACCOUNT_COLUMN = { customer: 'customer_id', mechanic: 'mechanic_id' } as const
const ACCOUNT_TABLE = { customer: 'customers', mechanic: 'mechanics' } as const

/** `now() + ttl`, computed by the database so every instance's clock agrees with the sweeper's. */
const inSeconds = (seconds: number) => sql<Date>`now() + make_interval(secs => ${seconds})`

/**
 * Starts a session for an account with its first refresh token; both or neither are written. The
 * account must still have the password hash the login verified, and its row is share-locked until
 * the session is in: a delete or a password change, which lock the row before ending the account's
 * sessions (deleteAccountSessions), either waits for this session and ends it too, or goes first,
 * and then this login is refused (false) instead of opening a session nobody would end.
 */
export async function insertSession (db: Kysely<Database>, id: string, account: SessionAccount, verifiedHash: string, tokenHash: string, ttlSeconds: number): Promise<boolean> {
  return await db.transaction().execute(async (trx) => {
    const unchanged = await trx.selectFrom(ACCOUNT_TABLE[account.role]).select('id')
      .where('id', '=', account.id)
      .where('password_hash', '=', verifiedHash)
      .forShare()
      .executeTakeFirst()
    if (unchanged === undefined) return false
    await trx.insertInto('sessions')
      .values({ id, [ACCOUNT_COLUMN[account.role]]: account.id, expires_at: inSeconds(ttlSeconds) })
      .execute()
    await trx.insertInto('refresh_tokens')
      .values({ token_hash: tokenHash, session_id: id, expires_at: inSeconds(ttlSeconds) })
      .execute()
    return true
  })
}

export type Rotation =
  | { outcome: 'rotated', sessionId: string, account: SessionAccount }
  /** The token had been spent before: its session has just been ended. */
  | { outcome: 'reused', sessionId: string }
  /** Unknown, expired, or of a session that has ended. */
  | { outcome: 'invalid' }

/**
 * Spends a refresh token and gives its session a new one, or tells why not. The spend is one
 * conditional update (`spent_at is null`): of two requests racing with one token, PostgreSQL lets
 * exactly one set it; the other, once the first commits, finds it spent and ends the session, as
 * RFC 9700 §4.14.2 asks of a replayed token. test/sessions.test.ts races real requests on PostgreSQL.
 */
export async function rotateRefreshToken (db: Kysely<Database>, presentedHash: string, freshHash: string, ttlSeconds: number): Promise<Rotation> {
  return await db.transaction().execute(async (trx): Promise<Rotation> => {
    const spent = await trx.updateTable('refresh_tokens')
      .set({ spent_at: sql<Date>`now()` })
      .where('token_hash', '=', presentedHash)
      .where('spent_at', 'is', null)
      .where('expires_at', '>', sql<Date>`now()`)
      .returning('session_id')
      .executeTakeFirst()
    if (spent !== undefined) {
      const session = await trx.updateTable('sessions')
        .set({ expires_at: inSeconds(ttlSeconds) })
        .where('id', '=', spent.session_id)
        .returning(['customer_id', 'mechanic_id'])
        .executeTakeFirstOrThrow() // the token's foreign key keeps its session
      await trx.insertInto('refresh_tokens')
        .values({ token_hash: freshHash, session_id: spent.session_id, expires_at: inSeconds(ttlSeconds) })
        .execute()
      const account: SessionAccount = session.customer_id !== null
        ? { role: 'customer', id: session.customer_id }
        : { role: 'mechanic', id: session.mechanic_id as number }
      return { outcome: 'rotated', sessionId: spent.session_id, account }
    }
    const replayed = await trx.selectFrom('refresh_tokens')
      .select('session_id')
      .where('token_hash', '=', presentedHash)
      .where('spent_at', 'is not', null)
      .executeTakeFirst()
    if (replayed === undefined) return { outcome: 'invalid' }
    await trx.deleteFrom('sessions').where('id', '=', replayed.session_id).execute()
    return { outcome: 'reused', sessionId: replayed.session_id }
  })
}

/** True when the session existed (and has now ended). */
export async function deleteSession (db: Kysely<Database>, id: string): Promise<boolean> {
  const result = await db.deleteFrom('sessions').where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** Ends every session of an account except `keep` (when given); returns the ended sessions' ids. */
export async function deleteAccountSessions (db: Kysely<Database>, account: SessionAccount, keep?: string): Promise<string[]> {
  // The account row first: a login opening a session holds it share-locked (insertSession), so its
  // session is either in before this delete looks, or refused after this transaction commits.
  await db.selectFrom(ACCOUNT_TABLE[account.role]).select('id').where('id', '=', account.id).forUpdate().execute()
  let query = db.deleteFrom('sessions').where(ACCOUNT_COLUMN[account.role], '=', account.id)
  if (keep !== undefined) query = query.where('id', '<>', keep)
  const rows = await query.returning('id').execute()
  return rows.map((row) => row.id)
}

/**
 * When the session, of exactly this account, stops being valid (its expiry, in ms since the
 * epoch), or undefined when it has ended or expired.
 */
export async function liveSessionUntil (db: Kysely<Database>, id: string, account: SessionAccount): Promise<number | undefined> {
  const row = await db.selectFrom('sessions')
    .select('expires_at')
    .where('id', '=', id)
    .where(ACCOUNT_COLUMN[account.role], '=', account.id)
    .where('expires_at', '>', sql<Date>`now()`)
    .executeTakeFirst()
  return row?.expires_at.getTime()
}

/** Rows one sweep statement deletes at most: short statements, short locks. */
const SWEEP_BATCH = 1000

/**
 * Deletes expired sessions and expired refresh tokens, in batches. Several instances may sweep at
 * once: `skip locked` hands each batch of rows to one of them, and the others move on.
 * Returns how many sessions it ended.
 */
export async function sweepExpired (db: Kysely<Database>): Promise<number> {
  let sessions = 0
  for (;;) {
    const result = await db.deleteFrom('sessions')
      .where('id', 'in', (eb) => eb.selectFrom('sessions').select('id')
        .where('expires_at', '<=', sql<Date>`now()`).limit(SWEEP_BATCH).forUpdate().skipLocked())
      .executeTakeFirst()
    sessions += Number(result.numDeletedRows)
    if (result.numDeletedRows < BigInt(SWEEP_BATCH)) break
  }
  for (;;) {
    const result = await db.deleteFrom('refresh_tokens')
      .where('token_hash', 'in', (eb) => eb.selectFrom('refresh_tokens').select('token_hash')
        .where('expires_at', '<=', sql<Date>`now()`).limit(SWEEP_BATCH).forUpdate().skipLocked())
      .executeTakeFirst()
    if (result.numDeletedRows < BigInt(SWEEP_BATCH)) break
  }
  return sessions
}
