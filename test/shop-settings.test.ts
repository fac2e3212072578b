// The shop's settings: defaults, exact rates and money, one row, and every refusal changing nothing.
import type { FastifyInstance, InjectOptions } from 'fastify'
import { sql } from 'kysely'
import t from 'tap'
import { auth, buildTestApp, fieldNames, injectChecked, mechanicToken, problemWithStatus, signUpCustomer } from './helpers.js'

const app: FastifyInstance = await buildTestApp(t)
const boss = auth(await mechanicToken(app))
const customer = await signUpCustomer(app)
const call = (operationId: string, options: InjectOptions) => injectChecked(app, operationId, options)
const read = (headers: Record<string, string> = boss) => call('getShopSettings', { method: 'GET', url: '/shop/settings', headers })
const write = (payload: unknown, headers: Record<string, string> = boss) =>
  call('updateShopSettings', { method: 'PUT', url: '/shop/settings', headers, payload: payload as object })

t.test('defaults: labor_rate 100.00, no tax', async (t) => {
  const res = await read()
  t.equal(res.statusCode, 200)
  t.strictSame(res.json(), { labor_rate: 100, parts_tax_rate: 0, labor_tax_rate: 0 })
})

t.test('PUT replaces all three, exactly, and GET reads them back', async (t) => {
  for (const settings of [
    { labor_rate: 120, parts_tax_rate: 0.0825, labor_tax_rate: 0 },
    { labor_rate: 99999.99, parts_tax_rate: 1, labor_tax_rate: 0.0001 },
    { labor_rate: 0.07, parts_tax_rate: 0.1234, labor_tax_rate: 0.9999 },
  ]) {
    const res = await write(settings)
    t.equal(res.statusCode, 200)
    t.strictSame(res.json(), settings, 'the answer is what was sent')
    t.strictSame((await read()).json(), settings, 'and so is the next read')
  }
  const rows = await app.db.selectFrom('shop_settings').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()
  t.equal(rows.n, 1, 'still one settings row')
})

t.test('refusals: 400 naming each bad field, 403, 401; nothing changes', async (t) => {
  const before = (await read()).json()
  const invalid: Array<[unknown, string[]]> = [
    [{ labor_rate: 100, parts_tax_rate: 0.08255, labor_tax_rate: 0 }, ['/parts_tax_rate']],
    [{ labor_rate: 100, parts_tax_rate: 0, labor_tax_rate: 1.0001 }, ['/labor_tax_rate']],
    [{ labor_rate: 100.001, parts_tax_rate: 0, labor_tax_rate: -0.1 }, ['/labor_rate', '/labor_tax_rate']],
    [{ labor_rate: 100000, parts_tax_rate: 0, labor_tax_rate: 0 }, ['/labor_rate']],
    [{ labor_rate: '100', parts_tax_rate: 0, labor_tax_rate: 0 }, ['/labor_rate']],
    [{ parts_tax_rate: 0, labor_tax_rate: 0 }, ['/labor_rate']],
    [{ labor_rate: 1, parts_tax_rate: 0, labor_tax_rate: 0, currency: 'EUR' }, ['/currency']],
  ]
  for (const [body, fields] of invalid) {
    const problem = problemWithStatus(t, await write(body), 400)
    t.strictSame(fieldNames(problem), fields, JSON.stringify(body))
  }
  t.equal((await read(auth(customer.token))).statusCode, 403)
  t.equal((await write({ labor_rate: 1, parts_tax_rate: 0, labor_tax_rate: 0 }, auth(customer.token))).statusCode, 403)
  t.equal((await read({})).statusCode, 401)
  t.strictSame((await read()).json(), before, 'unchanged')
})
