// Opening, updating and deleting tickets. Each runs in one transaction with its event (see
// ticket-guard.ts); the 400/404/412/422/409 are thrown inside it, which is what rolls it back.
import type { Kysely } from 'kysely'
import { viewOf, type TicketViewRow } from './service-tickets.js'
import { appendEvent, lockTicketForWrite, recordWrite, type WriteContext } from './ticket-guard.js'
import { assignMechanics, lockMechanics } from './ticket-lines.js'
import { throwUnknownReferences, UnknownReference, unknownIds } from './pg-errors.js'
import type { Database } from './schema.js'
import { InvalidTicketValue } from './ticket-errors.js'
import { inTransaction } from './transactions.js'
import { vehicleForVin } from './vehicles.js'

export interface TicketFields {
  vin: string
  service_date: string
  service_desc: string
  /** Omitted: kept as it is. */
  odometer_in?: number | undefined
  odometer_out?: number | undefined
}

export interface NewTicket {
  customer_id: number
  /** At least one of vehicle_id and vin (the handler refuses neither with 400). */
  vehicle_id?: number | undefined
  vin?: string | undefined
  service_date: string
  service_desc: string
  odometer_in?: number | undefined
  mechanic_ids?: readonly number[] | undefined
}

const vehicleMismatch = (field: 'vehicle_id' | 'vin', detail: string, reason: string) =>
  new UnknownReference(detail, [{ field, reason }])

/** The vehicle a new ticket is for: the customer's `vehicle_id` (its VIN must equal `vin`, if sent), or the customer's vehicle with `vin`. */
async function resolveVehicle (trx: Kysely<Database>, input: NewTicket): Promise<{ id: number, vin: string }> {
  if (input.vehicle_id !== undefined) {
    const vehicle = await trx.selectFrom('vehicles').select(['id', 'customer_id', 'vin'])
      .where('id', '=', input.vehicle_id).forKeyShare().executeTakeFirst()
    if (vehicle === undefined || vehicle.customer_id !== input.customer_id) {
      throw vehicleMismatch('vehicle_id', `Customer ${input.customer_id} has no vehicle with id ${input.vehicle_id}.`,
        `no vehicle with id ${input.vehicle_id} of customer ${input.customer_id}`)
    }
    if (input.vin !== undefined && input.vin !== vehicle.vin) {
      throw vehicleMismatch('vin', `Vehicle ${vehicle.id} has VIN ${vehicle.vin}, not ${input.vin}.`, `is not the VIN of vehicle ${vehicle.id}`)
    }
    return vehicle
  }
  if (input.vin === undefined) throw new Error('resolveVehicle needs a vehicle_id or a vin')
  return { id: await vehicleForVin(trx, input.customer_id, input.vin), vin: input.vin }
}

/** Opens a ticket in `estimate` with its first mechanics; 422 naming every unknown customer or mechanic id. */
export async function insertTicket (db: Kysely<Database>, input: NewTicket, context: WriteContext): Promise<TicketViewRow> {
  const mechanicIds = input.mechanic_ids ?? []
  return await inTransaction(db, async (trx) => {
    // Key-share locks keep the customer and the mechanics from being deleted before we commit,
    // which would otherwise surface as a foreign key error instead of this 422.
    const customer = await trx.selectFrom('customers').select('id')
      .where('id', '=', input.customer_id)
      .forKeyShare()
      .executeTakeFirst()
    const unknownMechanics = await lockMechanics(trx, mechanicIds)
    throwUnknownReferences([
      ...unknownIds('customer_id', 'customer', customer === undefined ? [input.customer_id] : []),
      ...unknownIds('mechanic_ids', 'mechanic', unknownMechanics),
    ])
    const vehicle = await resolveVehicle(trx, input)

    const { id } = await trx.insertInto('service_tickets')
      .values({
        customer_id: input.customer_id,
        vehicle_id: vehicle.id,
        vin: vehicle.vin,
        service_date: input.service_date,
        service_desc: input.service_desc,
        odometer_in: input.odometer_in ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    await assignMechanics(trx, id, mechanicIds)
    await appendEvent(trx, id, context.actor, 'created', { status: 'estimate', vehicle_id: vehicle.id, mechanic_ids: [...mechanicIds].sort((a, b) => a - b) })
    return await viewOf(trx, id)
  })
}

/**
 * Replaces a ticket's VIN, date and description and, when given, its odometer readings. A new VIN
 * re-links the ticket to the customer's vehicle with that VIN (registered when there is none).
 */
export async function updateTicket (db: Kysely<Database>, id: number, fields: TicketFields, context: WriteContext): Promise<TicketViewRow> {
  return await db.transaction().execute(async (trx) => {
    const ticket = await lockTicketForWrite(trx, id, 'fields', context.ifMatch)
    const odometerIn = fields.odometer_in ?? ticket.odometer_in
    const odometerOut = fields.odometer_out ?? ticket.odometer_out
    if (odometerIn !== null && odometerOut !== null && odometerOut < odometerIn) {
      throw new InvalidTicketValue(`odometer_out (${odometerOut}) is below odometer_in (${odometerIn}).`, [
        { field: 'odometer_out', reason: `must not be below odometer_in (${odometerIn})` },
      ])
    }
    const vehicleId = fields.vin === ticket.vin ? ticket.vehicle_id : await vehicleForVin(trx, ticket.customer_id, fields.vin)
    const next = {
      vin: fields.vin,
      vehicle_id: vehicleId,
      service_date: fields.service_date,
      service_desc: fields.service_desc,
      odometer_in: odometerIn,
      odometer_out: odometerOut,
    }
    await trx.updateTable('service_tickets').set(next).where('id', '=', id).execute()
    const changed = Object.fromEntries(Object.entries(next).filter(([key, value]) => ticket[key as keyof typeof next] !== value))
    await recordWrite(trx, id, context.actor, 'updated', changed)
    return await viewOf(trx, id)
  })
}

/** Deletes a ticket; its assignments, part lines and history go with it (on delete cascade). */
export async function deleteTicket (db: Kysely<Database>, id: number, context: WriteContext): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await lockTicketForWrite(trx, id, 'delete', context.ifMatch)
    // The cascade's triggers decrement these mechanics' counts: lock them in order first.
    await trx.selectFrom('mechanics').select('id')
      .where('id', 'in', (eb) => eb.selectFrom('service_mechanics').select('mechanic_id').where('ticket_id', '=', id))
      .orderBy('id')
      .forNoKeyUpdate()
      .execute()
    await trx.deleteFrom('service_tickets').where('id', '=', id).execute()
  })
}
