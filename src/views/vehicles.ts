// Vehicles as the API shows them, with the VIN's check digit verdict computed on the way out.
import type { components } from '../../generated/api.js'
import type { VehicleRow } from '../db/schema.js'
import { vinCheckDigitValid } from '../lib/vin.js'

export type Vehicle = components['schemas']['Vehicle']

export const toVehicle = (row: VehicleRow): Vehicle => ({
  id: row.id,
  customer_id: row.customer_id,
  vin: row.vin,
  year: row.year,
  make: row.make,
  model: row.model,
  license_plate: row.license_plate,
  vin_check_digit_valid: vinCheckDigitValid(row.vin),
  created_at: row.created_at.toISOString(),
})
