// The shop's settings as the API shows them: exact numeric text becomes JSON numbers.
import type { components } from '../../generated/api.js'
import type { ShopSettingsRecord } from '../db/shop-settings.js'
import { toMoney } from '../lib/money.js'

export type ShopSettings = components['schemas']['ShopSettings']

export const toShopSettings = (row: ShopSettingsRecord): ShopSettings => ({
  labor_rate: toMoney(row.labor_rate),
  parts_tax_rate: Number(row.parts_tax_rate),
  labor_tax_rate: Number(row.labor_tax_rate),
})
