// Status changes: transitions and approvals. Each is ONE conditional update,
//   UPDATE service_tickets SET status = $to, version = version + 1 … WHERE id = $id AND status = $from AND version = $seen
//   … AND etag = $seen_etag
// decided on what was read just before. No row back means another write committed in between
// (a transition, or a line write, which raises the version), or a price or tax rate changed the
// ticket's ETag (ticket-etag.ts): the decision is taken again on the new state, so two concurrent
// transitions from one status give one success and one 409, never two. The ETag in the condition
// also pins the total that the reauthorization check and an approval's authorized_total were
// computed from, and If-Match is held against the ETag the update itself sees. Cancelling (a
// transition or a decline) gives the lines' stock back in the same transaction.
import { sql, type Kysely } from 'kysely'
import { APPROVE_FROM, canTransition, DECLINE_FROM, TRANSITIONS, type TicketStatus } from '../lib/ticket-workflow.js'
import { viewOf, type TicketViewRow } from './service-tickets.js'
import { ticketETagOf } from './ticket-etag.js'
import { appendEvent, assertIfMatch, type WriteContext } from './ticket-guard.js'
import { RowNotFound } from './pg-errors.js'
import type { Database } from './schema.js'
import { IllegalTransition, ReauthorizationRequired, TicketContention } from './ticket-errors.js'
import { releaseTicketStock } from './ticket-stock.js'
import { ticketTotalOf } from './ticket-totals.js'

/** Rounds of "read, decide, conditional update" before giving up under a storm of writes. */
const MAX_ATTEMPTS = 50

interface TicketState {
  id: number
  customer_id: number
  status: TicketStatus
  version: number
  etag: string
  /** parts_total + labor_total (ticket-totals.ts). */
  total: string
  authorized_total: string | null
  /** total > coalesce(authorized_total, 0), decided on numeric. */
  exceeds_authorization: boolean
}

async function readState (trx: Kysely<Database>, id: number): Promise<TicketState> {
  // Parts and labor: the ticket's `total` of every answer.
  const ticketTotal = ticketTotalOf(sql.ref('st.id'))
  const state = await trx.selectFrom('service_tickets as st')
    .select(['st.id', 'st.customer_id', 'st.status', 'st.version', 'st.authorized_total'])
    .select([
      sql<string>`${ticketTotal}::text`.as('total'),
      sql<boolean>`${ticketTotal} > coalesce(st.authorized_total, 0)`.as('exceeds_authorization'),
      ticketETagOf({ id: sql.ref('st.id'), version: sql.ref('st.version') }).as('etag'),
    ])
    .where('st.id', '=', id)
    .executeTakeFirst()
  if (state === undefined) throw new RowNotFound('service ticket', id)
  return state
}

const refuse = (id: number, from: TicketStatus, to: string) =>
  new IllegalTransition(`Service ticket ${id} cannot go from ${from} to ${to}.`, from, to, TRANSITIONS[from])

type Decision = (state: TicketState) => {
  set: Record<string, unknown>
  event: Parameters<typeof appendEvent>[3]
  data: Record<string, unknown>
}

/**
 * Reads the ticket, lets `decide` refuse (by throwing) or name the change, and applies it with one
 * conditional update; when another write got there first, decides again on what it left.
 * `visibleTo` hides another customer's ticket as 404.
 */
async function changeStatus (db: Kysely<Database>, id: number, context: WriteContext, decide: Decision, visibleTo?: number): Promise<TicketViewRow> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const view = await db.transaction().execute(async (trx) => {
      const state = await readState(trx, id)
      if (visibleTo !== undefined && state.customer_id !== visibleTo) throw new RowNotFound('service ticket', id)
      assertIfMatch(state, context.ifMatch)
      const { set, event, data } = decide(state)
      // A cancel gives its lines' stock back before its status changes: the status change locks
      // the status counters (their trigger), and a delete locks stock rows before them, so every
      // writer takes stock rows before counters. The conditional update decides either way.
      const cancelling = set.status === 'cancelled'
      const { status, ...rest } = set
      const updated = await trx.updateTable('service_tickets')
        .set({ ...(cancelling ? rest : set), version: sql<number>`version + 1`, updated_at: sql<Date>`now()` })
        .where('id', '=', id)
        .where('status', '=', state.status)
        .where('version', '=', state.version)
        .where(ticketETagOf({ id: sql.ref('service_tickets.id'), version: sql.ref('service_tickets.version') }), '=', state.etag)
        .returning('id')
        .executeTakeFirst()
      if (updated === undefined) return undefined
      if (cancelling) {
        // The update holds the ticket row now, so its lines are the ones decided on; cancelled is
        // final, so this is the one time a cancelled ticket's lines give their stock back.
        await releaseTicketStock(trx, id, context.actor)
        await trx.updateTable('service_tickets').set({ status: status as TicketStatus }).where('id', '=', id).execute()
      }
      await appendEvent(trx, id, context.actor, event, data)
      return await viewOf(trx, id)
    })
    if (view !== undefined) return view
  }
  throw new TicketContention(`Service ticket ${id} kept changing; try again.`)
}

/** POST /transitions: `to` must be in TRANSITIONS[from]; completing needs the total authorized. */
export async function transitionTicket (db: Kysely<Database>, id: number, to: TicketStatus, reason: string | undefined, context: WriteContext): Promise<TicketViewRow> {
  return await changeStatus(db, id, context, (state) => {
    const from = state.status
    if (!canTransition(from, to)) throw refuse(id, from, to)
    if (to === 'completed' && state.exceeds_authorization) {
      throw new ReauthorizationRequired(`Service ticket ${id} totals ${state.total} but ${state.authorized_total ?? '0.00'} is authorized; the customer must approve the difference first.`)
    }
    // Revising an approved ticket back to an estimate withdraws its approval.
    const clear = to === 'estimate' ? { authorized_total: null, authorized_at: null, authorized_by_role: null, authorized_by_id: null } : {}
    return { set: { status: to, ...clear }, event: 'status_changed', data: { from, to, ...(reason === undefined ? {} : { reason }) } }
  })
}

/**
 * POST /approval. `approve` authorizes the current total (estimate → approved; approved and
 * in_progress keep their status); `decline` cancels an estimate. A customer reaches only their own.
 */
export async function recordApproval (db: Kysely<Database>, id: number, decision: 'approve' | 'decline', note: string | undefined, context: WriteContext): Promise<TicketViewRow> {
  const visibleTo = context.actor.role === 'customer' ? context.actor.id : undefined
  const withNote = note === undefined ? {} : { note }
  return await changeStatus(db, id, context, (state) => {
    const from = state.status
    if (decision === 'decline') {
      if (!DECLINE_FROM.includes(from)) throw refuse(id, from, 'cancelled')
      return { set: { status: 'cancelled' }, event: 'declined', data: { from, to: 'cancelled', ...withNote } }
    }
    const to = APPROVE_FROM[from]
    if (to === undefined) throw refuse(id, from, 'approved')
    return {
      set: {
        status: to,
        authorized_total: state.total,
        authorized_at: sql<Date>`now()`,
        authorized_by_role: context.actor.role,
        authorized_by_id: context.actor.id,
      },
      event: 'approved',
      data: { from, to, authorized_total: Number(state.total), ...withNote },
    }
  }, visibleTo)
}
