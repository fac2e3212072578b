// Idempotent retries (x-idempotent in the contract): replays, 422 on another body, 409 while the
// first request runs, keys scoped to caller and route, the stored answer committed with the change
// or not at all, and the sweep of expired keys. The concurrency cases need PostgreSQL.
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, FastifyRequest, InjectOptions } from 'fastify'
import { sql } from 'kysely'
import t from 'tap'
import type { components } from '../generated/api.js'
import { claimKey } from '../src/db/idempotency.js'
import { insertPart } from '../src/db/inventory.js'
import { countStock, ledgerBalance } from '../src/db/stock.js'
import { idempotencyOf, requestFingerprint, routeOf } from '../src/lib/idempotency.js'
import { sweepAllExpiredKeys } from '../src/plugins/idempotency.js'
import { auth, buildTestApp, injectChecked, mechanicAccount, part, problemWithStatus, usingPostgres } from './helpers.js'

type Stock = components['schemas']['Stock']
type Part = components['schemas']['Part']

const app: FastifyInstance = await buildTestApp(t)
const first = await mechanicAccount(app, 'First mechanic')
const second = await mechanicAccount(app, 'Second mechanic')
const call = (operationId: string, options: InjectOptions) => injectChecked(app, operationId, options)

async function trackedPart (onHand = 10): Promise<number> {
  const id = await part(app, `Tracked ${randomUUID().slice(0, 6)}`, 5)
  await countStock(app.db, id, onHand, 0, { role: 'mechanic', id: first.id })
  return id
}

const receive = (partId: number, key: string, payload: Record<string, unknown>, token = first.token) =>
  call('receiveStock', { method: 'POST', url: `/inventory/${partId}/stock/receipts`, headers: { ...auth(token), 'idempotency-key': key }, payload })

const partsNamed = async (name: string): Promise<number> =>
  (await app.db.selectFrom('inventory').select(sql<number>`count(*)::int`.as('n')).where('name', '=', name).executeTakeFirstOrThrow()).n

t.test('the same key and body: the first answer again, marked replayed, done once', async (t) => {
  const id = await trackedPart()
  const key = randomUUID()
  const one = await receive(id, key, { quantity: 4, reference: 'DN-1' })
  t.equal(one.statusCode, 201)
  t.equal(one.headers['idempotent-replayed'], undefined)
  const two = await receive(id, key, { reference: 'DN-1', quantity: 4 }) // member order does not matter
  t.equal(two.statusCode, 201, 'same status')
  t.equal(two.headers['idempotent-replayed'], 'true')
  t.equal(two.headers.location, one.headers.location, 'same Location')
  t.strictSame(two.json(), one.json(), 'same body')
  t.equal(two.json<Stock>().on_hand, 14)
  t.strictSame(await ledgerBalance(app.db, id), { on_hand: 14, ledger: 14 }, 'received once')
})

t.test('the same key with another body: 422, nothing done', async (t) => {
  const id = await trackedPart()
  const key = randomUUID()
  t.equal((await receive(id, key, { quantity: 4 })).statusCode, 201)
  const other = await receive(id, key, { quantity: 5 })
  const problem = problemWithStatus(t, other, 422)
  t.equal(problem.type, '/problems/idempotency-key-reused')
  t.strictSame(problem.errors, [{ name: 'Idempotency-Key', in: 'header', reason: 'was used with another request body' }])
  t.strictSame(await ledgerBalance(app.db, id), { on_hand: 14, ledger: 14 })
})

t.test('keys are scoped to the caller and the route', async (t) => {
  const a = await trackedPart()
  const b = await trackedPart()
  const key = randomUUID()
  t.equal((await receive(a, key, { quantity: 1 })).headers['idempotent-replayed'], undefined)
  const otherCaller = await receive(a, key, { quantity: 1 }, second.token)
  t.equal(otherCaller.headers['idempotent-replayed'], undefined, 'another mechanic with the same key is a new request')
  const otherPart = await receive(b, key, { quantity: 2 })
  t.equal(otherPart.statusCode, 201)
  t.equal(otherPart.headers['idempotent-replayed'], undefined, 'another part (path parameter) is another route')
  const createWithKey = await call('createPart', { method: 'POST', url: '/inventory', headers: { ...auth(first.token), 'idempotency-key': key }, payload: { name: 'Same key, other operation', price: 1 } })
  t.equal(createWithKey.statusCode, 201)
  t.equal(createWithKey.headers['idempotent-replayed'], undefined, 'another operation is another route')
  t.strictSame(await ledgerBalance(app.db, a), { on_hand: 12, ledger: 12 })
})

t.test('POST /inventory: optional key', async (t) => {
  const name = `Optional ${randomUUID().slice(0, 8)}`
  const post = (headers: Record<string, string>) => call('createPart', { method: 'POST', url: '/inventory', headers: { ...auth(first.token), ...headers }, payload: { name, price: 9.99 } })
  t.equal((await post({})).statusCode, 201)
  t.equal((await post({})).statusCode, 201)
  t.equal(await partsNamed(name), 2, 'without a key each request adds a part')
  const key = randomUUID()
  const one = await post({ 'idempotency-key': key })
  const two = await post({ 'idempotency-key': key })
  t.equal(two.statusCode, 201)
  t.equal(two.headers['idempotent-replayed'], 'true')
  t.equal(two.headers.location, `/inventory/${one.json<Part>().id}`)
  t.strictSame(two.json(), one.json())
  t.equal(await partsNamed(name), 3, 'with a key, once')
  t.equal((await post({ 'idempotency-key': 'has space' })).statusCode, 400, 'a malformed key is refused')
})

t.test('a failed request stores nothing: its retry runs again', async (t) => {
  const id = await part(app, 'Untracked for now', 5)
  const key = randomUUID()
  t.equal((await receive(id, key, { quantity: 3 })).statusCode, 409, 'untracked')
  await countStock(app.db, id, 0, 0, { role: 'mechanic', id: first.id })
  const retry = await receive(id, key, { quantity: 3 })
  t.equal(retry.statusCode, 201)
  t.equal(retry.headers['idempotent-replayed'], undefined, 'a retry of a failure is not a replay')
  t.equal(retry.json<Stock>().on_hand, 3)
})

/** A request as the mechanism sees it, for driving app.idempotent directly. */
const fakeRequest = (key: string, body: unknown): FastifyRequest =>
  ({ headers: { 'idempotency-key': key }, params: {}, body, user: { role: 'mechanic', sub: String(first.id) } }) as unknown as FastifyRequest

t.test('the stored answer and the change commit together', async (t) => {
  t.test('the handler fails after its change: neither the change nor the key remains', async (t) => {
    const key = randomUUID()
    const name = `Crash ${key.slice(0, 8)}`
    await t.rejects(app.idempotent('required', 'testOperation', fakeRequest(key, { name }), async (trx) => {
      await insertPart(trx, { name, price: 1 })
      throw new Error('crash after the change')
    }), /crash after the change/)
    t.equal(await partsNamed(name), 0, 'no part')
    t.equal((await app.db.selectFrom('idempotency_keys').select('id').where('key', '=', key).execute()).length, 0, 'no key')
  })

  t.test('storing the answer fails: the change is rolled back with it', async (t) => {
    const key = randomUUID()
    const name = `Unstorable ${key.slice(0, 8)}`
    await t.rejects(app.idempotent('required', 'testOperation', fakeRequest(key, { name }), async (trx) => {
      const row = await insertPart(trx, { name, price: 1 })
      return { status: 201, body: { id: row.id, unserializable: 1n } } // JSON.stringify throws on a BigInt
    }))
    t.equal(await partsNamed(name), 0, 'no part')
    t.equal((await app.db.selectFrom('idempotency_keys').select('id').where('key', '=', key).execute()).length, 0, 'no key')
  })
})

t.test('expired keys are swept, and an expired key is free again', async (t) => {
  const id = await trackedPart()
  const key = randomUUID()
  t.equal((await receive(id, key, { quantity: 1 })).statusCode, 201)
  const row = await app.db.selectFrom('idempotency_keys').select(['id', sql<number>`extract(epoch from expires_at - created_at)::int`.as('kept')]).where('key', '=', key).executeTakeFirstOrThrow()
  t.ok(row.kept >= 24 * 3600, 'kept at least 24 hours')
  await app.db.updateTable('idempotency_keys').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('id', '=', row.id).execute()
  const again = await receive(id, key, { quantity: 1 })
  t.equal(again.headers['idempotent-replayed'], undefined, 'an expired key runs the request again')
  t.strictSame(await ledgerBalance(app.db, id), { on_hand: 12, ledger: 12 })

  await app.db.updateTable('idempotency_keys').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('key', '=', key).execute()
  const live = randomUUID()
  t.equal((await receive(id, live, { quantity: 1 })).statusCode, 201)
  t.ok(await sweepAllExpiredKeys(app.db) >= 1, 'the sweep deleted the expired key')
  t.equal((await app.db.selectFrom('idempotency_keys').select('id').where('key', '=', key).execute()).length, 0)
  t.equal((await app.db.selectFrom('idempotency_keys').select('id').where('key', '=', live).execute()).length, 1, 'a live key stays')
})

const pgOnly = { skip: usingPostgres() ? false : 'PGlite runs one statement at a time' }

t.test('while the first request with a key runs, another gets 409', pgOnly, async (t) => {
  const id = await trackedPart()
  const key = randomUUID()
  const body = { quantity: 2 }
  let release: () => void = () => {}
  const held = new Promise<void>((resolve) => { release = resolve })
  let claimed: () => void = () => {}
  const claimedNow = new Promise<void>((resolve) => { claimed = resolve })
  // Another transaction holds the key exactly as a running request does.
  const holder = app.db.transaction().execute(async (trx) => {
    const claim = await claimKey(trx, { scope: `mechanic:${first.id}`, route: routeOf('receiveStock', { part_id: id }), key }, requestFingerprint(body))
    t.equal(claim.kind, 'claimed')
    claimed()
    await held
    throw new Error('the holder gives up') // rolls back: the key is free afterwards
  }).catch(() => {})
  await claimedNow
  const busy = await receive(id, key, body)
  t.equal(problemWithStatus(t, busy, 409).type, '/problems/idempotency-key-in-use')
  release()
  await holder
  t.equal((await receive(id, key, body)).statusCode, 201, 'once it has ended, the key works')
  t.strictSame(await ledgerBalance(app.db, id), { on_hand: 12, ledger: 12 })
})

t.test('the same key sent 10 times at once: one receipt, the rest replays or 409', pgOnly, async (t) => {
  const id = await trackedPart()
  const key = randomUUID()
  const answers = await Promise.all(Array.from({ length: 10 }, () => receive(id, key, { quantity: 5 })))
  const fresh = answers.filter((a) => a.statusCode === 201 && a.headers['idempotent-replayed'] === undefined)
  const replays = answers.filter((a) => a.statusCode === 201 && a.headers['idempotent-replayed'] === 'true')
  const busy = answers.filter((a) => a.statusCode === 409)
  t.comment(`${fresh.length} ran, ${replays.length} replays, ${busy.length} busy`)
  t.equal(fresh.length, 1, 'exactly one request ran')
  t.equal(fresh.length + replays.length + busy.length, 10, 'the others are replays or 409', { statuses: answers.map((a) => a.statusCode) })
  for (const r of replays) t.strictSame(r.json(), fresh[0]?.json())
  t.ok(busy.every((b) => b.json<{ type: string }>().type === '/problems/idempotency-key-in-use'))
  t.strictSame(await ledgerBalance(app.db, id), { on_hand: 15, ledger: 15 }, 'received once')
})

t.test('several instances sweeping at once delete every expired key between them', pgOnly, async (t) => {
  const id = await trackedPart()
  const keys = Array.from({ length: 30 }, () => randomUUID())
  for (const key of keys) t.equal((await receive(id, key, { quantity: 1 })).statusCode, 201)
  await app.db.updateTable('idempotency_keys').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('key', 'in', keys).execute()
  const swept = await Promise.all([sweepAllExpiredKeys(app.db), sweepAllExpiredKeys(app.db), sweepAllExpiredKeys(app.db)])
  t.ok(swept.reduce((a, b) => a + b, 0) >= keys.length, 'between them they deleted all of them', { swept })
  t.equal((await app.db.selectFrom('idempotency_keys').select('id').where('key', 'in', keys).execute()).length, 0)
})

t.test('an incomplete x-idempotent declaration is refused (by npm run generate and at start-up)', async (t) => {
  const header = { name: 'Idempotency-Key', in: 'header', required: true }
  const op = { 'x-idempotent': 'required', responses: { 201: {}, 400: {}, 409: {}, 422: {} } }
  const replayed = () => ['Location', 'Idempotent-Replayed']
  t.equal(idempotencyOf('POST /x', op, [header], replayed), 'required')
  t.throws(() => idempotencyOf('POST /x', { ...op, 'x-idempotent': 'yes' }, [header], replayed), /required or optional/)
  t.throws(() => idempotencyOf('POST /x', op, [], replayed), /header parameter/)
  t.throws(() => idempotencyOf('POST /x', { ...op, 'x-idempotent': 'optional' }, [header], replayed), /IdempotencyKey parameter/)
  t.throws(() => idempotencyOf('POST /x', { ...op, responses: { 201: {}, 400: {} } }, [header], replayed), /409, 422/)
  t.throws(() => idempotencyOf('POST /x', op, [header], () => ['Location']), /Idempotent-Replayed header on its 201/)
  t.equal(idempotencyOf('POST /x', { responses: {} }, [], replayed), undefined, 'no marker, no mechanism')
})
