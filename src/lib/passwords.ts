// Password hashing: argon2id through @node-rs/argon2, whose hash and verify run on libuv's thread
// pool, so a login storm does not stall the event loop. New hashes are PHC strings
// (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) that carry their own cost, so the cost can be raised
// later without breaking existing hashes. Hashes stored as `scrypt$N$r$p$salt$hash` (node:crypto
// scrypt, at any cost) still verify and are replaced at the next login (src/handlers/login.ts).
import { availableParallelism } from 'node:os'
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { hash as argon2Hash, verify as argon2Verify, type Algorithm } from '@node-rs/argon2'
import { limitConcurrency } from './concurrency.js'

/** `Algorithm.Argon2id`: the package declares the enum `const`, which verbatimModuleSyntax cannot read. */
const ARGON2ID: Algorithm = 2

/** argon2id's cost: memory in KiB, passes over it, lanes. */
export interface Argon2Cost { memoryCost: number, timeCost: number, parallelism: number }
/**
 * OWASP's minimum for argon2id (Password Storage Cheat Sheet): m=19 MiB, t=2, p=1. The addon's
 * allocator (mimalloc) gives the 19 MiB back once the hash is done, so logins leave no memory
 * behind; the one-slot-per-core rule below bounds how much they take at once.
 */
export const DEFAULT_COST: Argon2Cost = { memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 }

/** The cost of a hash stored by node:crypto scrypt, which the server verifies but no longer makes. */
export interface ScryptCost { N: number, r: number, p: number }
const SCRYPT_KEY_LENGTH = 32
const SCRYPT_SALT_LENGTH = 16

/**
 * A hash is CPU-bound and holds its memory while it runs. One core is left to the event loop, so
 * requests keep flowing during a login storm, and each other core runs one hash (one in all on one
 * or two cores). The others wait their turn, off the event loop. Each slot is a task handed to the
 * thread pool, so the slots, not the pool's size, bound how many hashes run at once.
 */
export const hashSlotsFor = (cores: number): number => Math.max(1, cores - 1)
/**
 * How many hashes may wait for a slot, per slot. Past it a login, sign-up or password change is
 * refused at once (503 with retry-after) instead of waiting behind a flood. Each client address has
 * at most one hash request in flight (src/plugins/hashing.ts).
 */
export const WAITING_HASHES_PER_SLOT = 8
const slots = hashSlotsFor(availableParallelism())
const hashSlots = limitConcurrency(slots, WAITING_HASHES_PER_SLOT * slots)

// The same text typed two ways (a precomposed é or e + combining accent) is the same password.
const normalized = (password: string): string => password.normalize('NFKC')

export function hashPassword (password: string, cost: Argon2Cost = DEFAULT_COST): Promise<string> {
  return hashSlots(() => argon2Hash(normalized(password), { algorithm: ARGON2ID, ...cost }))
}

export async function verifyPassword (password: string, stored: string): Promise<boolean> {
  if (stored.startsWith('$argon2')) {
    // A malformed PHC string is refused by the addon: it verifies nothing. A full queue still throws.
    return hashSlots(() => argon2Verify(stored, normalized(password)).catch(() => false))
  }
  const [scheme, N, r, p, salt, key] = stored.split('$')
  if (scheme !== 'scrypt' || salt === undefined || key === undefined) return false
  const expected = Buffer.from(key, 'base64url')
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), { N: Number(N), r: Number(r), p: Number(p) })
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/** The parameters of a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`), by name. */
function phcParameters (stored: string): { scheme: string, params: Map<string, string> } {
  const [, scheme = '', ...fields] = stored.split('$')
  const params = new Map<string, string>()
  for (const field of fields.slice(0, 2)) {
    for (const pair of field.split(',')) {
      const [name, value] = pair.split('=')
      if (name !== undefined && value !== undefined) params.set(name, value)
    }
  }
  return { scheme, params }
}

/**
 * Whether a stored hash was made by another scheme (scrypt) or at another cost than `cost`. Login
 * rehashes such a password while it has it in hand: the only moment the server ever does. Until
 * then the account verifies at its old cost, which timing can tell from the decoy's.
 */
export function needsRehash (stored: string, cost: Argon2Cost = DEFAULT_COST): boolean {
  const { scheme, params } = phcParameters(stored)
  return scheme !== 'argon2id' || params.get('v') !== '19' ||
    params.get('m') !== String(cost.memoryCost) || params.get('t') !== String(cost.timeCost) || params.get('p') !== String(cost.parallelism)
}

/**
 * A hash of a random password, made once: login verifies against it when the email is unknown,
 * so an unknown email costs the same work as a wrong password and timing reveals nothing.
 */
export function createDecoyHash (cost: Argon2Cost = DEFAULT_COST): Promise<string> {
  return hashPassword(randomBytes(24).toString('base64url'), cost)
}

function scrypt (password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  // Node's default maxmem (32 MiB) refuses N=2^17; twice the 128·N·r the hash needs.
  const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r }
  return hashSlots(() => new Promise((resolve, reject) => {
    scryptCallback(normalized(password), salt, SCRYPT_KEY_LENGTH, options, (err, key) => err ? reject(err) : resolve(key))
  }))
}

/**
 * A hash in the scrypt format the server stored before argon2id, at `cost`: what accounts created
 * then still hold. Only tests make these, to show that such accounts log in and are upgraded.
 */
export async function scryptHash (password: string, cost: ScryptCost): Promise<string> {
  const salt = randomBytes(SCRYPT_SALT_LENGTH)
  const key = await scrypt(password, salt, cost)
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), key.toString('base64url')].join('$')
}
