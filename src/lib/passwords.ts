// Password hashing with node:crypto scrypt. The async form runs on libuv's thread pool, so a login
// storm does not stall the event loop. Stored as `scrypt$N$r$p$salt$hash` so the cost can be raised
// later without breaking existing hashes.
import { availableParallelism } from 'node:os'
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { limitConcurrency } from './concurrency.js'

const KEY_LENGTH = 32
const SALT_LENGTH = 16

export interface ScryptCost { N: number, r: number, p: number }
/**
 * OWASP's minimum for scrypt (Password Storage Cheat Sheet): N=2^17, r=8, p=1. Each hash takes
 * 128·N·r = 128 MiB in one allocation, which glibc maps for the hash and unmaps right after (it is
 * above the 32 MiB ceiling of glibc's dynamic mmap threshold), so logins leave no memory behind;
 * the one-slot-per-core rule below bounds how much they take at once.
 */
export const DEFAULT_COST: ScryptCost = { N: 2 ** 17, r: 8, p: 1 }

/**
 * A hash is CPU-bound and holds its 128 MiB while it runs. One core is left to the event loop, so
 * requests keep flowing during a login storm, and each other core runs one hash (one in all on one
 * or two cores: at most 128 MiB on top of the rest). The others wait their turn, off the event loop.
 */
export const hashSlotsFor = (cores: number): number => Math.max(1, cores - 1)
/**
 * How many hashes may wait for a slot, per slot: a few seconds of hashing on an idle core. Past it
 * a login, sign-up or password change is refused at once (503 with retry-after) instead of waiting
 * behind a flood. Each client address has at most one hash request in flight (src/plugins/hashing.ts).
 */
export const WAITING_HASHES_PER_SLOT = 8
const slots = hashSlotsFor(availableParallelism())
const hashSlots = limitConcurrency(slots, WAITING_HASHES_PER_SLOT * slots)

function scrypt (password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  // Node's default maxmem (32 MiB) refuses N=2^17; twice the 128·N·r the hash needs.
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r }
  return hashSlots(() => new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) => err ? reject(err) : resolve(key))
  }))
}

export async function hashPassword (password: string, cost: ScryptCost = DEFAULT_COST): Promise<string> {
  const salt = randomBytes(SALT_LENGTH)
  const key = await scrypt(password, salt, cost)
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}

export async function verifyPassword (password: string, stored: string): Promise<boolean> {
  const [scheme, N, r, p, salt, key] = stored.split('$')
  if (scheme !== 'scrypt' || salt === undefined || key === undefined) return false
  const expected = Buffer.from(key, 'base64url')
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), { N: Number(N), r: Number(r), p: Number(p) })
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/**
 * Whether a stored hash was made at another cost than `cost`, or by another scheme. Login rehashes
 * such a password while it has it in hand: the only moment the server ever does. Until then the
 * account verifies at its old cost, which timing can tell from the decoy's.
 */
export function needsRehash (stored: string, cost: ScryptCost = DEFAULT_COST): boolean {
  const [scheme, N, r, p] = stored.split('$')
  return scheme !== 'scrypt' || Number(N) !== cost.N || Number(r) !== cost.r || Number(p) !== cost.p
}

/**
 * A hash of a random password, made once: login verifies against it when the email is unknown,
 * so an unknown email costs the same work as a wrong password and timing reveals nothing.
 */
export function createDecoyHash (cost: ScryptCost = DEFAULT_COST): Promise<string> {
  return hashPassword(randomBytes(24).toString('base64url'), cost)
}
