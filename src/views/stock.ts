// Stock levels and ledger entries as the API shows them.
import type { components } from '../../generated/api.js'
import type { MovementRecord, StockRecord } from '../db/stock.js'

export type Stock = components['schemas']['Stock']
export type StockMovement = components['schemas']['StockMovement']

export const toStock = (row: StockRecord): Stock => ({
  part_id: row.part_id,
  name: row.name,
  tracked: row.on_hand !== null,
  on_hand: row.on_hand,
  reorder_point: row.reorder_point,
  below_reorder_point: row.on_hand !== null && row.reorder_point !== null && row.on_hand < row.reorder_point,
})

export const toStockMovement = (row: MovementRecord): StockMovement => ({
  id: row.id,
  kind: row.kind,
  quantity: row.quantity,
  on_hand_after: row.on_hand_after,
  ticket_id: row.ticket_id,
  reference: row.reference,
  at: row.at.toISOString(),
  actor: { role: row.actor_role, id: row.actor_id },
})
