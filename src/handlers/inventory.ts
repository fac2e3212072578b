// The parts catalogue: public reads, mechanic-only writes (the contract's `bearer` requirement).
// listParts and getPart are where ETag, Cache-Control and the server cache will go.
import type { Handlers } from '../../generated/handlers.js'
import { deletePart, findPart, insertPart, listParts, updatePart } from '../db/inventory.js'
import { notFound } from '../errors.js'
import { paginated } from '../lib/pagination.js'
import { toPart } from '../views/inventory.js'
import type { Deps } from './deps.js'

type InventoryHandlers = Pick<Handlers, 'createPart' | 'listParts' | 'getPart' | 'updatePart' | 'deletePart'>

export function inventoryHandlers ({ db }: Deps): InventoryHandlers {
  return {
    // x-idempotent: the part is inserted in the transaction that stores the answer for its key.
    async createPart (req, _reply, trx) {
      const { name, price } = req.body
      const row = await insertPart(trx, { name, price })
      return { status: 201, body: toPart(row), headers: { location: `/inventory/${row.id}` } }
    },

    async listParts (req) {
      const { rows, total } = await listParts(db, req.query)
      return paginated(req.url, req.query, rows.map(toPart), total)
    },

    async getPart (req) {
      const id = req.params.part_id
      const row = await findPart(db, id)
      if (row === undefined) throw notFound('part', id)
      return { status: 200, body: toPart(row) }
    },

    async updatePart (req) {
      const id = req.params.part_id
      const { name, price } = req.body
      const row = await updatePart(db, id, { name, price })
      if (row === undefined) throw notFound('part', id)
      return { status: 200, body: toPart(row) }
    },

    async deletePart (req) {
      const id = req.params.part_id
      if (!await deletePart(db, id)) throw notFound('part', id)
      return { status: 204 }
    },
  }
}
