// Vehicles: mechanics register and edit them; a customer reads their own (another customer's
// vehicle answers 404, as a missing one does) and sees only their own tickets in its history.
import type { FastifyRequest } from 'fastify'
import type { Handlers } from '../../generated/handlers.js'
import { findCustomerById } from '../db/customers.js'
import { listVehicleTicketViews } from '../db/service-tickets.js'
import { deleteVehicle, findVehicle, insertVehicle, listVehicles, updateVehicle, type VehicleValues } from '../db/vehicles.js'
import { badRequest, forbidden, found } from '../errors.js'
import { listAnswer } from '../lib/pagination.js'
import { callerId } from '../plugins/auth.js'
import { toServiceTicket } from '../views/service-tickets.js'
import { toVehicle } from '../views/vehicles.js'
import type { Deps } from './deps.js'
import { visibleTo } from './ticket-requests.js'

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
  const visibleVehicle = async (req: FastifyRequest, id: number) => found(visibleTo(req, await findVehicle(db, id)), 'vehicle', id)

  return {
    async createVehicle (req, _reply, trx) {
      const row = await insertVehicle(trx, vehicleValues(req.body))
      return { status: 201, body: toVehicle(row), headers: { location: `/vehicles/${row.id}` } }
    },

    async listVehicles (req) {
      const { customer_id, vin, license_plate } = req.query
      return listAnswer(req, await listVehicles(db, { customerId: customer_id, vin, licensePlate: license_plate }, req.query), toVehicle)
    },

    async getVehicle (req) {
      return { status: 200, body: toVehicle(await visibleVehicle(req, req.params.vehicle_id)) }
    },

    async updateVehicle (req) {
      const id = req.params.vehicle_id
      return { status: 200, body: toVehicle(found(await updateVehicle(db, id, vehicleValues(req.body)), 'vehicle', id)) }
    },

    async deleteVehicle (req) {
      const id = req.params.vehicle_id
      found(await deleteVehicle(db, id), 'vehicle', id)
      return { status: 204 }
    },

    async listCustomerVehicles (req) {
      const id = req.params.customer_id
      // As GET /customers/{id}: another customer's id is 403 whether or not it exists.
      if (viewer(req) !== undefined && viewer(req) !== id) throw forbidden('A customer may only list their own vehicles.')
      found(await findCustomerById(db, id), 'customer', id)
      return listAnswer(req, await listVehicles(db, { customerId: id }, req.query), toVehicle)
    },

    async listVehicleTickets (req) {
      const vehicle = await visibleVehicle(req, req.params.vehicle_id)
      return listAnswer(req, await listVehicleTicketViews(db, vehicle.id, viewer(req), req.query), toServiceTicket)
    },
  }
}
