// Password hashes: scrypt at the current cost, verified at whatever cost they were stored with.
import t from 'tap'
import { DEFAULT_COST, hashPassword, hashSlotsFor, needsRehash, verifyPassword } from '../src/lib/passwords.js'

t.test('a hash names its scheme and cost, verifies its password and no other', async (t) => {
  const stored = await hashPassword('correct horse battery staple')
  t.match(stored, /^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{43}$/, "OWASP's minimum for scrypt: N=2^17, r=8, p=1")
  t.same(DEFAULT_COST, { N: 2 ** 17, r: 8, p: 1 })
  t.equal(await verifyPassword('correct horse battery staple', stored), true)
  t.equal(await verifyPassword('correct horse battery stapler', stored), false)
  t.not(await hashPassword('correct horse battery staple'), stored, 'salted: the same password hashes differently')
})

t.test('a hash stored at an earlier cost still verifies, and needs a rehash', async (t) => {
  for (const N of [2 ** 14, 2 ** 15]) {
    const earlier = await hashPassword('hunter2-hunter2', { N, r: 8, p: 1 })
    t.match(earlier, new RegExp(`^scrypt\\$${N}\\$8\\$1\\$`))
    t.equal(await verifyPassword('hunter2-hunter2', earlier), true)
    t.equal(await verifyPassword('hunter3-hunter3', earlier), false)
    t.equal(needsRehash(earlier), true, `N=${N} is upgraded at the next login`)
  }
})

t.test('the password is normalised (NFKC): the same text typed two ways is the same password', async (t) => {
  const stored = await hashPassword('caf\u00e9-password')
  t.equal(await verifyPassword('cafe\u0301-password', stored), true)
})

t.test('a stored value that is not one of our hashes verifies nothing', async (t) => {
  for (const stored of ['', 'plain', 'bcrypt$12$abc', 'scrypt$16384$8$1$']) {
    t.equal(await verifyPassword('anything', stored), false, JSON.stringify(stored))
  }
})

t.test('needsRehash: true for any other cost or scheme, false at the current cost', async (t) => {
  t.equal(needsRehash(await hashPassword('p-assword-1')), false)
  t.equal(needsRehash('scrypt$131072$8$1$c2FsdA$a2V5'), false)
  for (const stored of ['scrypt$16384$8$1$c2FsdA$a2V5', 'scrypt$32768$8$1$c2FsdA$a2V5', 'scrypt$131072$16$1$c2FsdA$a2V5', 'scrypt$131072$8$2$c2FsdA$a2V5', 'bcrypt$12$abc', '']) {
    t.equal(needsRehash(stored), true, stored)
  }
  t.equal(needsRehash('scrypt$16384$8$1$c2FsdA$a2V5', { N: 2 ** 14, r: 8, p: 1 }), false, 'against the cost it is given')
})

t.test('hashes leave one core to the event loop, and always have one slot', async (t) => {
  t.same([1, 2, 3, 4, 8].map(hashSlotsFor), [1, 1, 2, 3, 7])
})
