// A ticket's part and labor lines as the API shows them: on the ticket, and frozen in an invoice's
// snapshot. The database sends amounts as exact numeric text; each is converted once here.
import { toMoney } from '../lib/money.js'

interface PartLineText { part_id: number, name: string, price: string, quantity: number, line_total: string }
interface LaborLineText { id: number, description: string, hours: string, rate: string, line_total: string, mechanic_id: number | null }

export const toPartLine = (p: PartLineText) => ({
  part_id: p.part_id,
  name: p.name,
  price: toMoney(p.price),
  quantity: p.quantity,
  line_total: toMoney(p.line_total),
})

export const toLaborLine = (l: LaborLineText) => ({
  id: l.id,
  description: l.description,
  hours: Number(l.hours),
  rate: toMoney(l.rate),
  line_total: toMoney(l.line_total),
  mechanic_id: l.mechanic_id,
})
