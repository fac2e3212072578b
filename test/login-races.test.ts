// A login that races a delete or a password change of its account: the session it opens is either
// in before the account's sessions are ended (and ends with them), or refused. Only PostgreSQL runs
// the two at once (PGlite runs one statement at a time, and the lock below would stall it).
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import t from 'tap'
import { auth, buildTestApp, customerAccount, usingPostgres } from './helpers.js'

const onPostgres = { skip: usingPostgres() ? false : 'PGlite runs one statement at a time: races need PostgreSQL' }

t.test('logins racing the account', onPostgres, async (t) => {
  const app = await buildTestApp(t)
  const hashOf = async (id: number) => (await app.db.selectFrom('customers').select('password_hash').where('id', '=', id).executeTakeFirstOrThrow()).password_hash

  t.test('a delete waits for a login opening a session, and that session ends with the rest', async (t) => {
    const customer = await customerAccount(app)
    const hash = await hashOf(customer.id)
    let release!: () => void
    const gate = new Promise<void>((resolve) => { release = resolve })
    let opened!: () => void
    const inside = new Promise<void>((resolve) => { opened = resolve })
    // The login's transaction as insertSession runs it, held open after its share lock.
    const sessionId = randomUUID()
    const login = app.db.transaction().execute(async (trx) => {
      await trx.selectFrom('customers').select('id').where('id', '=', customer.id).where('password_hash', '=', hash).forShare().execute()
      opened()
      await gate
      await trx.insertInto('sessions').values({ id: sessionId, customer_id: customer.id, expires_at: sql<Date>`now() + interval '1 hour'` }).execute()
    })
    await inside
    // Which sessions the delete tells every instance have ended: the new one must be among them,
    // or another instance that saw it alive would go on trusting it for up to a minute.
    const announced: string[] = []
    const announce = app.sessions.ended
    app.sessions.ended = async (ids) => { announced.push(...ids); await announce(ids) }
    t.teardown(() => { app.sessions.ended = announce })
    const deleting = app.inject({ method: 'DELETE', url: `/customers/${customer.id}`, headers: auth(customer.token) })
    await new Promise((resolve) => setTimeout(resolve, 200))
    const waiting = await app.db.selectFrom('customers').select('id').where('id', '=', customer.id).executeTakeFirst()
    t.ok(waiting !== undefined, 'the delete waits for the login')
    release()
    await login
    t.equal((await deleting).statusCode, 204)
    t.ok(announced.includes(sessionId), 'the session opened while the delete waited is announced as ended')
    const token = app.issueToken('customer', customer.id, sessionId).token
    t.equal((await app.inject({ method: 'GET', url: `/customers/${customer.id}`, headers: auth(token) })).statusCode, 401, 'the new session\'s token is refused')
  })

  for (const change of ['deleted', 'given another password'] as const) {
    t.test(`a login that reaches the account after it was ${change}: no session, 401`, async (t) => {
      const customer = await customerAccount(app)
      const hash = await hashOf(customer.id)
      let release!: () => void
      const gate = new Promise<void>((resolve) => { release = resolve })
      let locked!: () => void
      const holding = new Promise<void>((resolve) => { locked = resolve })
      // The account write's transaction, as writeEndingSessions runs it: the row locked first.
      const write = app.db.transaction().execute(async (trx) => {
        await trx.selectFrom('customers').select('id').where('id', '=', customer.id).forUpdate().execute()
        locked()
        await gate
        if (change === 'deleted') await trx.deleteFrom('customers').where('id', '=', customer.id).execute()
        else await trx.updateTable('customers').set({ password_hash: sql<string>`password_hash || 'x'` }).where('id', '=', customer.id).execute()
      })
      await holding
      const starting = app.sessions.start('customer', customer.id, hash)
      await new Promise((resolve) => setTimeout(resolve, 200))
      release()
      await write
      t.equal(await starting, undefined, 'the login opens no session')
      const sessions = await app.db.selectFrom('sessions').select('id').where('customer_id', '=', customer.id).execute()
      t.equal(sessions.length, change === 'deleted' ? 0 : 1, 'only the fixture\'s own session, if the account is there')
    })
  }
})
