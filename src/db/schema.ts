// Hand-written to match migrations/; connect.ts configures both drivers so that the runtime
// values really have these types (see the type parsers there).
import type { ColumnType, GeneratedAlways, Insertable, Selectable, Updateable } from 'kysely'

/** numeric(12,2): read as a decimal string so cents never pass through a float. */
export type Money = ColumnType<string, string | number, string | number>
/** `date`: the driver hands back PostgreSQL's own YYYY-MM-DD text, never a JS Date at some midnight. */
export type DateOnly = ColumnType<string, string, string>
export type CreatedAt = ColumnType<Date, never, never>
/**
 * `generated always as identity`: PostgreSQL rejects an explicit id, so the types refuse
 * one too (GeneratedAlways is Kysely's Generated that is also never insertable).
 */
export type Id = GeneratedAlways<number>

export interface CustomerTable {
  id: Id
  name: string
  email: string
  phone: string
  password_hash: string
  created_at: CreatedAt
}

export interface MechanicTable {
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

export interface InventoryTable {
  id: Id
  name: string
  price: Money
  created_at: CreatedAt
}

export interface ServiceTicketTable {
  id: Id
  customer_id: number
  vin: string
  service_date: DateOnly
  service_desc: string
  created_at: CreatedAt
}

export interface ServiceMechanicTable {
  ticket_id: number
  mechanic_id: number
}

export interface TicketPartTable {
  ticket_id: number
  part_id: number
  quantity: number
}

/** Maintained by triggers; the API only reads it. int8, which both drivers return as a number. */
export interface RowCountTable {
  table_name: string
  n: number
}

/** numeric(5,4): a rate from 0 to 1, as decimal text. */
export type Rate = ColumnType<string, string, string>
export type UpdatedAt = ColumnType<Date, never, Date | string>

/** Exactly one row (id is always true). */
export interface ShopSettingsTable {
  id: ColumnType<boolean, never, never>
  labor_rate: Money
  parts_tax_rate: Rate
  labor_tax_rate: Rate
  updated_at: UpdatedAt
}

/** A part is tracked exactly when it has a row here. */
export interface StockLevelTable {
  part_id: number
  on_hand: number
  reorder_point: ColumnType<number, number | undefined, number>
  updated_at: UpdatedAt
}

export type StockMovementKind = 'count' | 'receipt' | 'ticket' | 'return'

export interface StockMovementTable {
  id: Id
  part_id: number
  kind: StockMovementKind
  quantity: number
  on_hand_after: number
  ticket_id: number | null
  reference: string | null
  at: CreatedAt
  actor_role: 'customer' | 'mechanic'
  actor_id: number
}

export interface IdempotencyKeyTable {
  id: GeneratedAlways<number>
  scope: string
  route: string
  key: string
  fingerprint: string
  /** Null until the request that claimed the key has its answer (in the same transaction). */
  status: number | null
  headers: ColumnType<Record<string, string> | null, string | null, string | null>
  body: ColumnType<unknown, string | null, string | null>
  created_at: CreatedAt
  expires_at: ColumnType<Date, Date | string, Date | string>
}

export interface Database {
  customers: CustomerTable
  mechanics: MechanicTable
  inventory: InventoryTable
  service_tickets: ServiceTicketTable
  service_mechanics: ServiceMechanicTable
  ticket_parts: TicketPartTable
  row_counts: RowCountTable
  shop_settings: ShopSettingsTable
  stock_levels: StockLevelTable
  stock_movements: StockMovementTable
  idempotency_keys: IdempotencyKeyTable
}

export type CustomerRow = Selectable<CustomerTable>
export type NewCustomer = Insertable<CustomerTable>
export type CustomerUpdate = Updateable<CustomerTable>

export type MechanicRow = Selectable<MechanicTable>
export type NewMechanic = Insertable<MechanicTable>
export type MechanicUpdate = Updateable<MechanicTable>

export type InventoryRow = Selectable<InventoryTable>
export type NewInventory = Insertable<InventoryTable>
export type InventoryUpdate = Updateable<InventoryTable>

export type ServiceTicketRow = Selectable<ServiceTicketTable>
export type NewServiceTicket = Insertable<ServiceTicketTable>
export type ServiceTicketUpdate = Updateable<ServiceTicketTable>

export type ServiceMechanicRow = Selectable<ServiceMechanicTable>
export type NewServiceMechanic = Insertable<ServiceMechanicTable>
export type ServiceMechanicUpdate = Updateable<ServiceMechanicTable>

export type TicketPartRow = Selectable<TicketPartTable>
export type NewTicketPart = Insertable<TicketPartTable>
export type TicketPartUpdate = Updateable<TicketPartTable>
