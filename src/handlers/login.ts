// Login, the same for both roles: checks the password and keeps its hash at the current cost.
import type { FastifyBaseLogger } from 'fastify'
import { findLoginByEmail, replacePasswordHash } from '../db/accounts.js'
import { loggable, unauthorized } from '../errors.js'
import type { Role } from '../plugins/auth.js'
import type { Deps } from './deps.js'

/**
 * The id of the account with this email and password, or a 401. An unknown email still pays for one
 * verification (against the decoy), so timing cannot tell it from a wrong password.
 */
export async function authenticate (
  { db, passwords }: Pick<Deps, 'db' | 'passwords'>,
  role: Role,
  { email, password }: { email: string, password: string },
  log: FastifyBaseLogger,
): Promise<number> {
  const account = await findLoginByEmail(db, role, email)
  const valid = await passwords.verify(password, account?.password_hash ?? passwords.decoyHash)
  if (account === undefined || !valid) throw unauthorized('Email or password is wrong.')
  if (passwords.needsRehash(account.password_hash)) {
    // The login has succeeded whatever happens here: a failed upgrade is retried at the next one.
    try {
      await replacePasswordHash(db, role, account.id, account.password_hash, await passwords.hash(password))
    } catch (err) {
      log.warn({ err: loggable(err), role, id: account.id }, 'could not rehash a password at the current cost')
    }
  }
  return account.id
}
