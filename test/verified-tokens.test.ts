// The memory of verified tokens on its own: bounded in size and in time, exact in its keys.
import t from 'tap'
import { VerifiedTokens } from '../src/lib/verified-tokens.js'

const T0 = 1_800_000_000_000 // ms
const claims = (expInSeconds: number) => ({ sub: '1', exp: Math.floor(T0 / 1000) + expInSeconds })

t.test('trusted until exp, or maxAge if sooner', async (t) => {
  const tokens = new VerifiedTokens<{ sub: string, exp: number }>(10, 60_000)
  tokens.remember('a', claims(30), T0)
  t.same(tokens.get('a', T0 + 29_999), claims(30))
  t.equal(tokens.get('a', T0 + 30_000), undefined, 'gone at exp')
  tokens.remember('b', claims(3600), T0)
  t.ok(tokens.get('b', T0 + 59_999))
  t.equal(tokens.get('b', T0 + 60_000), undefined, 'gone after maxAge, though exp is later')
})

t.test('exact keys, frozen claims, no exp no memory', async (t) => {
  const tokens = new VerifiedTokens<{ sub: string, exp: number }>()
  const remembered = tokens.remember('token', claims(60), T0)
  t.ok(Object.isFrozen(remembered), 'shared between requests, so frozen')
  t.equal(tokens.get('token ', T0), undefined)
  t.equal(tokens.get('Token', T0), undefined)
  tokens.remember('odd', { sub: '1', exp: Number.NaN }, T0)
  t.equal(tokens.get('odd', T0), undefined, 'an exp that is not a number is not remembered')
})

t.test('at most maxEntries, the least recently remembered go first', async (t) => {
  const tokens = new VerifiedTokens<{ sub: string, exp: number }>(3)
  for (const key of ['a', 'b', 'c', 'd']) tokens.remember(key, claims(60), T0)
  t.equal(tokens.get('a', T0), undefined, 'the oldest went')
  t.same(['b', 'c', 'd'].map((k) => tokens.get(k, T0) !== undefined), [true, true, true])
})
