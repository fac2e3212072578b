// The size-limited map behind the response cache, the validated URLs and the verified tokens.
import t from 'tap'
import { BoundedMap } from '../src/lib/bounded-map.js'

t.test('past the limit, the entry set longest ago goes first', async (t) => {
  const map = new BoundedMap<string, number>(2)
  map.set('a', 1)
  map.set('b', 2)
  map.set('c', 3)
  t.same([map.get('a'), map.get('b'), map.get('c')], [undefined, 2, 3])
  t.equal(map.size, 2)
})

t.test('setting a key again or using it makes it the newest; get does not', async (t) => {
  const map = new BoundedMap<string, number>(2)
  map.set('a', 1)
  map.set('b', 2)
  t.equal(map.get('a'), 1)
  map.set('c', 3)
  t.equal(map.get('a'), undefined, 'get alone kept a oldest')

  map.set('b', 20)
  map.set('d', 4)
  t.same([map.get('b'), map.get('c'), map.get('d')], [20, undefined, 4], 'set again kept b')

  t.equal(map.use('b'), 20)
  map.set('e', 5)
  t.same([map.get('b'), map.get('d'), map.get('e')], [20, undefined, 5], 'used, b stayed')
  map.delete('b')
  t.equal(map.get('b'), undefined)
  t.equal(map.size, 1)
})

t.test('using the newest key again and again keeps the order exact', async (t) => {
  const map = new BoundedMap<string, number>(3)
  map.set('a', 1)
  map.set('b', 2)
  t.equal(map.use('a'), 1, 'a moves past b')
  for (let i = 0; i < 3; i++) t.equal(map.use('a'), 1, 'and stays the newest')
  map.set('c', 3)
  map.set('d', 4)
  t.same([map.get('b'), map.get('a'), map.get('c'), map.get('d')], [undefined, 1, 3, 4], 'b, the oldest, went first')
  map.delete('d')
  t.equal(map.use('d'), undefined, 'a deleted newest is gone')
  map.set('e', 5)
  t.equal(map.use('a'), 1, 'a, the oldest, moves past e')
  map.set('d', 40)
  t.same([map.get('c'), map.get('e'), map.get('a'), map.get('d')], [undefined, 5, 1, 40], 'so c went first')
})
