// Money is exact to the cent at every size the contract allows. Prices are at most 99,999,999.99
// (Price), a ticket holds at most 1,000 of a part and at most 100 different parts, so the largest
// ticket total is below 10^13 and every total is printed exactly as a JSON number.
import t from 'tap'
import { auth, buildTestApp, expectContract, mechanicToken, signUpCustomer } from './helpers.js'

const MAX_PRICE = 99_999_999.99

t.test('the largest ticket the contract allows: every line and the total to the last cent', async (t) => {
  const app = await buildTestApp(t)
  const boss = auth(await mechanicToken(app))
  const customer = await signUpCustomer(app)
  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, headers: boss, payload })

  const created = await post('/service-tickets', { customer_id: customer.id, vin: '1HGCM82633A004352', service_date: '2026-12-01', service_desc: 'The largest order' })
  t.equal(created.statusCode, 201)
  const ticketId = created.json<{ id: number }>().id

  const partIds: number[] = []
  for (let i = 0; i < 101; i++) {
    const part = await post('/inventory', { name: `Dearest part ${i}`, price: MAX_PRICE })
    t.equal(part.statusCode, 201)
    partIds.push(part.json<{ id: number }>().id)
  }
  // 99 lines of 1,000 and one of 999, so the total has cents.
  for (const [i, partId] of partIds.slice(0, 100).entries()) {
    const res = await post(`/service-tickets/${ticketId}/parts`, { part_id: partId, quantity: i === 99 ? 999 : 1000 })
    if (res.statusCode !== 200) t.fail(`line ${i}: ${res.statusCode} ${res.body}`)
  }

  const read = await app.inject({ method: 'GET', url: `/service-tickets/${ticketId}`, headers: boss })
  t.equal(read.statusCode, 200)
  expectContract(read, 'getServiceTicket')
  // The JSON text itself, not a parse of it: a double rounded on the way would show here.
  t.match(read.body, /"total":9999899999000\.01[,}]/, 'the total, 99 × 1,000 × 99,999,999.99 + 999 × 99,999,999.99')
  t.match(read.body, /"line_total":99899999990\.01[,}]/, 'the 999 line')
  t.match(read.body, /"line_total":99999999990[,}]/, 'a 1,000 line')
  t.equal(read.json<{ total: number }>().total, 9_999_899_999_000.01)

  const more = await post(`/service-tickets/${ticketId}/parts`, { part_id: partIds[0], quantity: 1 })
  t.equal(more.statusCode, 400, 'a 1,001st of a part is refused, naming quantity')
  t.match(more.json(), { errors: [{ name: '/quantity' }] })
  const extra = await post(`/service-tickets/${ticketId}/parts`, { part_id: partIds[100], quantity: 1 })
  t.equal(extra.statusCode, 409, 'a 101st different part is refused')
  expectContract(extra, 'addTicketPart')
  const last = await post(`/service-tickets/${ticketId}/parts`, { part_id: partIds[99], quantity: 1 })
  t.equal(last.statusCode, 200, 'an existing line still grows to 1,000')
  t.match(last.body, /"total":9999999999000[,}]/)

  const tooDear = await post('/inventory', { name: 'Too dear', price: 100_000_000 })
  t.equal(tooDear.statusCode, 400, 'a price over 99,999,999.99 is refused')
})
