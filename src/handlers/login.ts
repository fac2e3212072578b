// Login, the same for both roles: checks the password, keeps its hash at the current cost and opens
// the session.
import type { FastifyBaseLogger } from 'fastify'
import { findLoginByEmail, replacePasswordHash } from '../db/accounts.js'
import { loggable, unauthorized } from '../errors.js'
import type { Role, Token } from '../plugins/auth.js'
import type { Deps } from './deps.js'

const WRONG = 'Email or password is wrong.'

/**
 * The account with this email and password, with its hash as it now stands, or a 401. An unknown
 * email still pays for one verification (against the decoy), so timing cannot tell it from a wrong
 * password.
 */
async function authenticate (
  { db, passwords }: Pick<Deps, 'db' | 'passwords'>,
  role: Role,
  { email, password }: { email: string, password: string },
  log: FastifyBaseLogger,
): Promise<{ id: number, passwordHash: string }> {
  const account = await findLoginByEmail(db, role, email)
  const valid = await passwords.verify(password, account?.password_hash ?? passwords.decoyHash)
  if (account === undefined || !valid) throw unauthorized(WRONG)
  if (passwords.needsRehash(account.password_hash)) {
    // The login has succeeded whatever happens here: a failed upgrade is retried at the next one.
    try {
      const upgraded = await passwords.hash(password)
      if (await replacePasswordHash(db, role, account.id, account.password_hash, upgraded)) return { id: account.id, passwordHash: upgraded }
    } catch (err) {
      log.warn({ err: loggable(err), role, id: account.id }, 'could not rehash a password at the current cost')
    }
  }
  return { id: account.id, passwordHash: account.password_hash }
}

/**
 * Both logins: the password checked, then a session opened for the account as it was checked. A
 * delete or password change that lands in between refuses the login like a wrong password.
 */
export async function logIn (
  deps: Pick<Deps, 'db' | 'passwords' | 'sessions'>,
  role: Role,
  credentials: { email: string, password: string },
  log: FastifyBaseLogger,
): Promise<Token> {
  const { id, passwordHash } = await authenticate(deps, role, credentials, log)
  const token = await deps.sessions.start(role, id, passwordHash)
  if (token === undefined) throw unauthorized(WRONG)
  return token
}
