// The bound on tasks running at once, used for password hashes (one per core but one, src/lib/passwords.ts).
import t from 'tap'
import { limitConcurrency } from '../src/lib/concurrency.js'

/** A task that stays running until released, recording when it started. */
function gate (log: string[], name: string): { task: () => Promise<string>, release: () => void } {
  let release = (): void => {}
  const task = async (): Promise<string> => {
    log.push(`start ${name}`)
    await new Promise<void>((resolve) => { release = resolve })
    return name
  }
  return { task, release: () => release() }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

t.test('no more than max run at once; the others start in arrival order as slots free', async (t) => {
  const limited = limitConcurrency(2)
  const log: string[] = []
  const gates = ['a', 'b', 'c', 'd'].map((name) => gate(log, name))
  const results = gates.map((g) => limited(g.task))
  await tick()
  t.same(log, ['start a', 'start b'], 'two run, two wait')
  gates[1]?.release()
  await tick()
  t.same(log, ['start a', 'start b', 'start c'], 'b done: c, the first waiting, starts')
  gates[0]?.release()
  gates[2]?.release()
  await tick()
  t.same(log, ['start a', 'start b', 'start c', 'start d'])
  gates[3]?.release()
  t.same(await Promise.all(results), ['a', 'b', 'c', 'd'], 'each caller gets its own result')
})

t.test('a failing task frees its slot and its caller gets the error', async (t) => {
  const limited = limitConcurrency(1)
  const failed = limited(async () => { throw new Error('boom') })
  const next = limited(async () => 'after')
  await t.rejects(failed, { message: 'boom' })
  t.equal(await next, 'after')
  t.equal(await limited(async () => 'free again'), 'free again', 'the slot is not leaked')
})

t.test('max must be a positive integer', async (t) => {
  for (const max of [0, -1, 1.5, Number.NaN]) t.throws(() => limitConcurrency(max), RangeError, String(max))
})

t.test('past maxWaiting, a task is refused at once instead of queued', async (t) => {
  const limited = limitConcurrency(1, 2)
  const log: string[] = []
  const gates = ['a', 'b', 'c'].map((name) => gate(log, name))
  const results = gates.map((g) => limited(g.task))
  await t.rejects(limited(async () => 'd'), { name: 'QueueFull' }, 'one running, two waiting: the fourth is refused')
  gates[0]?.release()
  await tick()
  const e = limited(async () => 'e') // b runs, c waits: there is room for one more
  await t.rejects(limited(async () => 'f'), { name: 'QueueFull' }, 'and only one')
  gates[1]?.release()
  await tick()
  gates[2]?.release()
  t.same(await Promise.all([...results, e]), ['a', 'b', 'c', 'e'], 'a slot in the queue is taken again once one frees')
})
