// Password hashes: argon2id at the current cost; scrypt hashes stored before it, at any cost, still verify.
import t from 'tap'
import { createDecoyHash, DEFAULT_COST, hashPassword, hashSlotsFor, needsRehash, scryptHash, verifyPassword } from '../src/lib/passwords.js'

/** A PHC argon2id string at OWASP's minimum: m=19 MiB (19456 KiB), t=2, p=1, 16-byte salt, 32-byte hash. */
const CURRENT = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/

t.test('a hash is argon2id at m=19 MiB, t=2, p=1 in PHC form, and verifies its password and no other', async (t) => {
  const stored = await hashPassword('correct horse battery staple')
  t.match(stored, CURRENT, "OWASP's minimum for argon2id")
  t.same(DEFAULT_COST, { memoryCost: 19456, timeCost: 2, parallelism: 1 })
  t.equal(await verifyPassword('correct horse battery staple', stored), true)
  t.equal(await verifyPassword('correct horse battery stapler', stored), false)
  t.not(await hashPassword('correct horse battery staple'), stored, 'salted: the same password hashes differently')
})

t.test('the decoy that unknown emails verify against is an argon2id hash at the current cost', async (t) => {
  const decoy = await createDecoyHash()
  t.match(decoy, CURRENT)
  t.equal(needsRehash(decoy), false)
})

t.test('a scrypt hash, at the cost stored before argon2id or an earlier one, still verifies and needs a rehash', async (t) => {
  for (const N of [2 ** 14, 2 ** 15, 2 ** 17]) {
    const earlier = await scryptHash('hunter2-hunter2', { N, r: 8, p: 1 })
    t.match(earlier, new RegExp(`^scrypt\\$${N}\\$8\\$1\\$`))
    t.equal(await verifyPassword('hunter2-hunter2', earlier), true)
    t.equal(await verifyPassword('hunter3-hunter3', earlier), false)
    t.equal(needsRehash(earlier), true, `scrypt N=${N} is upgraded at the next login`)
  }
})

t.test('the password is normalised (NFKC): the same text typed two ways is the same password', async (t) => {
  const stored = await hashPassword('caf\u00e9-password')
  t.equal(await verifyPassword('cafe\u0301-password', stored), true)
  const scrypt = await scryptHash('caf\u00e9-password', { N: 2 ** 14, r: 8, p: 1 })
  t.equal(await verifyPassword('cafe\u0301-password', scrypt), true, 'in scrypt hashes too')
})

t.test('a stored value that is not one of our hashes verifies nothing', async (t) => {
  for (const stored of ['', 'plain', 'bcrypt$12$abc', 'scrypt$16384$8$1$', '$argon2id$', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$', '$argon2id$v=19$m=19456,t=2,p=1$!!$!!']) {
    t.equal(await verifyPassword('anything', stored), false, JSON.stringify(stored))
  }
})

t.test('needsRehash: true for any other cost, scheme or version, false at the current cost', async (t) => {
  t.equal(needsRehash(await hashPassword('p-assword-1')), false)
  t.equal(needsRehash('$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5'), false)
  t.equal(needsRehash('$argon2id$v=19$p=1,m=19456,t=2$c2FsdHNhbHQ$a2V5'), false, 'in whatever order the parameters come')
  for (const stored of [
    '$argon2id$v=19$m=12288,t=3,p=1$c2FsdHNhbHQ$a2V5',
    '$argon2id$v=19$m=19456,t=1,p=1$c2FsdHNhbHQ$a2V5',
    '$argon2id$v=19$m=19456,t=2,p=2$c2FsdHNhbHQ$a2V5',
    '$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5',
    '$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$a2V5',
    'scrypt$131072$8$1$c2FsdA$a2V5',
    'scrypt$16384$8$1$c2FsdA$a2V5',
    'bcrypt$12$abc',
    '',
  ]) {
    t.equal(needsRehash(stored), true, stored)
  }
  t.equal(needsRehash('$argon2id$v=19$m=12288,t=3,p=1$c2FsdHNhbHQ$a2V5', { memoryCost: 12288, timeCost: 3, parallelism: 1 }), false, 'against the cost it is given')
})

t.test('hashes leave one core to the event loop, and always have one slot', async (t) => {
  t.same([1, 2, 3, 4, 8].map(hashSlotsFor), [1, 1, 2, 3, 7])
})
