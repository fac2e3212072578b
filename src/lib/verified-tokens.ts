// Tokens whose signature and claims were checked, by the exact token string, until their `exp`.
// fast-jwt has such a cache, but keys it by a SHA-256 of the token: hashing every request's token
// costs 8-9 % of an authenticated cache hit, more than the rest of the token check. A Map keyed by
// the string itself needs no digest and cannot confuse two tokens (equal keys are equal tokens).
import { BoundedMap } from './bounded-map.js'

/** What the cache needs of verified claims: when they stop being valid (JWT `exp`, in seconds). */
export interface ExpiringClaims { readonly exp: number }

export class VerifiedTokens<Claims extends ExpiringClaims> {
  readonly #entries: BoundedMap<string, { claims: Readonly<Claims>, until: number }>

  /** maxAgeMs bounds how long a token is trusted without a fresh check, whatever its `exp`. */
  constructor (maxEntries = 1000, readonly maxAgeMs = 10 * 60_000) {
    this.#entries = new BoundedMap(maxEntries)
  }

  /** The claims of a token checked before and not yet expired, or undefined (check it in full). */
  get (token: string, now = Date.now()): Readonly<Claims> | undefined {
    const entry = this.#entries.get(token)
    if (entry === undefined) return undefined
    if (now >= entry.until) {
      this.#entries.delete(token)
      return undefined
    }
    return entry.claims
  }

  /** Remembers a token that has just passed every check. Its claims are shared: frozen. */
  remember (token: string, claims: Claims, now = Date.now()): Readonly<Claims> {
    const frozen = Object.freeze(claims)
    this.#entries.delete(token)
    // An `exp` that is not a number would never expire here: such a token is not remembered.
    if (!Number.isFinite(claims.exp)) return frozen
    this.#entries.set(token, { claims: frozen, until: Math.min(claims.exp * 1000, now + this.maxAgeMs) })
    return frozen
  }
}
