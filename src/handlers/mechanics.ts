// Mechanics: login and the mechanic-only operations. Every role check is the contract's `bearer`
// requirement, enforced before these run; nothing here looks at the caller.
import type { FastifyRequest } from 'fastify'
import type { Handlers } from '../../generated/handlers.js'
import {
  deleteMechanic,
  findMechanicById,
  insertMechanic,
  listMechanics,
  rankMechanics,
  updateMechanic,
} from '../db/mechanics.js'
import { conflict, found } from '../errors.js'
import { listAnswer } from '../lib/pagination.js'
import { toMechanic, toRankedMechanic } from '../views/mechanics.js'
import { hashIfGiven, type Deps } from './deps.js'
import { callerId, callerSession } from '../plugins/auth.js'
import { logIn } from './login.js'
import { writeEndingSessions } from './sessions.js'

type MechanicHandlers = Pick<Handlers,
  'createMechanic' | 'loginMechanic' | 'listMechanics' | 'getMechanicRanking' | 'getMechanic' | 'updateMechanic' | 'deleteMechanic'>

/** The caller's own session survives a change of their own password; nobody else's does. */
const sessionToKeep = (req: FastifyRequest, mechanicId: number): string | undefined =>
  callerId(req) === mechanicId ? callerSession(req) : undefined

export function mechanicHandlers (deps: Deps): MechanicHandlers {
  const { db, passwords, sessions } = deps
  return {
    async createMechanic (req) {
      const { name, email, phone, salary, password } = req.body
      const row = await insertMechanic(db, { name, email, phone, salary, password_hash: await passwords.hash(password) })
      return { status: 201, body: toMechanic(row), headers: { location: `/mechanics/${row.id}` } }
    },

    async loginMechanic (req) {
      return { status: 200, body: await logIn({ db, passwords, sessions }, 'mechanic', req.body, req.log) }
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
      const password_hash = await hashIfGiven(passwords, password)
      const ending = password_hash === undefined ? undefined : { account: { role: 'mechanic', id }, keep: sessionToKeep(req, id) } as const
      const row = await writeEndingSessions(deps, ending, (db) => updateMechanic(db, id, { name, email, phone, salary, password_hash }))
      return { status: 200, body: toMechanic(found(row, 'mechanic', id)) }
    },

    async deleteMechanic (req) {
      const id = req.params.mechanic_id
      const outcome = await writeEndingSessions(deps, { account: { role: 'mechanic', id } }, async (db) => {
        const outcome = await deleteMechanic(db, id)
        // Thrown inside the transaction, so the mechanic's sessions stay too.
        if (outcome === 'last') throw conflict('The last mechanic cannot be deleted: nobody would be left to manage the shop.')
        return outcome
      })
      found(outcome !== 'missing', 'mechanic', id)
      return { status: 204 }
    },
  }
}
