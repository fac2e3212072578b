// Vehicles: mechanics register and edit them; a customer reads their own (another customer's
// vehicle answers 404, as a missing one does) and sees only their own tickets in its history.
import type { FastifyRequest } from 'fastify'
import type { Handlers } from '../../generated/handlers.js'
import { findCustomerById } from '../db/customers.js'
import { listVehicleTicketViews } from '../db/service-tickets.js'
import { deleteVehicle, findVehicle, insertVehicle, listVehicles, updateVehicle, type VehicleValues } from '../db/vehicles.js'
import { badRequest, forbidden, notFound } from '../errors.js'
import { paginated } from '../lib/pagination.js'
import { callerId } from '../plugins/auth.js'
import { toServiceTicket } from '../views/service-tickets.js'
import { toVehicle } from '../views/vehicles.js'
import type { Deps } from './deps.js'

type VehicleHandlers = Pick<Handlers,
  'createVehicle' | 'listVehicles' | 'getVehicle' | 'updateVehicle' | 'deleteVehicle' | 'listCustomerVehicles' | 'listVehicleTickets'>

interface VehicleBody { customer_id: number, vin: string, year?: number | undefined, make?: string | undefined, model?: string | undefined, license_plate?: string | undefined }

/** The body as a full replacement (an omitted detail is null); `year` up to next year, which no static schema can say. */
function vehicleValues (body: VehicleBody): VehicleValues {
  const latest = new Date().getUTCFullYear() + 1
  if (body.year !== undefined && body.year > latest) {
    throw badRequest(`year ${body.year} is after ${latest}.`, [{ name: '/year', in: 'body', reason: `must be ${latest} or earlier` }])
  }
  return {
    customer_id: body.customer_id,
    vin: body.vin,
    year: body.year ?? null,
    make: body.make ?? null,
    model: body.model ?? null,
    license_plate: body.license_plate ?? null,
  }
}

/** The customer whose vehicles a customer token may see: their own; undefined for a mechanic. */
const viewer = (req: FastifyRequest): number | undefined => req.user.role === 'customer' ? callerId(req) : undefined

export function vehicleHandlers ({ db }: Deps): VehicleHandlers {
  const visibleVehicle = async (req: FastifyRequest, id: number) => {
    const row = await findVehicle(db, id)
    const customer = viewer(req)
    if (row === undefined || (customer !== undefined && row.customer_id !== customer)) throw notFound('vehicle', id)
    return row
  }

  return {
    async createVehicle (req) {
      const row = await insertVehicle(db, vehicleValues(req.body))
      return { status: 201, body: toVehicle(row), headers: { location: `/vehicles/${row.id}` } }
    },

    async listVehicles (req) {
      const { customer_id, vin, license_plate } = req.query
      const { rows, total } = await listVehicles(db, { customerId: customer_id, vin, licensePlate: license_plate }, req.query)
      return paginated(req.url, req.query, rows.map(toVehicle), total)
    },

    async getVehicle (req) {
      return { status: 200, body: toVehicle(await visibleVehicle(req, req.params.vehicle_id)) }
    },

    async updateVehicle (req) {
      const id = req.params.vehicle_id
      const row = await updateVehicle(db, id, vehicleValues(req.body))
      if (row === undefined) throw notFound('vehicle', id)
      return { status: 200, body: toVehicle(row) }
    },

    async deleteVehicle (req) {
      const id = req.params.vehicle_id
      if (!await deleteVehicle(db, id)) throw notFound('vehicle', id)
      return { status: 204 }
    },

    async listCustomerVehicles (req) {
      const id = req.params.customer_id
      // As GET /customers/{id}: another customer's id is 403 whether or not it exists.
      if (viewer(req) !== undefined && viewer(req) !== id) throw forbidden('A customer may only list their own vehicles.')
      if (await findCustomerById(db, id) === undefined) throw notFound('customer', id)
      const { rows, total } = await listVehicles(db, { customerId: id }, req.query)
      return paginated(req.url, req.query, rows.map(toVehicle), total)
    },

    async listVehicleTickets (req) {
      const vehicle = await visibleVehicle(req, req.params.vehicle_id)
      const { rows, total } = await listVehicleTicketViews(db, vehicle.id, viewer(req), req.query)
      return paginated(req.url, req.query, rows.map(toServiceTicket), total)
    },
  }
}
