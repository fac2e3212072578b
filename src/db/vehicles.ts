// Every query on vehicles. A customer holds a VIN at most once (vehicles_customer_id_vin_key);
// tickets reference vehicles with NO ACTION, so a vehicle in use cannot be deleted.
import type { Kysely } from 'kysely'
import { conflict, unknownReference } from '../errors.js'
import { offsetOf, type PageRequest } from '../lib/pagination.js'
import { countRows, inPageOrder, pageWithTotal, planPage, type Page } from './paging.js'
import { isMissingReference, isStillReferenced, isUniqueViolation } from './pg-errors.js'
import type { Database, VehicleRow } from './schema.js'

/** A vehicle as written: every column but the generated ones (a full replacement on update). */
export type VehicleValues = Omit<VehicleRow, 'id' | 'created_at'>

export interface VehicleFilter {
  customerId?: number | undefined
  vin?: string | undefined
  licensePlate?: string | undefined
}

const COLUMNS = ['id', 'customer_id', 'vin', 'year', 'make', 'model', 'license_plate', 'created_at'] as const

function rethrowVehicleConflict (err: unknown, customerId: number): never {
  if (isUniqueViolation(err, 'vehicles_customer_id_vin_key')) throw conflict(`Customer ${customerId} already holds a vehicle with this VIN.`)
  if (isMissingReference(err, 'vehicles_customer_id_fkey')) throw unknownReference('customer_id', 'customer', [customerId])
  throw err
}

export async function insertVehicle (db: Kysely<Database>, values: VehicleValues): Promise<VehicleRow> {
  try {
    return await db.insertInto('vehicles').values(pick(values)).returning(COLUMNS).executeTakeFirstOrThrow()
  } catch (err) {
    return rethrowVehicleConflict(err, values.customer_id)
  }
}

const pick = ({ customer_id, vin, year, make, model, license_plate }: VehicleValues): VehicleValues =>
  ({ customer_id, vin, year, make, model, license_plate })

/** Undefined when no vehicle has that id. */
export async function updateVehicle (db: Kysely<Database>, id: number, values: VehicleValues): Promise<VehicleRow | undefined> {
  try {
    return await db.updateTable('vehicles').set(pick(values)).where('id', '=', id).returning(COLUMNS).executeTakeFirst()
  } catch (err) {
    return rethrowVehicleConflict(err, values.customer_id)
  }
}

export async function findVehicle (db: Kysely<Database>, id: number): Promise<VehicleRow | undefined> {
  return await db.selectFrom('vehicles').select(COLUMNS).where('id', '=', id).executeTakeFirst()
}

/** False when no vehicle has that id; 409 while a ticket references it. */
export async function deleteVehicle (db: Kysely<Database>, id: number): Promise<boolean> {
  try {
    const result = await db.deleteFrom('vehicles').where('id', '=', id).executeTakeFirst()
    return result.numDeletedRows > 0n
  } catch (err) {
    if (isStillReferenced(err, 'service_tickets_vehicle_id_fkey')) throw conflict(`Vehicle ${id} still has service tickets.`)
    throw err
  }
}

function matchingVehicles (db: Kysely<Database>, filter: VehicleFilter) {
  let query = db.selectFrom('vehicles')
  if (filter.customerId !== undefined) query = query.where('customer_id', '=', filter.customerId)
  if (filter.vin !== undefined) query = query.where('vin', '=', filter.vin)
  const plate = filter.licensePlate
  // lower() on both sides, as the index vehicles_license_plate_idx is built.
  if (plate !== undefined) query = query.where((eb) => eb(eb.fn('lower', ['license_plate']), '=', eb.fn('lower', [eb.val(plate)])))
  return query
}

/** One page, oldest first. Unfiltered, the total is the maintained count. */
export async function listVehicles (db: Kysely<Database>, filter: VehicleFilter, page: PageRequest): Promise<Page<VehicleRow>> {
  if (filter.customerId === undefined && filter.vin === undefined && filter.licensePlate === undefined) {
    const total = await countRows(db, 'vehicles')
    const plan = planPage(total, page)
    if (plan === undefined) return { rows: [], total }
    const rows = await db.selectFrom('vehicles').select(COLUMNS)
      .orderBy('id', plan.direction).limit(plan.limit).offset(plan.offset).execute()
    return { rows: inPageOrder(rows, plan), total }
  }
  const offset = offsetOf(page)
  const rows = await matchingVehicles(db, filter)
    .select((eb) => [...COLUMNS, eb.fn.countAll<number>().over().as('total_count')])
    .orderBy('id').limit(page.per_page).offset(offset).execute()
  return await pageWithTotal(rows, offset, async () => {
    const { count } = await matchingVehicles(db, filter).select((eb) => eb.fn.countAll<number>().as('count')).executeTakeFirstOrThrow()
    return count
  })
}

/**
 * The customer's vehicle with `vin`, registered when they have none: how a ticket given only a VIN
 * finds its vehicle. The customer must exist (the caller locked it). Concurrent calls for the same
 * pair agree on one row: the insert waits for the other's, then the select sees it.
 */
export async function vehicleForVin (trx: Kysely<Database>, customerId: number, vin: string): Promise<number> {
  const inserted = await trx.insertInto('vehicles')
    .values({ customer_id: customerId, vin })
    .onConflict((oc) => oc.columns(['customer_id', 'vin']).doNothing())
    .returning('id')
    .executeTakeFirst()
  if (inserted !== undefined) return inserted.id
  const { id } = await trx.selectFrom('vehicles').select('id')
    .where('customer_id', '=', customerId).where('vin', '=', vin)
    .forKeyShare() // kept from deletion until the ticket that references it commits
    .executeTakeFirstOrThrow()
  return id
}
