// Sessions after login: refreshing a session's tokens and logging out, for both roles; and the one
// rule account writes share, that a new password or a deleted account ends the account's sessions.
import type { Kysely } from 'kysely'
import type { Handlers } from '../../generated/handlers.js'
import { deleteAccountSessions, type SessionAccount } from '../db/sessions.js'
import type { Database } from '../db/schema.js'
import { unauthorized } from '../errors.js'
import { callerSession } from '../plugins/auth.js'
import type { Deps } from './deps.js'

type SessionHandlers = Pick<Handlers, 'refreshSession' | 'endSession'>

export function sessionHandlers ({ sessions }: Deps): SessionHandlers {
  return {
    async refreshSession (req) {
      const { token, reused } = await sessions.refresh(req.body.refresh_token)
      if (reused) throw unauthorized('This refresh token was used before, so its session has ended: log in again.')
      if (token === undefined) throw unauthorized('The refresh token is unknown, expired or of a session that has ended.')
      return { status: 200, body: token }
    },

    async endSession (req) {
      await sessions.end(callerSession(req))
      return { status: 204 }
    },
  }
}

export interface SessionEnding {
  /** The account whose sessions end. */
  account: SessionAccount
  /** The session that survives (the caller's own, when the caller is the account), if any. */
  keep?: string | undefined
}

/**
 * Runs an account write and ends the account's sessions in the same transaction, so a refused
 * write ends none; then tells every instance. `ending` undefined: a plain write, ending nothing.
 */
export async function writeEndingSessions<T> (
  { db, sessions }: Pick<Deps, 'db' | 'sessions'>,
  ending: SessionEnding | undefined,
  write: (db: Kysely<Database>) => Promise<T>,
): Promise<T> {
  if (ending === undefined) return await write(db)
  const { result, ended } = await db.transaction().execute(async (trx) => {
    // Sessions first: deleting the account would take them with it (cascade) and hide their ids.
    const ended = await deleteAccountSessions(trx, ending.account, ending.keep)
    return { result: await write(trx), ended }
  })
  await sessions.ended(ended)
  return result
}
