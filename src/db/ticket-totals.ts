// A ticket's money, in one place: what a part line and the labor lines add up to, the total, the
// tax at the shop's current rates and the grand total. The ticket views (every ticket answer), the
// approval's authorized_total, the completion check and invoices all read these expressions, so
// they can never disagree by a cent.
//
//   parts_total = Σ price × quantity              (part lines, at the parts' current prices)
//   labor_total = Σ line_total                    (line_total = round(hours × rate, 2), a stored column)
//   total       = parts_total + labor_total
//   tax         = round(parts_total × parts_tax_rate, 2) + round(labor_total × labor_tax_rate, 2)
//   grand_total = total + tax
//
// Everything is numeric in SQL and leaves the database as text (see service-tickets.ts); round()
// on numeric rounds half away from zero, which for these amounts (never negative) is half-up.
import { sql, type Expression, type RawBuilder } from 'kysely'

/** A ticket's amounts and the rates its tax was computed at, as exact decimal text. */
export interface TicketTotals {
  parts_total: string
  labor_total: string
  total: string
  parts_tax_rate: string
  labor_tax_rate: string
  tax: string
  grand_total: string
}

/** A part line's total, inside a query over `ticket_parts tp join inventory i on i.id = tp.part_id`. */
export const PART_LINE_TOTAL: RawBuilder<string> = sql<string>`(i.price * tp.quantity)`

/** The sum of a ticket's part lines, numeric (0 without any). */
const partsTotalOf = (ticketId: Expression<number>): RawBuilder<string> =>
  sql<string>`(select coalesce(sum(${PART_LINE_TOTAL}), 0) from ticket_parts tp join inventory i on i.id = tp.part_id where tp.ticket_id = ${ticketId})`

/** The sum of a ticket's labor lines, numeric (0 without any). */
const laborTotalOf = (ticketId: Expression<number>): RawBuilder<string> =>
  sql<string>`(select coalesce(sum(ll.line_total), 0) from ticket_labor_lines ll where ll.ticket_id = ${ticketId})`

/** A ticket's total, numeric: what an approval authorizes and completion compares with. */
export const ticketTotalOf = (ticketId: Expression<number>): RawBuilder<string> =>
  sql<string>`(${partsTotalOf(ticketId)} + ${laborTotalOf(ticketId)})`

/**
 * One row of TicketTotals from the sums of a ticket's part and labor lines (null counts as 0), at
 * the shop's current tax rates: join it laterally (`.innerJoinLateral(ticketMoney(a, b).as('money'), (j) => j.onTrue())`).
 */
export function ticketMoney (partsTotal: Expression<string | null>, laborTotal: Expression<string | null>): RawBuilder<TicketTotals> {
  // The settings row always exists (one row, inserted by its migration); the left join keeps
  // every ticket even if it did not, at rates 0.
  return sql<TicketTotals>`(
    select t.parts_total::text as parts_total, t.labor_total::text as labor_total,
      (t.parts_total + t.labor_total)::text as total,
      t.parts_tax_rate::text as parts_tax_rate, t.labor_tax_rate::text as labor_tax_rate,
      (t.parts_tax + t.labor_tax)::text as tax,
      (t.parts_total + t.labor_total + t.parts_tax + t.labor_tax)::text as grand_total
    from (
      select a.parts_total, a.labor_total, coalesce(s.parts_tax_rate, 0) as parts_tax_rate, coalesce(s.labor_tax_rate, 0) as labor_tax_rate,
        round(a.parts_total * coalesce(s.parts_tax_rate, 0), 2) as parts_tax,
        round(a.labor_total * coalesce(s.labor_tax_rate, 0), 2) as labor_tax
      from (select coalesce(${partsTotal}, 0)::numeric as parts_total, coalesce(${laborTotal}, 0)::numeric as labor_total) a
      left join shop_settings s on true
    ) t
  )`
}

/** A ticket's tax at the shop's current rates, as exact decimal text: the `tax` of its view. */
export const ticketTaxOf = (ticketId: Expression<number>): RawBuilder<string> =>
  sql<string>`(select money.tax from ${ticketMoney(partsTotalOf(ticketId), laborTotalOf(ticketId))} as money)`
