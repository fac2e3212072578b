// Stock: counts, receipts, the ledger and the reorder list through the API, and the repository's
// takeStock/returnStock that ticket lines use. On PostgreSQL, concurrent takes run on separate
// connections, which is where "never below 0, always equal to the ledger" can break.
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, InjectOptions } from 'fastify'
import t, { type Test } from 'tap'
import type { components } from '../generated/api.js'
import { InsufficientStock } from '../src/db/errors.js'
import { countStock, ledgerBalance, MAX_ON_HAND, returnStock, takeStock, type Actor } from '../src/db/stock.js'
import { toProblem } from '../src/errors.js'
import { auth, buildTestApp, injectChecked, mechanicAccount, mechanicToken, part, problemWithStatus, signUpCustomer, usingPostgres } from './helpers.js'

type Stock = components['schemas']['Stock']
type StockPage = components['schemas']['StockPage']
type MovementPage = components['schemas']['StockMovementPage']

const MISSING = 2_000_000_000

const app: FastifyInstance = await buildTestApp(t)
const boss = auth(await mechanicToken(app))
const customer = await signUpCustomer(app)
const mechanic = await mechanicAccount(app, 'Stock mechanic')
const actor: Actor = { role: 'mechanic', id: mechanic.id }

const call = (operationId: string, options: InjectOptions) => injectChecked(app, operationId, options)
const key = (): Record<string, string> => ({ 'idempotency-key': randomUUID() })

const getStock = (partId: number) => call('getPartStock', { method: 'GET', url: `/inventory/${partId}/stock`, headers: boss })
const count = (partId: number, payload: Record<string, unknown>, headers = boss) =>
  call('countPartStock', { method: 'PUT', url: `/inventory/${partId}/stock`, headers, payload })
const receive = (partId: number, payload: Record<string, unknown>, headers: Record<string, string> = { ...boss, ...key() }) =>
  call('receiveStock', { method: 'POST', url: `/inventory/${partId}/stock/receipts`, headers, payload })
const movements = (partId: number, query = '') =>
  call('listStockMovements', { method: 'GET', url: `/inventory/${partId}/stock/movements${query}`, headers: boss })

async function expectLedgerAgrees (t: Test, partId: number): Promise<void> {
  const { on_hand: onHand, ledger } = await ledgerBalance(app.db, partId)
  t.equal(onHand, ledger, `part ${partId}: on_hand ${String(onHand)} equals the ledger's sum ${ledger}`)
}

t.test('an untracked part: tracked false, nulls, an empty ledger, receipts refused', async (t) => {
  const id = await part(app, 'Untracked', 5)
  const res = await getStock(id)
  t.equal(res.statusCode, 200)
  t.strictSame(res.json(), { part_id: id, name: 'Untracked', tracked: false, on_hand: null, reorder_point: null, below_reorder_point: false })
  const ledger = await movements(id)
  t.strictSame(ledger.json<MovementPage>().data, [])
  const refused = await receive(id, { quantity: 3 })
  const problem = problemWithStatus(t, refused, 409)
  t.equal(problem.type, '/problems/stock-not-tracked')
  t.strictSame((await getStock(id)).json<Stock>().tracked, false, 'still untracked')
})

t.test('a count tracks the part; receipts add; the ledger is signed and adds up', async (t) => {
  const id = await part(app, 'Brake pad set', 24.5)
  const first = await count(id, { on_hand: 12, reorder_point: 4 })
  t.equal(first.statusCode, 200)
  t.strictSame(first.json(), { part_id: id, name: 'Brake pad set', tracked: true, on_hand: 12, reorder_point: 4, below_reorder_point: false })

  const received = await receive(id, { quantity: 10, reference: 'DN-2026-0412' })
  t.equal(received.statusCode, 201)
  t.equal(received.headers.location, `/inventory/${id}/stock`)
  t.equal(received.headers['idempotent-replayed'], undefined, 'a first answer is not a replay')
  t.equal(received.json<Stock>().on_hand, 22)

  // A recount below: the difference is a negative count movement; the reorder point stays.
  const recount = await count(id, { on_hand: 3 })
  t.match(recount.json(), { on_hand: 3, reorder_point: 4, below_reorder_point: true })

  const ledger = (await movements(id)).json<MovementPage>()
  t.strictSame(ledger.data.map((m) => [m.kind, m.quantity, m.on_hand_after, m.reference]), [
    ['count', 12, 12, null],
    ['receipt', 10, 22, 'DN-2026-0412'],
    ['count', -19, 3, null],
  ])
  t.ok(ledger.data.every((m) => m.actor.role === 'mechanic' && m.ticket_id === null && !Number.isNaN(Date.parse(m.at))))
  t.equal(ledger.meta.total, 3)
  await expectLedgerAgrees(t, id)
})

t.test('the ledger pages oldest first with a Link header', async (t) => {
  const id = await part(app, 'Paged', 1)
  await count(id, { on_hand: 1 })
  for (let i = 0; i < 4; i++) await receive(id, { quantity: i + 1 })
  const page2 = await movements(id, '?page=2&per_page=2')
  const body = page2.json<MovementPage>()
  t.strictSame(body.data.map((m) => m.quantity), [2, 3])
  t.strictSame(body.meta, { page: 2, per_page: 2, total: 5, total_pages: 3 })
  t.match(page2.headers.link, /rel="next"/)
  const past = await movements(id, '?page=9&per_page=2')
  t.strictSame(past.json<MovementPage>().meta, { page: 9, per_page: 2, total: 5, total_pages: 3 })
})

t.test('GET /stock lists tracked parts only; below_reorder_point=true is the reorder list', async (t) => {
  const low = await part(app, 'Low', 1)
  const fine = await part(app, 'Fine', 1)
  const untracked = await part(app, 'Never counted', 1)
  await count(low, { on_hand: 1, reorder_point: 5 })
  await count(fine, { on_hand: 9, reorder_point: 5 })
  const all = (await call('listStock', { method: 'GET', url: '/stock?per_page=100', headers: boss })).json<StockPage>()
  const ids = all.data.map((s) => s.part_id)
  t.ok(ids.includes(low) && ids.includes(fine), 'both tracked parts are listed')
  t.notOk(ids.includes(untracked), 'an untracked part is not')
  t.ok(all.data.every((s) => s.tracked))
  t.strictSame(ids, [...ids].sort((a, b) => a - b), 'by part id')

  const reorder = (await call('listStock', { method: 'GET', url: '/stock?below_reorder_point=true&per_page=100', headers: boss })).json<StockPage>()
  t.ok(reorder.data.some((s) => s.part_id === low), 'the low part is on the reorder list')
  t.notOk(reorder.data.some((s) => s.part_id === fine), 'the fine one is not')
  t.ok(reorder.data.every((s) => s.below_reorder_point && (s.on_hand as number) < (s.reorder_point as number)))
  t.equal(reorder.meta.total, reorder.data.length)
})

t.test('refusals: 404, 400, 403, 401, and the upper bound, each changing nothing', async (t) => {
  const id = await part(app, 'Guarded', 1)
  await count(id, { on_hand: 5 })
  t.equal((await getStock(MISSING)).statusCode, 404)
  t.equal((await count(MISSING, { on_hand: 1 })).statusCode, 404)
  t.equal((await receive(MISSING, { quantity: 1 })).statusCode, 404)
  t.equal((await movements(MISSING)).statusCode, 404)

  const noKey = await receive(id, { quantity: 1 }, boss)
  const problem = problemWithStatus(t, noKey, 400)
  t.ok(problem.errors.some((e) => e.in === 'header' && /idempotency-key/i.test(e.name)), 'names the missing header', { errors: problem.errors })
  for (const bad of ['', 'two words', 'x'.repeat(256), 'tab\there']) {
    t.equal((await receive(id, { quantity: 1 }, { ...boss, 'idempotency-key': bad })).statusCode, 400, `key ${JSON.stringify(bad.slice(0, 12))} is refused`)
  }
  t.equal((await receive(id, { quantity: 0 })).statusCode, 400)
  t.equal((await receive(id, { quantity: 1, extra: true })).statusCode, 400)
  t.equal((await count(id, { on_hand: -1 })).statusCode, 400)
  t.equal((await count(id, { on_hand: MAX_ON_HAND + 1 })).statusCode, 400)

  t.equal((await count(id, { on_hand: 1 }, auth(customer.token))).statusCode, 403)
  t.equal((await call('listStock', { method: 'GET', url: '/stock', headers: auth(customer.token) })).statusCode, 403)
  t.equal((await call('listStock', { method: 'GET', url: '/stock' })).statusCode, 401)

  await count(id, { on_hand: MAX_ON_HAND })
  const over = await receive(id, { quantity: 1 })
  t.equal(problemWithStatus(t, over, 409).type, '/problems/stock-limit')
  t.equal((await getStock(id)).json<Stock>().on_hand, MAX_ON_HAND, 'unchanged')
  await expectLedgerAgrees(t, id)
})

t.test('a tracked part is deleted with its stock and ledger', async (t) => {
  const id = await part(app, 'Going away', 1)
  await count(id, { on_hand: 2 })
  const res = await call('deletePart', { method: 'DELETE', url: `/inventory/${id}`, headers: boss })
  t.equal(res.statusCode, 204)
  t.equal((await getStock(id)).statusCode, 404)
  t.strictSame(await ledgerBalance(app.db, id), { on_hand: null, ledger: 0 })
})

t.test('takeStock and returnStock (the repository ticket lines use)', async (t) => {
  t.test('take, refuse with available, return; the ledger follows', async (t) => {
    const id = await part(app, 'Taken', 3)
    await countStock(app.db, id, 5, 0, actor)
    t.strictSame(await app.db.transaction().execute((trx) => takeStock(trx, id, 3, 41, actor)), { tracked: true, onHand: 2 })
    const err = await app.db.transaction().execute((trx) => takeStock(trx, id, 3, 41, actor)).catch((e: unknown) => e)
    t.ok(err instanceof InsufficientStock, 'not enough: InsufficientStock')
    t.equal((err as InsufficientStock).available, 2)
    const problem = toProblem(err)
    t.match(problem, { status: 409, type: '/problems/insufficient-stock', extras: { available: 2 } }, 'maps to 409 insufficient-stock with available')
    t.strictSame(await app.db.transaction().execute((trx) => returnStock(trx, id, 3, 41, actor)), { tracked: true, onHand: 5 })
    const ledger = (await movements(id)).json<MovementPage>().data
    t.strictSame(ledger.map((m) => [m.kind, m.quantity, m.on_hand_after, m.ticket_id]), [
      ['count', 5, 5, null], ['ticket', -3, 2, 41], ['return', 3, 5, 41],
    ])
    await expectLedgerAgrees(t, id)
  })

  t.test('an untracked part is left alone', async (t) => {
    const id = await part(app, 'Free for all', 3)
    t.strictSame(await app.db.transaction().execute((trx) => takeStock(trx, id, 1000, 1, actor)), { tracked: false })
    t.strictSame(await app.db.transaction().execute((trx) => returnStock(trx, id, 1000, 1, actor)), { tracked: false })
    t.strictSame(await ledgerBalance(app.db, id), { on_hand: null, ledger: 0 })
  })

  t.test('a take rolled back with its transaction leaves stock and ledger as they were', async (t) => {
    const id = await part(app, 'Rolled back', 3)
    await countStock(app.db, id, 4, 0, actor)
    await t.rejects(app.db.transaction().execute(async (trx) => {
      await takeStock(trx, id, 2, 7, actor)
      throw new Error('the ticket line failed')
    }), /the ticket line failed/)
    t.strictSame(await ledgerBalance(app.db, id), { on_hand: 4, ledger: 4 })
  })

  t.test('stock 10, 50 concurrent takes of 1: exactly 10 succeed, on_hand 0 equals the ledger', { skip: usingPostgres() ? false : 'PGlite runs one statement at a time' }, async (t) => {
    const id = await part(app, 'Contended', 3)
    await countStock(app.db, id, 10, 0, actor)
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) =>
      app.db.transaction().execute((trx) => takeStock(trx, id, 1, 1000 + (i % 5), actor))))
    const taken = results.filter((r) => r.status === 'fulfilled')
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    t.equal(taken.length, 10, 'exactly 10 takes succeed')
    t.equal(refused.length, 40)
    t.ok(refused.every((r) => r.reason instanceof InsufficientStock && r.reason.available === 0), 'the rest are InsufficientStock with available 0')
    t.strictSame(await ledgerBalance(app.db, id), { on_hand: 0, ledger: 0 })
  })
})
