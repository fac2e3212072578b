// Every list of a whole table, one table-driven suite: the same paging, ordering, Link header,
// query validation and access rules hold for customers, mechanics and the parts catalogue. Each
// list's own concerns (caching, the ranking) are tested in its resource's file.
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { auth, buildTestApp, expectInvalid, expectNoSecrets, expectOk, expectProblem, mechanicToken, signUpCustomer, uniqueEmail } from './helpers.js'

interface Page { data: Array<{ id: number }>, meta: { page: number, per_page: number, total: number, total_pages: number } }
type Headers = Record<string, string>

const app = await buildTestApp(t)
const boss = auth(await mechanicToken(app))
const customer = auth((await signUpCustomer(app)).token)
const garbage = { authorization: 'Bearer not.a.jwt' }

/** Creates a row through the API and answers its public view, as the list must show it. */
async function created (url: string, headers: Headers, payload: object): Promise<{ id: number }> {
  const res = await app.inject({ method: 'POST', url, headers, payload })
  if (res.statusCode !== 201) throw new Error(`POST ${url}: ${res.statusCode} ${res.body}`)
  return res.json<{ id: number }>()
}

interface List {
  path: string
  operationId: string
  /** Headers of a caller who may read the list. */
  reader: Headers
  /** Callers and the status each gets when the list is not theirs to read; 200 where it is. */
  access: Array<[who: string, headers: Headers, status: number]>
  create: () => Promise<{ id: number }>
}

const LISTS: List[] = [
  {
    path: '/customers',
    operationId: 'listCustomers',
    reader: boss,
    access: [['no token', {}, 401], ['a bad token', garbage, 401], ['a customer', customer, 403], ['a mechanic', boss, 200]],
    create: () => created('/customers', {}, { name: 'Listed Customer', email: uniqueEmail('listed'), phone: '+1 555 0100', password: 'customer-password' }),
  },
  {
    path: '/mechanics',
    operationId: 'listMechanics',
    reader: boss,
    access: [['no token', {}, 401], ['a bad token', garbage, 401], ['a customer', customer, 403], ['a mechanic', boss, 200]],
    create: () => created('/mechanics', boss, { name: 'Listed Mechanic', email: uniqueEmail('listed'), phone: '+1 555 0200', salary: 51234.5, password: 'mechanic-password' }),
  },
  {
    path: '/inventory',
    operationId: 'listParts',
    reader: {},
    access: [['no token', {}, 200], ['a customer', customer, 200], ['a mechanic', boss, 200]],
    create: () => created('/inventory', boss, { name: 'Listed part', price: 19.99 }),
  },
]

for (const list of LISTS) {
  t.test(`GET ${list.path} (${list.operationId})`, async (t) => {
    const made = [await list.create(), await list.create(), await list.create()]
    const get = (query: string, headers: Headers = list.reader): Promise<LightMyRequestResponse> =>
      app.inject({ method: 'GET', url: `${list.path}${query}`, headers })
    const page = async (t: Test, query: string): Promise<{ res: LightMyRequestResponse, body: Page }> => {
      const res = await get(query)
      const body = expectOk<Page>(t, res, list.operationId, 200)
      expectNoSecrets(t, res)
      return { res, body }
    }
    const total = (await page(t, '?per_page=1')).body.meta.total
    t.ok(total >= 3, `${total} rows`)
    const links = (perPage: number, rels: Array<[number, string]>) =>
      rels.map(([n, rel]) => `<${list.path}?page=${n}&per_page=${perPage}>; rel="${rel}"`).join(', ')

    t.test('one page, oldest first, with meta and all four links', async (t) => {
      const { res, body } = await page(t, `?page=${total - 1}&per_page=1`)
      t.strictSame(body, { data: [made[1]], meta: { page: total - 1, per_page: 1, total, total_pages: total } })
      t.equal(res.headers.link, links(1, [[1, 'first'], [total - 2, 'prev'], [total, 'next'], [total, 'last']]))
    })

    t.test('pages hold ids in ascending order and the last page ends with the newest', async (t) => {
      const perPage = 2
      const lastPage = Math.ceil(total / perPage)
      const { res, body } = await page(t, `?page=${lastPage}&per_page=${perPage}`)
      t.strictSame(body.data.at(-1), made[2])
      t.strictSame(body.meta, { page: lastPage, per_page: perPage, total, total_pages: lastPage })
      t.notMatch(res.headers.link, /rel="next"/, 'no next on the last page')
      const ids = (await page(t, '?per_page=100')).body.data.map((row) => row.id)
      t.strictSame(ids, [...ids].sort((a, b) => a - b))
    })

    t.test('defaults to page 1 of 10', async (t) => {
      const { res, body } = await page(t, '')
      t.strictSame(body.meta, { page: 1, per_page: 10, total, total_pages: Math.ceil(total / 10) })
      t.match(res.headers.link, new RegExp(`^<${list.path}\\?page=1&per_page=10>; rel="first"`))
      t.notMatch(res.headers.link, /rel="prev"/, 'no prev on the first page')
    })

    t.test('a page past the end is empty and links back to the last page', async (t) => {
      const { res, body } = await page(t, `?page=${total + 5}&per_page=1`)
      t.strictSame(body, { data: [], meta: { page: total + 5, per_page: 1, total, total_pages: total } })
      t.equal(res.headers.link, links(1, [[1, 'first'], [total, 'prev'], [total, 'last']]))
    })

    t.test('400 naming the bad query parameters', async (t) => {
      expectInvalid(t, await get('?per_page=0'), list.operationId, [{ name: '/per_page', in: 'query' }])
      expectInvalid(t, await get('?per_page=101'), list.operationId, [{ name: '/per_page', in: 'query' }])
      expectInvalid(t, await get('?page=0&per_page=abc'), list.operationId, [{ name: '/page', in: 'query' }, { name: '/per_page', in: 'query' }])
    })

    for (const [who, headers, status] of list.access) {
      t.test(`${status} for ${who}`, async (t) => {
        const res = await get('', headers)
        if (status === 200) expectOk(t, res, list.operationId, 200)
        else expectProblem(t, res, list.operationId, status)
      })
    }
  })
}
