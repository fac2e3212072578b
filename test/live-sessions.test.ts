// The per-instance memory of live sessions (src/lib/live-sessions.ts): never past a session's expiry
// or the maximum age, never for another account, and never for a session ended while the database
// was being asked about it.
import t from 'tap'
import { LiveSessions } from '../src/lib/live-sessions.js'

const NOW = 1_000_000

t.test('remembered until the expiry or the maximum age, whichever is first', async (t) => {
  const memo = new LiveSessions(10, 60_000)
  memo.remember('soon', 'customer:1', NOW + 5_000, memo.epoch, NOW)
  memo.remember('later', 'customer:1', NOW + 3_600_000, memo.epoch, NOW)
  t.ok(memo.has('soon', 'customer:1', NOW + 4_999))
  t.notOk(memo.has('soon', 'customer:1', NOW + 5_000), 'not at its expiry')
  t.ok(memo.has('later', 'customer:1', NOW + 59_999))
  t.notOk(memo.has('later', 'customer:1', NOW + 60_000), 'not past the maximum age: ask the database again')
})

t.test('a session answers only for its own account', async (t) => {
  const memo = new LiveSessions()
  memo.remember('s1', 'customer:1', NOW + 5_000, memo.epoch, NOW)
  t.ok(memo.has('s1', 'customer:1', NOW))
  t.notOk(memo.has('s1', 'customer:2', NOW), 'another customer')
  t.notOk(memo.has('s1', 'mechanic:1', NOW), 'the same id of the other role')
})

t.test('forget and clear end what was remembered', async (t) => {
  const memo = new LiveSessions()
  for (const id of ['a', 'b', 'c']) memo.remember(id, 'mechanic:7', NOW + 5_000, memo.epoch, NOW)
  memo.forget(['a', 'unknown'])
  t.notOk(memo.has('a', 'mechanic:7', NOW))
  t.ok(memo.has('b', 'mechanic:7', NOW))
  memo.clear()
  t.notOk(memo.has('b', 'mechanic:7', NOW))
  t.notOk(memo.has('c', 'mechanic:7', NOW))
})

t.test('a lookup that raced with an ending does not remember the ended session', async (t) => {
  const memo = new LiveSessions()
  const epoch = memo.epoch // taken before asking the database
  memo.forget(['s1']) // the session ends (on any instance) while the database answers "alive"
  memo.remember('s1', 'customer:1', NOW + 5_000, epoch, NOW)
  t.notOk(memo.has('s1', 'customer:1', NOW), 'the stale answer is not kept')
  const after = memo.epoch
  memo.remember('s1', 'customer:1', NOW + 5_000, after, NOW)
  t.ok(memo.has('s1', 'customer:1', NOW), 'a lookup begun after the ending is kept (the database said alive then)')
})

t.test('bounded: the least recently set goes first', async (t) => {
  const memo = new LiveSessions(2)
  for (const id of ['a', 'b', 'c']) memo.remember(id, 'customer:1', NOW + 5_000, memo.epoch, NOW)
  t.notOk(memo.has('a', 'customer:1', NOW))
  t.ok(memo.has('b', 'customer:1', NOW) && memo.has('c', 'customer:1', NOW))
})
