// Mechanic rows as the API shows them: numeric salary text becomes a JSON number, and fields are
// picked one by one so that password_hash can never reach a response.
import type { components } from '../../generated/api.js'
import type { MechanicRecord, RankedMechanicRecord } from '../db/mechanics.js'
import { toMoney } from '../lib/money.js'

export type Mechanic = components['schemas']['Mechanic']
export type RankedMechanic = components['schemas']['RankedMechanic']

export const toMechanic = (row: MechanicRecord): Mechanic =>
  ({ id: row.id, name: row.name, email: row.email, phone: row.phone, salary: toMoney(row.salary) })

export const toRankedMechanic = (row: RankedMechanicRecord): RankedMechanic =>
  ({ ...toMechanic(row), ticket_count: row.ticket_count })
