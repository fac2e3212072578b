// The shop's settings: mechanic-only (the contract's `bearer` requirement).
import type { Handlers } from '../../generated/handlers.js'
import { readShopSettings, writeShopSettings } from '../db/shop-settings.js'
import { toShopSettings } from '../views/shop-settings.js'
import type { Deps } from './deps.js'

type ShopHandlers = Pick<Handlers, 'getShopSettings' | 'updateShopSettings'>

export function shopHandlers ({ db }: Deps): ShopHandlers {
  return {
    async getShopSettings () {
      return { status: 200, body: toShopSettings(await readShopSettings(db)) }
    },

    async updateShopSettings (req) {
      const { labor_rate, parts_tax_rate, labor_tax_rate } = req.body
      return { status: 200, body: toShopSettings(await writeShopSettings(db, { labor_rate, parts_tax_rate, labor_tax_rate })) }
    },
  }
}
