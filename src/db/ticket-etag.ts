// A ticket's strong validator, built in SQL so that the statement that locks a ticket for a write
// (ticket-guard.ts), the conditional update of a status change (ticket-status.ts), the update that
// raises the version and the ticket view all compute it the same way, with no extra round trip.
//
// The version changes with every write to the ticket, but a ticket also shows what lives outside
// its rows and changes without a write: its part lines' names and current catalogue prices (and
// so the line totals, parts_total, total and grand_total), its mechanics' names (and assignments
// that a mechanic's deletion takes away, and the labor lines' mechanic it sets to null), and its tax
// at the shop's current rates. RFC 9110 wants a
// strong validator to change whenever the representation does, so the ETag carries a digest of
// those too: "ticket-{id}-v{version}-{digest}".
import { sql, type Expression, type RawBuilder } from 'kysely'
import { ticketTaxOf } from './ticket-totals.js'

/**
 * What the ticket shows that can change without a write, as text. Quantities, the rest of the labor
 * lines and the ticket's own columns change only through writes, which the version already counts.
 */
const outsideStateOf = (ticketId: Expression<number>, tax: Expression<string>): RawBuilder<string> => sql<string>`concat_ws('/',
  (select coalesce(json_agg(json_build_array(tp.part_id, i.name, i.price::text) order by tp.part_id), '[]')::text
    from ticket_parts tp join inventory i on i.id = tp.part_id where tp.ticket_id = ${ticketId}),
  (select coalesce(json_agg(json_build_array(m.id, m.name) order by m.id), '[]')::text
    from service_mechanics sm join mechanics m on m.id = sm.mechanic_id where sm.ticket_id = ${ticketId}),
  (select coalesce(json_agg(json_build_array(ll.id, ll.mechanic_id) order by ll.id), '[]')::text
    from ticket_labor_lines ll where ll.ticket_id = ${ticketId}),
  ${tax})`

/**
 * The ETag of the ticket whose id and version these expressions name. `tax` is the ticket's tax
 * when the query already computed it (the view's ticketMoney); otherwise it is computed here.
 * 64 bits of md5 are plenty to tell one state of a ticket from the next.
 */
export function ticketETagOf (ticket: { id: Expression<number>, version: Expression<number> }, tax?: Expression<string>): RawBuilder<string> {
  const outside = outsideStateOf(ticket.id, tax ?? ticketTaxOf(ticket.id))
  return sql<string>`concat('"ticket-', ${ticket.id}, '-v', ${ticket.version}, '-', left(md5(${outside}), 16), '"')`
}
