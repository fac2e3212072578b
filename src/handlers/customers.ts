// Customers: sign-up, login, and the owner-or-mechanic record operations. The `bearer` security
// handler has already checked the token and its role; ownership needs the path id, so it is here.
import type { FastifyRequest } from 'fastify'
import type { Handlers } from '../../generated/handlers.js'
import {
  deleteCustomer,
  findCustomerById,
  insertCustomer,
  listCustomers,
  updateCustomer,
} from '../db/customers.js'
import { forbidden, found } from '../errors.js'
import { listAnswer } from '../lib/pagination.js'
import { callerId, callerSession } from '../plugins/auth.js'
import { toCustomer } from '../views/customers.js'
import { hashIfGiven, type Deps } from './deps.js'
import { logIn } from './login.js'
import { writeEndingSessions } from './sessions.js'

type CustomerHandlers = Pick<Handlers,
  'createCustomer' | 'loginCustomer' | 'listCustomers' | 'getCustomer' | 'updateCustomer' | 'deleteCustomer'>

/**
 * A customer token reaches only its own id; a mechanic reaches any. Checked before the lookup, so
 * another customer's id answers 403 whether or not it exists and existence is not revealed.
 */
function assertOwnerOrMechanic (req: FastifyRequest, customerId: number): void {
  if (req.user.role === 'customer' && callerId(req) !== customerId) {
    throw forbidden('A customer may only access their own record.')
  }
}

/** The caller's own session survives a change of their own password; nobody else's does. */
const sessionToKeep = (req: FastifyRequest, customerId: number): string | undefined =>
  req.user.role === 'customer' && callerId(req) === customerId ? callerSession(req) : undefined

export function customerHandlers (deps: Deps): CustomerHandlers {
  const { db, passwords, sessions } = deps
  return {
    async createCustomer (req) {
      const { name, email, phone, password } = req.body
      const row = await insertCustomer(db, { name, email, phone, password_hash: await passwords.hash(password) })
      return { status: 201, body: toCustomer(row), headers: { location: `/customers/${row.id}` } }
    },

    async loginCustomer (req) {
      return { status: 200, body: await logIn({ db, passwords, sessions }, 'customer', req.body, req.log) }
    },

    async listCustomers (req) {
      return listAnswer(req, await listCustomers(db, req.query), toCustomer)
    },

    async getCustomer (req) {
      const id = req.params.customer_id
      assertOwnerOrMechanic(req, id)
      return { status: 200, body: toCustomer(found(await findCustomerById(db, id), 'customer', id)) }
    },

    async updateCustomer (req) {
      const id = req.params.customer_id
      assertOwnerOrMechanic(req, id)
      const { name, email, phone, password } = req.body
      const password_hash = await hashIfGiven(passwords, password)
      const ending = password_hash === undefined ? undefined : { account: { role: 'customer', id }, keep: sessionToKeep(req, id) } as const
      const row = await writeEndingSessions(deps, ending, (db) => updateCustomer(db, id, { name, email, phone, password_hash }))
      return { status: 200, body: toCustomer(found(row, 'customer', id)) }
    },

    async deleteCustomer (req) {
      const id = req.params.customer_id
      assertOwnerOrMechanic(req, id)
      found(await writeEndingSessions(deps, { account: { role: 'customer', id } }, (db) => deleteCustomer(db, id)), 'customer', id)
      return { status: 204 }
    },
  }
}
