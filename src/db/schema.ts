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

interface VehicleTable {
  id: Id
  customer_id: number
  vin: string
  year: number | null
  make: string | null
  model: string | null
  license_plate: string | null
  created_at: CreatedAt
}

/** One of the CHECK constraint's statuses; src/lib/ticket-workflow.ts names them and their order. */
type TicketStatusColumn = 'estimate' | 'approved' | 'in_progress' | 'completed' | 'invoiced' | 'paid' | 'cancelled'
export type ActorRole = 'customer' | 'mechanic'

interface ServiceTicketTable {
  id: Id
  customer_id: number
  vehicle_id: number
  vin: string
  service_date: DateOnly
  service_desc: string
  status: ColumnType<TicketStatusColumn, TicketStatusColumn | undefined, TicketStatusColumn>
  version: ColumnType<number, never, number>
  odometer_in: number | null
  odometer_out: number | null
  authorized_total: ColumnType<string | null, never, string | number | null>
  authorized_at: ColumnType<Date | null, never, Date | null>
  authorized_by_role: ColumnType<ActorRole | null, never, ActorRole | null>
  authorized_by_id: ColumnType<number | null, never, number | null>
  created_at: CreatedAt
  updated_at: ColumnType<Date, never, Date>
}

/** One successful write to a ticket, written in the same transaction as the write. */
interface TicketEventTable {
  /** int8, which both drivers return as a number (see connect.ts). */
  id: GeneratedAlways<number>
  ticket_id: number
  type: string
  actor_role: ActorRole
  actor_id: number
  data: ColumnType<Record<string, unknown>, string, never>
  at: CreatedAt
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

/** numeric(5,4): a rate from 0 to 1, as decimal text. */
type Rate = ColumnType<string, string, string>
type UpdatedAt = ColumnType<Date, never, Date | string>

/** Exactly one row (id is always true). */
export interface ShopSettingsTable {
  id: ColumnType<boolean, never, never>
  labor_rate: Money
  parts_tax_rate: Rate
  labor_tax_rate: Rate
  updated_at: UpdatedAt
}

/** A part is tracked exactly when it has a row here. */
interface StockLevelTable {
  part_id: number
  on_hand: number
  reorder_point: ColumnType<number, number | undefined, number>
  updated_at: UpdatedAt
}

export type StockMovementKind = 'count' | 'receipt' | 'ticket' | 'return'

interface StockMovementTable {
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

interface IdempotencyKeyTable {
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

/** The one row invoice numbers come from (id is always true). */
interface InvoiceNumberTable {
  id: ColumnType<boolean, never, never>
  last_number: ColumnType<number, never, number>
}

export type InvoiceStatus = 'open' | 'paid' | 'void'
export type PaymentMethod = 'cash' | 'card' | 'check' | 'other'

/** Money as it travels inside the snapshot's JSON: decimal text, never a JSON number. */
export interface InvoicePartLine { part_id: number, name: string, price: string, quantity: number, line_total: string }
export interface InvoiceLaborLine { id: number, description: string, hours: string, rate: string, line_total: string, mechanic_id: number | null }
export interface InvoiceCustomer { id: number, name: string, email: string, phone: string }
export interface InvoiceVehicle { id: number, vin: string, year: number | null, make: string | null, model: string | null, license_plate: string | null }

/** numeric(16,2): an invoice's amounts, which may exceed numeric(12,2). */
type InvoiceMoney = ColumnType<string, string, string>
type Json<T> = ColumnType<T, string, string>

/** A snapshot of a completed ticket, taken when it is issued; only status and amount_paid change. */
interface InvoiceTable {
  id: Id
  number: number
  ticket_id: number
  customer_id: number
  status: ColumnType<InvoiceStatus, InvoiceStatus | undefined, InvoiceStatus>
  issued_at: CreatedAt
  voided_at: ColumnType<Date | null, never, Date | null>
  customer: Json<InvoiceCustomer>
  vehicle: Json<InvoiceVehicle>
  odometer_in: number | null
  odometer_out: number | null
  parts: Json<InvoicePartLine[]>
  labor: Json<InvoiceLaborLine[]>
  parts_total: InvoiceMoney
  labor_total: InvoiceMoney
  parts_tax_rate: Rate
  labor_tax_rate: Rate
  tax: InvoiceMoney
  total: InvoiceMoney
  amount_paid: ColumnType<string, string | undefined, string>
}

interface InvoicePaymentTable {
  id: Id
  invoice_id: number
  amount: InvoiceMoney
  method: PaymentMethod
  reference: string | null
  at: CreatedAt
  actor_role: ActorRole
  actor_id: number
}

/** One login's session; `id` is the tokens' `sid`. Exactly one of the account columns is set. */
interface SessionTable {
  id: string
  customer_id: number | null
  mechanic_id: number | null
  created_at: CreatedAt
  expires_at: ColumnType<Date, Date | string, Date | string>
}

/** A refresh token of a session, by the base64url SHA-256 of its value; never the value itself. */
interface RefreshTokenTable {
  token_hash: string
  session_id: string
  expires_at: ColumnType<Date, Date | string, Date | string>
  spent_at: ColumnType<Date | null, never, Date | string | null>
}

export interface Database {
  customers: CustomerTable
  mechanics: MechanicTable
  inventory: InventoryTable
  vehicles: VehicleTable
  service_tickets: ServiceTicketTable
  ticket_events: TicketEventTable
  service_mechanics: ServiceMechanicTable
  ticket_parts: TicketPartTable
  row_counts: RowCountTable
  shop_settings: ShopSettingsTable
  stock_levels: StockLevelTable
  stock_movements: StockMovementTable
  idempotency_keys: IdempotencyKeyTable
  invoice_numbers: InvoiceNumberTable
  invoices: InvoiceTable
  invoice_payments: InvoicePaymentTable
  sessions: SessionTable
  refresh_tokens: RefreshTokenTable
}

// The rows repositories hand to views and handlers.
export type CustomerRow = Selectable<CustomerTable>
export type MechanicRow = Selectable<MechanicTable>
export type InventoryRow = Selectable<InventoryTable>

export type VehicleRow = Selectable<VehicleTable>
