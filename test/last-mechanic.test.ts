// The last mechanic cannot be deleted: nobody would be left to manage the shop. Two deletes of the
// last two mechanics at once must not leave none, which only PostgreSQL, running them really
// concurrently, can show (PGlite runs one statement at a time).
import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { auth, BOSS, buildTestApp, createMechanic, expectContract, mechanicToken, uniqueEmail, usingPostgres } from './helpers.js'

/** A new mechanic, created with `token` (the bootstrap mechanic may be gone), and logged in. */
async function hire (app: FastifyInstance, token: string): Promise<{ id: number, token: string }> {
  const input = { name: 'Hired', email: uniqueEmail('hired'), phone: '+1 555 0200', salary: 1, password: 'hired-password-1' }
  const created = await app.inject({ method: 'POST', url: '/mechanics', headers: auth(token), payload: input })
  if (created.statusCode !== 201) throw new Error(created.body)
  return { id: created.json<{ id: number }>().id, token: await mechanicToken(app, input) }
}

t.test('deleting mechanics down to the last one', async (t) => {
  const app = await buildTestApp(t)
  const count = async () => (await app.db.selectFrom('mechanics').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n
  const del = (id: number, token: string) => app.inject({ method: 'DELETE', url: `/mechanics/${id}`, headers: auth(token) })
  const boss = await app.db.selectFrom('mechanics').select('id').where('email', '=', BOSS.email).executeTakeFirstOrThrow()

  t.test('the only mechanic: 409 problem+json, and they stay', async (t) => {
    t.equal(Number(await count()), 1)
    const res = await del(boss.id, await mechanicToken(app))
    t.equal(res.statusCode, 409)
    t.match(expectContract(res, 'deleteMechanic'), { status: 409, title: 'Conflict', detail: /last mechanic/ })
    t.equal(Number(await count()), 1)
  })

  t.test('with two, either may go; then the other is the last', async (t) => {
    const second = await createMechanic(app)
    t.equal((await del(second.id, await mechanicToken(app))).statusCode, 204)
    t.equal((await del(boss.id, await mechanicToken(app))).statusCode, 409)
    t.equal((await del(2147483647, await mechanicToken(app))).statusCode, 404, 'an unknown id is still 404')
  })

  t.test('the last two deleted at once: one goes, one stays', { skip: !usingPostgres() && 'PGlite runs one statement at a time: run with TEST_DATABASE_URL' }, async (t) => {
    let survivor = { id: boss.id, token: await mechanicToken(app) }
    for (let round = 0; round < 8; round++) {
      const other = await hire(app, survivor.token)
      const answers = await Promise.all([del(survivor.id, other.token), del(other.id, survivor.token)])
      const statuses = answers.map((r) => r.statusCode)
      t.equal(statuses.filter((s) => s === 204).length, 1, `round ${round}: exactly one delete succeeds (${statuses.join(', ')})`)
      t.ok(statuses.every((s) => [204, 409, 401].includes(s)), 'the other is refused: 409, or 401 when its caller was the one deleted')
      t.equal(Number(await count()), 1, 'one mechanic is left')
      survivor = answers[0]?.statusCode === 204 ? other : survivor
    }
  })
})
