// Stock of tracked parts: counts, receipts, the ledger and the reorder list; mechanic-only (the
// contract's `bearer` requirement). receiveStock is x-idempotent: it writes through the
// transaction the idempotency mechanism opened, so its stored answer commits with the receipt.
import type { FastifyRequest } from 'fastify'
import type { Handlers } from '../../generated/handlers.js'
import { countStock, findStock, listMovements, listStock, receiveStock, type Actor } from '../db/stock.js'
import { found } from '../errors.js'
import { listAnswer } from '../lib/pagination.js'
import { callerId } from '../plugins/auth.js'
import { toStock, toStockMovement } from '../views/stock.js'
import type { Deps } from './deps.js'

type StockHandlers = Pick<Handlers, 'getPartStock' | 'countPartStock' | 'receiveStock' | 'listStockMovements' | 'listStock'>

const actorOf = (req: FastifyRequest): Actor => ({ role: req.user.role, id: callerId(req) })

export function stockHandlers ({ db }: Deps): StockHandlers {
  return {
    async getPartStock (req) {
      const id = req.params.part_id
      return { status: 200, body: toStock(found(await findStock(db, id), 'part', id)) }
    },

    async countPartStock (req) {
      const id = req.params.part_id
      const { on_hand, reorder_point } = req.body
      return { status: 200, body: toStock(found(await countStock(db, id, on_hand, reorder_point, actorOf(req)), 'part', id)) }
    },

    async receiveStock (req, _reply, trx) {
      const id = req.params.part_id
      const { quantity, reference } = req.body
      const row = found(await receiveStock(trx, id, quantity, reference, actorOf(req)), 'part', id)
      return { status: 201, body: toStock(row), headers: { location: `/inventory/${id}/stock` } }
    },

    async listStockMovements (req) {
      const id = req.params.part_id
      found(await findStock(db, id), 'part', id)
      return listAnswer(req, await listMovements(db, id, req.query), toStockMovement)
    },

    async listStock (req) {
      return listAnswer(req, await listStock(db, req.query.below_reorder_point, req.query), toStock)
    },
  }
}
