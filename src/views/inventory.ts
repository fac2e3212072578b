// Parts as the API shows them: numeric price text becomes a JSON number.
import type { components } from '../../generated/api.js'
import type { PartRecord } from '../db/inventory.js'
import { toMoney } from '../lib/money.js'

export type Part = components['schemas']['Part']

export const toPart = (row: PartRecord): Part => ({ id: row.id, name: row.name, price: toMoney(row.price) })
