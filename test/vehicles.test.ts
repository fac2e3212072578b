// Vehicles end to end, and tickets with a vehicle: the VIN check digit, one VIN per customer,
// moves, deletes blocked by tickets, who sees what, and how a ticket finds its vehicle.
import type { InjectOptions } from 'fastify'
import t from 'tap'
import type { components } from '../generated/api.js'
import { vinCheckDigit, vinCheckDigitValid } from '../src/lib/vin.js'
import { auth, buildTestApp, mechanicToken, signUpCustomer, expectInvalid, expectOk, expectProblem, injectChecked } from './helpers.js'

type Vehicle = components['schemas']['Vehicle']
type VehiclePage = components['schemas']['VehiclePage']
type ServiceTicket = components['schemas']['ServiceTicket']
type TicketPage = components['schemas']['ServiceTicketPage']

const VALID_VIN = '1HGCM82633A004352'
const ALL_ONES = '11111111111111111'
const BAD_CHECK = '1HGCM82634A004352'

t.test('the 49 CFR 565 check digit', async (t) => {
  t.equal(vinCheckDigit(VALID_VIN), '3')
  t.equal(vinCheckDigitValid(VALID_VIN), true)
  t.equal(vinCheckDigitValid(ALL_ONES), true, 'eleven ones weigh 1 in total mod 11')
  t.equal(vinCheckDigitValid(BAD_CHECK), false)
  t.equal(vinCheckDigit('1M8GDM9AXKP042788'), 'X', 'a remainder of 10 is written X')
  t.equal(vinCheckDigitValid('1M8GDM9AXKP042788'), true)
})

const app = await buildTestApp(t)
const boss = auth(await mechanicToken(app))
const call = (operationId: string, options: InjectOptions) => injectChecked(app, operationId, options)

const createVehicle = async (payload: Record<string, unknown>) => await call('createVehicle', { method: 'POST', url: '/vehicles', headers: boss, payload })
const openTicket = async (payload: Record<string, unknown>) =>
  await call('createServiceTicket', { method: 'POST', url: '/service-tickets', headers: boss, payload: { service_date: '2026-12-01', service_desc: 'Work', ...payload } })

t.test('POST /vehicles', async (t) => {
  const ann = await signUpCustomer(app)
  const bob = await signUpCustomer(app)

  t.test('201 with Location; the check digit is reported, not enforced', async (t) => {
    const res = await createVehicle({ customer_id: ann.id, vin: VALID_VIN, year: 2003, make: 'Honda', model: 'Accord', license_plate: 'abc-1234' })
    const vehicle = expectOk<Vehicle>(t, res, 'createVehicle', 201)
    t.equal(res.headers.location, `/vehicles/${vehicle.id}`)
    t.match(vehicle, { customer_id: ann.id, vin: VALID_VIN, year: 2003, make: 'Honda', model: 'Accord', license_plate: 'abc-1234', vin_check_digit_valid: true })
    const other = expectOk<Vehicle>(t, await createVehicle({ customer_id: ann.id, vin: BAD_CHECK }), 'createVehicle', 201)
    t.match(other, { vin_check_digit_valid: false, year: null, make: null, model: null, license_plate: null })
  })

  t.test('a customer holds a VIN once (409); another customer may hold it too', async (t) => {
    expectProblem(t, await createVehicle({ customer_id: ann.id, vin: VALID_VIN }), 'createVehicle', 409)
    expectOk(t, await createVehicle({ customer_id: bob.id, vin: VALID_VIN }), 'createVehicle', 201)
  })

  t.test('422 for an unknown customer, 400 for a year after next year, 403 for a customer', async (t) => {
    const unknown = expectProblem<{ errors: Array<{ name: string }> } & components['schemas']['Problem']>(t, await createVehicle({ customer_id: 2_000_000_000, vin: ALL_ONES }), 'createVehicle', 422)
    t.equal(unknown.errors[0]?.name, '/customer_id')
    expectInvalid(t, await createVehicle({ customer_id: ann.id, vin: ALL_ONES, year: new Date().getUTCFullYear() + 2 }), 'createVehicle', [{ name: '/year', in: 'body' }])
    expectOk(t, await createVehicle({ customer_id: ann.id, vin: ALL_ONES, year: new Date().getUTCFullYear() + 1 }), 'createVehicle', 201)
    expectInvalid(t, await createVehicle({ customer_id: ann.id, vin: '3VWFE21C04M00000', year: 1885 }), 'createVehicle', [{ name: '/vin', in: 'body' }, { name: '/year', in: 'body' }])
    expectProblem(t, await call('createVehicle', { method: 'POST', url: '/vehicles', headers: auth(ann.token), payload: { customer_id: ann.id, vin: VALID_VIN } }), 'createVehicle', 403)
  })
})

t.test('reading, filtering, moving and deleting vehicles', async (t) => {
  const ann = await signUpCustomer(app)
  const bob = await signUpCustomer(app)
  const vehicle = expectOk<Vehicle>(t, await createVehicle({ customer_id: ann.id, vin: VALID_VIN, license_plate: 'Plate-77' }), 'createVehicle', 201)

  t.test('the owner and mechanics read it; another customer gets 404', async (t) => {
    expectOk(t, await call('getVehicle', { method: 'GET', url: `/vehicles/${vehicle.id}`, headers: auth(ann.token) }), 'getVehicle', 200)
    expectOk(t, await call('getVehicle', { method: 'GET', url: `/vehicles/${vehicle.id}`, headers: boss }), 'getVehicle', 200)
    expectProblem(t, await call('getVehicle', { method: 'GET', url: `/vehicles/${vehicle.id}`, headers: auth(bob.token) }), 'getVehicle', 404)
    expectProblem(t, await call('getVehicle', { method: 'GET', url: '/vehicles/2000000000', headers: boss }), 'getVehicle', 404)
  })

  t.test('filters: customer_id, vin, license_plate (case-insensitive); the Link header keeps them', async (t) => {
    const byPlate = await call('listVehicles', { method: 'GET', url: '/vehicles?license_plate=PLATE-77&per_page=5', headers: boss })
    const page = expectOk<VehiclePage>(t, byPlate, 'listVehicles', 200)
    t.same(page.data.map((v) => v.id), [vehicle.id])
    t.match(byPlate.headers.link, /license_plate=PLATE-77/)
    const byCustomer = expectOk<VehiclePage>(t, await call('listVehicles', { method: 'GET', url: `/vehicles?customer_id=${ann.id}&vin=${VALID_VIN}`, headers: boss }), 'listVehicles', 200)
    t.same(byCustomer.data.map((v) => v.id), [vehicle.id])
    const all = expectOk<VehiclePage>(t, await call('listVehicles', { method: 'GET', url: '/vehicles?per_page=100', headers: boss }), 'listVehicles', 200)
    t.ok(all.meta.total >= 1)
  })

  t.test('GET /customers/{id}/vehicles: own list, 403 for another customer, 404 for none', async (t) => {
    const own = expectOk<VehiclePage>(t, await call('listCustomerVehicles', { method: 'GET', url: `/customers/${ann.id}/vehicles`, headers: auth(ann.token) }), 'listCustomerVehicles', 200)
    t.same(own.data.map((v) => v.id), [vehicle.id])
    expectProblem(t, await call('listCustomerVehicles', { method: 'GET', url: `/customers/${ann.id}/vehicles`, headers: auth(bob.token) }), 'listCustomerVehicles', 403)
    expectProblem(t, await call('listCustomerVehicles', { method: 'GET', url: '/customers/2000000000/vehicles', headers: boss }), 'listCustomerVehicles', 404)
  })

  t.test('a move by PUT; the history shows each customer only their own tickets, newest first', async (t) => {
    const older = expectOk<ServiceTicket>(t, await openTicket({ customer_id: ann.id, vehicle_id: vehicle.id, service_date: '2026-01-05' }), 'createServiceTicket', 201)
    const newer = expectOk<ServiceTicket>(t, await openTicket({ customer_id: ann.id, vin: VALID_VIN, service_date: '2026-03-05' }), 'createServiceTicket', 201)
    t.equal(newer.vehicle_id, vehicle.id, 'a VIN alone finds the customer\'s vehicle')
    const moved = await call('updateVehicle', { method: 'PUT', url: `/vehicles/${vehicle.id}`, headers: boss, payload: { customer_id: bob.id, vin: VALID_VIN, make: 'Honda' } })
    t.match(expectOk<Vehicle>(t, moved, 'updateVehicle', 200), { customer_id: bob.id, make: 'Honda', license_plate: null })
    const bobs = expectOk<ServiceTicket>(t, await openTicket({ customer_id: bob.id, vehicle_id: vehicle.id, service_date: '2026-06-01' }), 'createServiceTicket', 201)

    const history = expectOk<TicketPage>(t, await call('listVehicleTickets', { method: 'GET', url: `/vehicles/${vehicle.id}/service-tickets`, headers: boss }), 'listVehicleTickets', 200)
    t.same(history.data.map((x) => x.id), [bobs.id, newer.id, older.id], 'newest service_date first')
    const asBob = expectOk<TicketPage>(t, await call('listVehicleTickets', { method: 'GET', url: `/vehicles/${vehicle.id}/service-tickets`, headers: auth(bob.token) }), 'listVehicleTickets', 200)
    t.same(asBob.data.map((x) => x.id), [bobs.id], 'the new owner sees only their own tickets')
    t.equal(asBob.meta.total, 1)
    expectProblem(t, await call('listVehicleTickets', { method: 'GET', url: `/vehicles/${vehicle.id}/service-tickets`, headers: auth(ann.token) }), 'listVehicleTickets', 404)

    expectProblem(t, await call('updateVehicle', { method: 'PUT', url: `/vehicles/${vehicle.id}`, headers: boss, payload: { customer_id: 2_000_000_000, vin: VALID_VIN } }), 'updateVehicle', 422)
    const second = expectOk<Vehicle>(t, await createVehicle({ customer_id: ann.id, vin: ALL_ONES }), 'createVehicle', 201)
    expectProblem(t, await call('updateVehicle', { method: 'PUT', url: `/vehicles/${second.id}`, headers: boss, payload: { customer_id: bob.id, vin: VALID_VIN } }), 'updateVehicle', 409)

    expectProblem(t, await call('deleteVehicle', { method: 'DELETE', url: `/vehicles/${vehicle.id}`, headers: boss }), 'deleteVehicle', 409)
    t.equal((await call('deleteVehicle', { method: 'DELETE', url: `/vehicles/${second.id}`, headers: boss })).statusCode, 204)
    expectProblem(t, await call('deleteVehicle', { method: 'DELETE', url: `/vehicles/${second.id}`, headers: boss }), 'deleteVehicle', 404)
  })
})

t.test('tickets with a vehicle', async (t) => {
  const ann = await signUpCustomer(app)
  const bob = await signUpCustomer(app)
  const bobsCar = expectOk<Vehicle>(t, await createVehicle({ customer_id: bob.id, vin: ALL_ONES }), 'createVehicle', 201)

  t.test('vin alone registers the customer\'s vehicle once', async (t) => {
    const first = expectOk<ServiceTicket>(t, await openTicket({ customer_id: ann.id, vin: VALID_VIN, odometer_in: 1000 }), 'createServiceTicket', 201)
    const second = expectOk<ServiceTicket>(t, await openTicket({ customer_id: ann.id, vin: VALID_VIN }), 'createServiceTicket', 201)
    t.equal(second.vehicle_id, first.vehicle_id)
    t.equal(first.odometer_in, 1000)
    const vehicles = expectOk<VehiclePage>(t, await call('listCustomerVehicles', { method: 'GET', url: `/customers/${ann.id}/vehicles`, headers: boss }), 'listCustomerVehicles', 200)
    t.same(vehicles.data.map((v) => v.vin), [VALID_VIN])
  })

  t.test('400 without vehicle_id and vin; 422 for another customer\'s vehicle or a different VIN', async (t) => {
    expectInvalid(t, await openTicket({ customer_id: ann.id }), 'createServiceTicket', [{ name: '/vehicle_id', in: 'body' }, { name: '/vin', in: 'body' }])
    const foreign = expectProblem<components['schemas']['ValidationProblem']>(t, await openTicket({ customer_id: ann.id, vehicle_id: bobsCar.id }), 'createServiceTicket', 422)
    t.equal(foreign.errors[0]?.name, '/vehicle_id')
    const mismatch = expectProblem<components['schemas']['ValidationProblem']>(t, await openTicket({ customer_id: bob.id, vehicle_id: bobsCar.id, vin: VALID_VIN }), 'createServiceTicket', 422)
    t.equal(mismatch.errors[0]?.name, '/vin')
    expectOk(t, await openTicket({ customer_id: bob.id, vehicle_id: bobsCar.id, vin: ALL_ONES }), 'createServiceTicket', 201)
  })

  t.test('PUT: odometers kept when omitted, odometer_out below odometer_in is a 400, a new VIN re-links', async (t) => {
    const ticket = expectOk<ServiceTicket>(t, await openTicket({ customer_id: ann.id, vin: VALID_VIN, odometer_in: 500 }), 'createServiceTicket', 201)
    const put = (payload: Record<string, unknown>) => call('updateServiceTicket', { method: 'PUT', url: `/service-tickets/${ticket.id}`, headers: boss, payload: { service_date: '2026-12-02', service_desc: 'More', ...payload } })
    expectInvalid(t, await put({ vin: VALID_VIN, odometer_out: 499 }), 'updateServiceTicket', [{ name: '/odometer_out', in: 'body' }])
    const kept = expectOk<ServiceTicket>(t, await put({ vin: VALID_VIN, odometer_out: 520 }), 'updateServiceTicket', 200)
    t.match(kept, { odometer_in: 500, odometer_out: 520, version: 2 })
    const relinked = expectOk<ServiceTicket>(t, await put({ vin: BAD_CHECK }), 'updateServiceTicket', 200)
    t.not(relinked.vehicle_id, ticket.vehicle_id)
    t.match(relinked, { vin: BAD_CHECK, odometer_in: 500, odometer_out: 520 })
    const vehicle = expectOk<Vehicle>(t, await call('getVehicle', { method: 'GET', url: `/vehicles/${relinked.vehicle_id}`, headers: auth(ann.token) }), 'getVehicle', 200)
    t.match(vehicle, { customer_id: ann.id, vin: BAD_CHECK })
  })
})
