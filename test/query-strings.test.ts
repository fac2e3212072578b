// One URL per resource, and a cache no client can fill: query parameters the contract does not
// declare are refused, path and query numbers are canonical decimals, request targets have a
// length limit, Link headers and cache keys carry only declared parameters, and both cache stores
// are bounded by bytes.
import t from 'tap'
import { MemoryResponseCache, RedisResponseCache } from '../src/lib/response-cache.js'
import { MAX_REQUEST_TARGET_LENGTH } from '../src/plugins/problems.js'
import { auth, buildTestApp, expectContract, mechanicToken, operations, fillPath, claimRedisDb, sharedRedisUrl } from './helpers.js'

type Json = Record<string, unknown>

t.test('query strings and request targets', async (t) => {
  const app = await buildTestApp(t)
  const boss = auth(await mechanicToken(app))

  t.test('a query parameter the operation does not declare: 400 naming it, on every GET', async (t) => {
    for (const op of operations.filter((o) => o.method === 'GET')) {
      const url = `${fillPath(op, {}, 1)}?x=${'a'.repeat(100)}`
      const res = await app.inject({ method: 'GET', url, headers: boss })
      if (op.access !== 'public' && !op.access.includes('mechanic')) continue // the customer-only list: 403 comes first
      t.equal(res.statusCode, 400, `${op.id}: ${res.body.slice(0, 120)}`)
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
      t.match(res.json<Json>().errors, [{ name: '/x', in: 'query' }], op.id)
      expectContract(res, op.id)
    }
  })

  t.test('the same on writes', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/inventory?debug=1', headers: boss, payload: { name: 'Filter', price: 1 } })
    t.equal(res.statusCode, 400)
    t.match(res.json<Json>().errors, [{ name: '/debug', in: 'query' }])
    const list = await app.inject({ method: 'GET', url: '/inventory?per_page=100' })
    t.notOk(list.json<{ data: Json[] }>().data.some((p) => p.name === 'Filter'), 'and writes nothing')
  })

  t.test('the Link header carries the declared parameters only, as validated', async (t) => {
    for (let i = 0; i < 3; i++) await app.inject({ method: 'POST', url: '/inventory', headers: boss, payload: { name: `Link part ${i}`, price: 1 } })
    const res = await app.inject({ method: 'GET', url: '/inventory?per_page=1&page=2' })
    t.equal(res.statusCode, 200)
    const links = String(res.headers.link)
    t.match(links, /<\/inventory\?page=1&per_page=1>; rel="first"/)
    t.match(links, /<\/inventory\?page=3&per_page=1>; rel="next"/)
  })

  t.test(`a request target over ${MAX_REQUEST_TARGET_LENGTH} characters: 414 problem+json`, async (t) => {
    const padding = 'a'.repeat(MAX_REQUEST_TARGET_LENGTH)
    for (const url of [`/inventory?page=2&x=${padding}`, `/inventory/${padding}`, `/nowhere/${padding}`]) {
      const res = await app.inject({ method: 'GET', url })
      t.equal(res.statusCode, 414, url.slice(0, 30))
      t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
      t.match(res.json<Json>(), { status: 414, title: 'URI Too Long' })
      if (!url.startsWith('/nowhere')) expectContract(res, url.includes('?') ? 'listParts' : 'getPart')
    }
    const base = '/inventory?page=1&per_page=10'
    const longest = `${base}${'&'.repeat(MAX_REQUEST_TARGET_LENGTH - base.length)}`
    t.equal(longest.length, MAX_REQUEST_TARGET_LENGTH)
    t.equal((await app.inject({ method: 'GET', url: longest })).statusCode, 200, 'a target at the limit is served')
  })

  t.test('path and query numbers are canonical decimals; every other spelling is 400', async (t) => {
    const created = await app.inject({ method: 'POST', url: '/inventory', headers: boss, payload: { name: 'Canonical', price: 2 } })
    const id = created.json<{ id: number }>().id
    t.equal((await app.inject({ method: 'GET', url: `/inventory/${id}` })).statusCode, 200, 'the canonical id')
    for (const spelling of [`${id}.0`, `+${id}`, `%20${id}`, `${id}%20`, `0${id}`, `${id}e0`, `0x${id.toString(16)}`, '1e3', '0x10']) {
      const res = await app.inject({ method: 'GET', url: `/inventory/${spelling}` })
      t.equal(res.statusCode, 400, `/inventory/${spelling}`)
      t.match(res.json<Json>().errors, [{ name: '/part_id', in: 'path' }])
      expectContract(res, 'getPart')
    }
    for (const query of ['page=01', 'page=1.0', 'per_page=+5', 'per_page=1e1', 'page=0x1', 'page=%201']) {
      const res = await app.inject({ method: 'GET', url: `/inventory?${query}` })
      t.equal(res.statusCode, 400, `?${query}`)
      expectContract(res, 'listParts')
    }
    t.equal((await app.inject({ method: 'GET', url: '/inventory?page=1&per_page=10' })).statusCode, 200)
  })
})

const entry = (body: string) => ({ body, tag: '"t"', headers: { link: '</x>; rel="first"' } })

t.test('the in-process cache holds at most its budget in bytes', async (t) => {
  const cache = new MemoryResponseCache(64 * 1024)
  for (let i = 0; i < 200; i++) await cache.set(`k${i}`, entry('x'.repeat(1500)))
  t.ok(cache.bytes <= 64 * 1024, `${cache.bytes} bytes held`)
  t.ok(cache.bytes > 48 * 1024, 'and it is used')
  t.same(await cache.get('k0'), undefined, 'the oldest went first')
  t.equal((await cache.get('k199'))?.body.length, 1500, 'the newest is there')
  await cache.set('huge', entry('x'.repeat(8 * 1024)))
  t.same(await cache.get('huge'), undefined, 'an answer above a sixteenth of the budget is not kept')
  t.equal((await cache.get('k199'))?.body.length, 1500, 'and pushed nothing out')
})

t.test('the Redis cache holds at most its budget in bytes, for every instance together', { skip: sharedRedisUrl() === undefined && 'REDIS_URL is not set' }, async (t) => {
  const redis = await claimRedisDb(t)
  if (redis === undefined) throw new Error('unreachable: REDIS_URL is set')
  const errors: Error[] = []
  const budget = 64 * 1024
  const [one, two] = [new RedisResponseCache(redis.client, (e) => errors.push(e), budget), new RedisResponseCache(redis.client.duplicate(), (e) => errors.push(e), budget)]
  t.teardown(() => two.redis.quit())
  for (let i = 0; i < 100; i++) await (i % 2 === 0 ? one : two).set(`k${i}`, entry('x'.repeat(1500)))
  const stored = await redis.client.keys('mst:cache:entry:*')
  let bytes = 0
  for (const key of stored) bytes += Buffer.byteLength(key) + Buffer.byteLength(await redis.client.get(key) ?? '')
  t.ok(bytes <= budget, `${bytes} bytes in ${stored.length} entries`)
  t.ok(bytes > budget * 0.75, 'and it is used')
  t.equal(Number(await redis.client.get('mst:cache:bytes')), bytes, 'the running total is exact')
  t.same(await one.get('k0'), undefined, 'the oldest went first')
  t.equal((await two.get('k99'))?.body.length, 1500, 'the newest is there')
  await one.set('huge', entry('x'.repeat(8 * 1024)))
  t.same(await one.get('huge'), undefined, 'an answer above a sixteenth of the budget is not kept')
  t.same(errors, [])
})
