// Customer rows as the API shows them. Fields are picked one by one, so a column added to the
// table (or a row that carries password_hash) never reaches a response unannounced.
import type { components } from '../../generated/api.js'
import type { CustomerRecord } from '../db/customers.js'

export type Customer = components['schemas']['Customer']

export const toCustomer = (row: CustomerRecord): Customer =>
  ({ id: row.id, name: row.name, email: row.email, phone: row.phone })
