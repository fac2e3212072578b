// Stock of tracked parts: counts, receipts, the ledger and the reorder list; mechanic-only (the
// contract's `bearer` requirement). receiveStock is x-idempotent: it writes through the
// transaction the idempotency mechanism opened, so its stored answer commits with the receipt.
import type { FastifyRequest } from 'fastify'
import type { Handlers } from '../../generated/handlers.js'
import { countStock, findStock, listMovements, listStock, receiveStock, type Actor } from '../db/stock.js'
import { notFound } from '../errors.js'
import { paginated } from '../lib/pagination.js'
import { callerId } from '../plugins/auth.js'
import { toStock, toStockMovement } from '../views/stock.js'
import type { Deps } from './deps.js'

type StockHandlers = Pick<Handlers, 'getPartStock' | 'countPartStock' | 'receiveStock' | 'listStockMovements' | 'listStock'>

const actorOf = (req: FastifyRequest): Actor => ({ role: req.user.role, id: callerId(req) })

export function stockHandlers ({ db }: Deps): StockHandlers {
  return {
    async getPartStock (req) {
      const id = req.params.part_id
      const row = await findStock(db, id)
      if (row === undefined) throw notFound('part', id)
      return { status: 200, body: toStock(row) }
    },

    async countPartStock (req) {
      const id = req.params.part_id
      const { on_hand, reorder_point } = req.body
      const row = await countStock(db, id, on_hand, reorder_point, actorOf(req))
      if (row === undefined) throw notFound('part', id)
      return { status: 200, body: toStock(row) }
    },

    async receiveStock (req, _reply, trx) {
      const id = req.params.part_id
      const { quantity, reference } = req.body
      const row = await receiveStock(trx, id, quantity, reference, actorOf(req))
      if (row === undefined) throw notFound('part', id)
      return { status: 201, body: toStock(row), headers: { location: `/inventory/${id}/stock` } }
    },

    async listStockMovements (req) {
      const id = req.params.part_id
      if (await findStock(db, id) === undefined) throw notFound('part', id)
      const { rows, total } = await listMovements(db, id, req.query)
      return paginated(req.url, req.query, rows.map(toStockMovement), total)
    },

    async listStock (req) {
      const { rows, total } = await listStock(db, req.query.below_reorder_point, req.query)
      return paginated(req.url, req.query, rows.map(toStock), total)
    },
  }
}
