// What handlers get from the app. Handlers hold no Fastify instance: they can be built and called
// with any implementation of these.
import type { Kysely } from 'kysely'
import type { DatabaseProbe } from '../db/health.js'
import type { Database } from '../db/schema.js'
import type { Sessions } from '../plugins/sessions.js'

interface Passwords {
  hash: (password: string) => Promise<string>
  verify: (password: string, stored: string) => Promise<boolean>
  /** True when a stored hash is not at the current cost: login then replaces it. */
  needsRehash: (stored: string) => boolean
  /** Verified against when an email is unknown, so that costs as much as a wrong password. */
  decoyHash: string
}

/** The hash of a new password, or undefined when an update keeps the old one. */
export const hashIfGiven = async (passwords: Pick<Passwords, 'hash'>, password: string | undefined): Promise<string | undefined> =>
  password === undefined ? undefined : await passwords.hash(password)

export interface Deps {
  db: Kysely<Database>
  /** One round trip to the database, for the health check. */
  probeDatabase: DatabaseProbe
  /** Logins start sessions; refresh, logout and password changes end or renew them. */
  sessions: Sessions
  passwords: Passwords
}
