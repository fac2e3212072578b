// Mechanics: login and the mechanic-only operations. Every role check is the contract's `bearer`
// requirement, enforced before these run; nothing here looks at the caller.
import type { Handlers } from '../../generated/handlers.js'
import {
  deleteMechanic,
  findMechanicById,
  findMechanicLoginByEmail,
  insertMechanic,
  listMechanics,
  rankMechanics,
  updateMechanic,
} from '../db/mechanics.js'
import { conflict, notFound } from '../errors.js'
import { paginated } from '../lib/pagination.js'
import { toMechanic, toRankedMechanic } from '../views/mechanics.js'
import type { Deps } from './deps.js'
import { authenticate } from './login.js'

type MechanicHandlers = Pick<Handlers,
  'createMechanic' | 'loginMechanic' | 'listMechanics' | 'getMechanicRanking' | 'getMechanic' | 'updateMechanic' | 'deleteMechanic'>

export function mechanicHandlers ({ db, passwords, issueToken }: Deps): MechanicHandlers {
  return {
    async createMechanic (req) {
      const { name, email, phone, salary, password } = req.body
      const row = await insertMechanic(db, { name, email, phone, salary, password_hash: await passwords.hash(password) })
      return { status: 201, body: toMechanic(row), headers: { location: `/mechanics/${row.id}` } }
    },

    async loginMechanic (req) {
      const { email, password } = req.body
      const id = await authenticate({ db, passwords }, 'mechanic', await findMechanicLoginByEmail(db, email), password, req.log)
      return { status: 200, body: issueToken('mechanic', id) }
    },

    async listMechanics (req) {
      const { rows, total } = await listMechanics(db, req.query)
      return paginated(req.url, req.query, rows.map(toMechanic), total)
    },

    async getMechanicRanking (req) {
      const { rows, total } = await rankMechanics(db, req.query)
      return paginated(req.url, req.query, rows.map(toRankedMechanic), total)
    },

    async getMechanic (req) {
      const id = req.params.mechanic_id
      const row = await findMechanicById(db, id)
      if (row === undefined) throw notFound('mechanic', id)
      return { status: 200, body: toMechanic(row) }
    },

    async updateMechanic (req) {
      const id = req.params.mechanic_id
      const { name, email, phone, salary, password } = req.body
      const password_hash = password === undefined ? undefined : await passwords.hash(password)
      const row = await updateMechanic(db, id, { name, email, phone, salary, password_hash })
      if (row === undefined) throw notFound('mechanic', id)
      return { status: 200, body: toMechanic(row) }
    },

    async deleteMechanic (req) {
      const id = req.params.mechanic_id
      const outcome = await deleteMechanic(db, id)
      if (outcome === 'missing') throw notFound('mechanic', id)
      if (outcome === 'last') throw conflict('The last mechanic cannot be deleted: nobody would be left to manage the shop.')
      return { status: 204 }
    },
  }
}
