// Mechanics: login and the mechanic-only operations. Every role check is the contract's `bearer`
// requirement, enforced before these run; nothing here looks at the caller.
import type { Handlers } from '../../generated/handlers.js'
import {
  deleteMechanic,
  findMechanicById,
  insertMechanic,
  listMechanics,
  rankMechanics,
  updateMechanic,
} from '../db/mechanics.js'
import { found } from '../errors.js'
import { listAnswer } from '../lib/pagination.js'
import { toMechanic, toRankedMechanic } from '../views/mechanics.js'
import { hashIfGiven, type Deps } from './deps.js'
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
      const id = await authenticate({ db, passwords }, 'mechanic', req.body, req.log)
      return { status: 200, body: issueToken('mechanic', id) }
    },

    async listMechanics (req) {
      return listAnswer(req, await listMechanics(db, req.query), toMechanic)
    },

    async getMechanicRanking (req) {
      return listAnswer(req, await rankMechanics(db, req.query), toRankedMechanic)
    },

    async getMechanic (req) {
      const id = req.params.mechanic_id
      return { status: 200, body: toMechanic(found(await findMechanicById(db, id), 'mechanic', id)) }
    },

    async updateMechanic (req) {
      const id = req.params.mechanic_id
      const { name, email, phone, salary, password } = req.body
      const row = await updateMechanic(db, id, { name, email, phone, salary, password_hash: await hashIfGiven(passwords, password) })
      return { status: 200, body: toMechanic(found(row, 'mechanic', id)) }
    },

    async deleteMechanic (req) {
      const id = req.params.mechanic_id
      found(await deleteMechanic(db, id), 'mechanic', id)
      return { status: 204 }
    },
  }
}
