// The shop's one settings row. Rates go in as four-decimal text and money as two-decimal text,
// so no float meets a numeric column.
import { sql, type Kysely, type Selectable } from 'kysely'
import { toNumeric } from '../lib/money.js'
import type { Database, ShopSettingsTable } from './schema.js'

const COLUMNS = ['labor_rate', 'parts_tax_rate', 'labor_tax_rate'] as const

export type ShopSettingsRecord = Pick<Selectable<ShopSettingsTable>, (typeof COLUMNS)[number]>

/** The API's numbers. */
export interface ShopSettingsValues { labor_rate: number, parts_tax_rate: number, labor_tax_rate: number }

/** A rate the contract allows (0–1, four decimals) as exact numeric(5,4) text. */
const toRate = (rate: number): string => rate.toFixed(4)

export async function readShopSettings (db: Kysely<Database>): Promise<ShopSettingsRecord> {
  return await db.selectFrom('shop_settings').select(COLUMNS).executeTakeFirstOrThrow()
}

export async function writeShopSettings (db: Kysely<Database>, values: ShopSettingsValues): Promise<ShopSettingsRecord> {
  return await db.updateTable('shop_settings')
    .set({
      labor_rate: toNumeric(values.labor_rate),
      parts_tax_rate: toRate(values.parts_tax_rate),
      labor_tax_rate: toRate(values.labor_tax_rate),
      updated_at: sql<Date>`now()`,
    })
    .returning(COLUMNS)
    .executeTakeFirstOrThrow()
}
