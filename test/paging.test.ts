import t from 'tap'
import { planPage } from '../src/db/paging.js'

t.test('a page in the near half walks the index forwards', async (t) => {
  t.same(planPage(100, { page: 1, per_page: 10 }), { direction: 'asc', limit: 10, offset: 0, reversed: false })
  t.same(planPage(100, { page: 5, per_page: 10 }), { direction: 'asc', limit: 10, offset: 40, reversed: false })
})

t.test('a page in the far half walks it backwards and is reversed', async (t) => {
  t.same(planPage(100, { page: 10, per_page: 10 }), { direction: 'desc', limit: 10, offset: 0, reversed: true })
  t.same(planPage(100, { page: 7, per_page: 10 }), { direction: 'desc', limit: 10, offset: 30, reversed: true })
  t.same(planPage(95, { page: 10, per_page: 10 }), { direction: 'desc', limit: 5, offset: 0, reversed: true }, 'a short last page')
  t.same(planPage(100, { page: 10, per_page: 10 }, 'desc'), { direction: 'asc', limit: 10, offset: 0, reversed: true }, 'newest-first lists flip the other way')
})

t.test('past the end there is nothing to read', async (t) => {
  t.equal(planPage(100, { page: 11, per_page: 10 }), undefined)
  t.equal(planPage(0, { page: 1, per_page: 10 }), undefined)
})

t.test('every page of every size reads exactly its rows', async (t) => {
  for (const total of [0, 1, 9, 10, 11, 57]) {
    const ids = Array.from({ length: total }, (_, i) => i + 1)
    for (const perPage of [1, 3, 10, 100]) {
      for (let page = 1; page <= Math.ceil(total / perPage) + 1; page++) {
        const plan = planPage(total, { page, per_page: perPage })
        const expected = ids.slice((page - 1) * perPage, page * perPage)
        if (plan === undefined) { t.same(expected, [], `total ${total} page ${page}/${perPage}`); continue }
        const walked = plan.direction === 'asc' ? ids : [...ids].reverse()
        const read = walked.slice(plan.offset, plan.offset + plan.limit)
        t.same(plan.reversed ? read.reverse() : read, expected, `total ${total} page ${page}/${perPage}`)
      }
    }
  }
})
