// Money is exact to the cent at every size the contract allows. Prices are at most 99,999,999.99
// (Price), a ticket holds at most 1,000 of a part and at most 100 different parts, so parts come to
// below 10^13; a labor line is at most 999.99 h × 99,999.99 and a ticket holds at most 100 of them,
// so labor comes to below 10^10; tax rates are at most 1, so the grand total is below 2.1 × 10^13,
// under 2^45, where doubles are less than a cent apart: every amount prints exactly as a JSON number.
import t from 'tap'
import { auth, buildTestApp, expectContract, mechanicToken, signUpCustomer } from './helpers.js'

const MAX_PRICE = 99_999_999.99
const MAX_HOURS = 999.99
const MAX_RATE = 99_999.99

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

  t.test('with the most labor too: parts, labor, total, tax and grand total to the last cent', async (t) => {
    // 99 lines of 999.99 h × 99,999.99 = 99,998,990.0001 → 99,998,990.00, and one of
    // 999.37 h × 99,999.99 = 99,936,990.0063 → 99,936,990.01, so the labor total has cents.
    for (let i = 0; i < 100; i++) {
      const res = await post(`/service-tickets/${ticketId}/labor`, { description: `Longest job ${i}`, hours: i === 99 ? 999.37 : MAX_HOURS, rate: MAX_RATE })
      if (res.statusCode !== 201) t.fail(`labor line ${i}: ${res.statusCode} ${res.body}`)
    }
    const setRates = async (parts: number, labor: number) => {
      const res = await app.inject({ method: 'PUT', url: '/shop/settings', headers: boss, payload: { labor_rate: MAX_RATE, parts_tax_rate: parts, labor_tax_rate: labor } })
      t.equal(res.statusCode, 200)
    }
    const money = async () => {
      const res = await app.inject({ method: 'GET', url: `/service-tickets/${ticketId}`, headers: boss })
      t.equal(res.statusCode, 200)
      expectContract(res, 'getServiceTicket')
      return res.body
    }
    // Parts now 99 × 1,000 + 999 of the dearest part: 9,999,899,999,000.01.
    const remove = await app.inject({ method: 'DELETE', url: `/service-tickets/${ticketId}/parts/${partIds[99]}`, headers: boss })
    t.equal(remove.statusCode, 204)
    t.equal((await post(`/service-tickets/${ticketId}/parts`, { part_id: partIds[99], quantity: 999 })).statusCode, 200)

    await setRates(1, 1)
    let body = await money()
    t.match(body, /"line_total":99998990[,}]/, 'the largest labor line')
    t.match(body, /"line_total":99936990\.01[,}]/, 'the labor line with cents')
    t.match(body, /"parts_total":9999899999000\.01[,}]/)
    t.match(body, /"labor_total":9999837000\.01[,}]/)
    t.match(body, /"total":10009899836000\.02[,}]/)
    t.match(body, /"tax":10009899836000\.02[,}]/, 'tax at the largest rates: everything once more')
    t.match(body, /"grand_total":20019799672000\.04[,}]/, 'the largest grand total the contract allows, to the cent')

    await setRates(0.5, 0.5)
    body = await money()
    // 4,999,949,999,500.005 → .01 and 4,999,918,500.005 → .01: half-up at full size.
    t.match(body, /"tax":5004949918000\.02[,}]/)
    t.match(body, /"grand_total":15014849754000\.04[,}]/)

    await setRates(0.9999, 0.9999)
    body = await money()
    t.match(body, /"tax":10008898846016\.42[,}]/)
    t.match(body, /"grand_total":20018798682016\.44[,}]/)

    const oneMore = await post(`/service-tickets/${ticketId}/labor`, { description: 'One too many', hours: 1, rate: 1 })
    t.equal(oneMore.statusCode, 409, 'a 101st labor line is refused')
    t.equal((await post(`/service-tickets/${ticketId}/labor`, { description: 'Too dear', hours: 1, rate: 100_000 })).statusCode, 400, 'a rate over 99,999.99 is refused')
    t.equal((await post(`/service-tickets/${ticketId}/labor`, { description: 'Too long', hours: 1000, rate: 1 })).statusCode, 400, 'more than 999.99 hours are refused')
    const tooDearRate = await app.inject({ method: 'PUT', url: '/shop/settings', headers: boss, payload: { labor_rate: 100_000, parts_tax_rate: 0, labor_tax_rate: 0 } })
    t.equal(tooDearRate.statusCode, 400, 'and so is a shop labor rate over 99,999.99')
  })
})
