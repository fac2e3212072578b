// The parts catalogue: public reads, mechanic-only writes (the contract's `bearer` requirement).
// ETag, Cache-Control and the response cache of listParts and getPart come from the caching plugin
// (`x-cache` in openapi.yaml), not from these handlers.
import type { Handlers } from '../../generated/handlers.js'
import { deletePart, findPart, insertPart, listParts, updatePart } from '../db/inventory.js'
import { found } from '../errors.js'
import { listAnswer } from '../lib/pagination.js'
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
      return listAnswer(req, await listParts(db, req.query), toPart)
    },

    async getPart (req) {
      const id = req.params.part_id
      return { status: 200, body: toPart(found(await findPart(db, id), 'part', id)) }
    },

    async updatePart (req) {
      const id = req.params.part_id
      const { name, price } = req.body
      return { status: 200, body: toPart(found(await updatePart(db, id, { name, price }), 'part', id)) }
    },

    async deletePart (req) {
      const id = req.params.part_id
      found(await deletePart(db, id), 'part', id)
      return { status: 204 }
    },
  }
}
