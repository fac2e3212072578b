// Hand-written to match migrations/; connect.ts configures both drivers so that the runtime
// values really have these types (see the type parsers there).
import type { ColumnType, GeneratedAlways, Selectable } from 'kysely'

/** numeric(12,2): read as a decimal string so cents never pass through a float. */
type Money = ColumnType<string, string | number, string | number>
/** `date`: the driver hands back PostgreSQL's own YYYY-MM-DD text, never a JS Date at some midnight. */
type DateOnly = ColumnType<string, string, string>
type CreatedAt = ColumnType<Date, never, never>
/**
 * `generated always as identity`: PostgreSQL rejects an explicit id, so the types refuse
 * one too (GeneratedAlways is Kysely's Generated that is also never insertable).
 */
type Id = GeneratedAlways<number>

interface CustomerTable {
  id: Id
  name: string
  email: string
  phone: string
  password_hash: string
  created_at: CreatedAt
}

interface MechanicTable {
  id: Id
  name: string
  email: string
  phone: string
  salary: Money
  password_hash: string
  /** Maintained by triggers on service_mechanics; writing it would break the invariant. */
  ticket_count: GeneratedAlways<number>
  created_at: CreatedAt
}

interface InventoryTable {
  id: Id
  name: string
  price: Money
  created_at: CreatedAt
}

interface ServiceTicketTable {
  id: Id
  customer_id: number
  vin: string
  service_date: DateOnly
  service_desc: string
  created_at: CreatedAt
}

interface ServiceMechanicTable {
  ticket_id: number
  mechanic_id: number
}

interface TicketPartTable {
  ticket_id: number
  part_id: number
  quantity: number
}

/** Maintained by triggers; the API only reads it. int8, which both drivers return as a number. */
interface RowCountTable {
  table_name: string
  n: number
}

export interface Database {
  customers: CustomerTable
  mechanics: MechanicTable
  inventory: InventoryTable
  service_tickets: ServiceTicketTable
  service_mechanics: ServiceMechanicTable
  ticket_parts: TicketPartTable
  row_counts: RowCountTable
}

// The rows repositories hand to views and handlers.
export type CustomerRow = Selectable<CustomerTable>
export type MechanicRow = Selectable<MechanicTable>
export type InventoryRow = Selectable<InventoryTable>
