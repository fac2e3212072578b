// Sessions (API.md Part 4) on one instance: rotation keeps the session, a replayed refresh token ends
// it, two refreshes racing with one token give one 200 and one 401 and end it (over HTTP, real
// concurrent requests; on PostgreSQL that is a real race), logout, password changes, account
// deletion, expiry and the sweep. test/redis.test.ts has the same endings seen from a second instance.
import type { LightMyRequestResponse } from 'fastify'
import { sql } from 'kysely'
import t, { type Test } from 'tap'
import type { components } from '../generated/api.js'
import { auth, buildTestApp, expectContract, customerAccount, FIXTURE_PASSWORD, mechanicAccount, expectProblem } from './helpers.js'

type Token = components['schemas']['Token']

const sidOf = (token: string): unknown =>
  (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sid?: unknown }).sid

t.test('sessions', async (t) => {
  const app = await buildTestApp(t)
  const boss = await mechanicAccount(app, 'Session Boss')

  const refresh = async (refreshToken: string): Promise<LightMyRequestResponse> => {
    const res = await app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: refreshToken } })
    expectContract(res, 'refreshSession')
    return res
  }
  const logout = (token: string) => app.inject({ method: 'POST', url: '/auth/logout', headers: auth(token) })
  /** A request that needs a live session of a customer (their own record). */
  const readOwn = (account: { id: number }, token: string) => app.inject({ method: 'GET', url: `/customers/${account.id}`, headers: auth(token) })
  const readAsMechanic = (token: string) => app.inject({ method: 'GET', url: '/mechanics', headers: auth(token) })
  const login = async (path: 'customers' | 'mechanics', email: string): Promise<Token> => {
    const res = await app.inject({ method: 'POST', url: `/${path}/login`, payload: { email, password: FIXTURE_PASSWORD } })
    t.equal(res.statusCode, 200, `${path} login`)
    return res.json<Token>()
  }
  const expectEnded = (t: Test, res: LightMyRequestResponse, operationId: string, why: string): void => {
    expectProblem(t, res, operationId, 401, why)
  }

  t.test('rotation: a new pair of the same session, and the spent token is refused', async (t) => {
    const customer = await customerAccount(app)
    const first = await refresh(customer.refreshToken)
    t.equal(first.statusCode, 200)
    const pair = first.json<Token>()
    t.equal(sidOf(pair.token), sidOf(customer.token), 'the same sid')
    t.not(pair.refresh_token, customer.refreshToken, 'a new refresh token')
    t.match(pair, { token_type: 'Bearer', expires_in: 3600, refresh_expires_in: 30 * 86400 })
    t.equal((await readOwn(customer, pair.token)).statusCode, 200, 'the new access token works')
    t.equal((await readOwn(customer, customer.token)).statusCode, 200, 'and so does the earlier one, of the same live session, until it expires')

    const second = await refresh(pair.refresh_token)
    t.equal(second.statusCode, 200, 'the new refresh token works once too')
    t.equal(sidOf(second.json<Token>().token), sidOf(customer.token), 'still the same session')
  })

  t.test('reuse detection: a spent refresh token ends the whole session', async (t) => {
    const customer = await customerAccount(app)
    const other = await refresh((await customerAccount(app)).refreshToken) // another session, unrelated
    const pair = (await refresh(customer.refreshToken)).json<Token>()
    const replay = await refresh(customer.refreshToken)
    const problem = expectProblem(t, replay, 'refreshSession', 401, 'the spent token presented again')
    t.match(problem.detail, /used before/)
    expectEnded(t, await refresh(pair.refresh_token), 'refreshSession', "the session's newest refresh token is dead too")
    expectEnded(t, await readOwn(customer, pair.token), 'getCustomer', "and the session's newest access token")
    expectEnded(t, await readOwn(customer, customer.token), 'getCustomer', 'and its first one')
    const count = await app.db.selectFrom('sessions').select('id').where('id', '=', String(sidOf(customer.token))).execute()
    t.same(count, [], 'the session row is gone')
    t.equal(other.statusCode, 200)
    t.equal((await refresh(other.json<Token>().refresh_token)).statusCode, 200, 'other sessions are untouched')
  })

  t.test('two refreshes racing with one token over HTTP: one 200, one 401, and the session ends', async (t) => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 })
    const post = async (refreshToken: string) => {
      const res = await fetch(`${address}/auth/refresh`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refresh_token: refreshToken }) })
      return { status: res.status, body: await res.json() as Token }
    }
    for (let round = 1; round <= 8; round++) {
      const customer = await customerAccount(app)
      const answers = await Promise.all([post(customer.refreshToken), post(customer.refreshToken)])
      const statuses = answers.map((a) => a.status).sort()
      t.same(statuses, [200, 401], `round ${round}: exactly one refresh wins`)
      const winner = answers.find((a) => a.status === 200)?.body
      if (winner === undefined) continue
      expectEnded(t, await refresh(winner.refresh_token), 'refreshSession', `round ${round}: the winner's new refresh token is dead: the session ended`)
      expectEnded(t, await readOwn(customer, winner.token), 'getCustomer', `round ${round}: and its new access token`)
    }
  })

  t.test('logout: 204, and the session is over; other sessions of the account are not', async (t) => {
    const customer = await customerAccount(app)
    const laptop = await login('customers', customer.email)
    const res = await logout(customer.token)
    t.equal(res.statusCode, 204)
    t.equal(res.body, '')
    expectContract(res, 'endSession')
    expectEnded(t, await readOwn(customer, customer.token), 'getCustomer', 'the access token after logout')
    expectEnded(t, await refresh(customer.refreshToken), 'refreshSession', 'the refresh token after logout')
    expectEnded(t, await logout(customer.token), 'endSession', 'logging out again')
    t.equal((await readOwn(customer, laptop.token)).statusCode, 200, 'the other session of the same customer lives on')
    t.equal((await refresh(laptop.refresh_token)).statusCode, 200)

    const mechanic = await mechanicAccount(app)
    t.equal((await logout(mechanic.token)).statusCode, 204, 'a mechanic logs out the same way')
    expectEnded(t, await readAsMechanic(mechanic.token), 'listMechanics', "the mechanic's access token after logout")
  })

  t.test('a customer changing their password ends their other sessions, not the one that changed it', async (t) => {
    const customer = await customerAccount(app)
    const [phone, tablet] = [await login('customers', customer.email), await login('customers', customer.email)]
    const details = { name: 'Renamed', email: customer.email, phone: '+1 555 0101' }
    t.equal((await app.inject({ method: 'PUT', url: `/customers/${customer.id}`, headers: auth(phone.token), payload: details })).statusCode, 200)
    t.equal((await readOwn(customer, tablet.token)).statusCode, 200, 'no password in the update: nothing ends')

    const changed = await app.inject({ method: 'PUT', url: `/customers/${customer.id}`, headers: auth(phone.token), payload: { ...details, password: 'a-new-password' } })
    t.equal(changed.statusCode, 200)
    t.equal((await readOwn(customer, phone.token)).statusCode, 200, 'the session that changed it lives on')
    const renewed = await refresh(phone.refresh_token)
    t.equal(renewed.statusCode, 200, 'and refreshes')
    for (const [name, session] of [['tablet', tablet], ['fixture', { token: customer.token, refresh_token: customer.refreshToken }]] as const) {
      expectEnded(t, await readOwn(customer, session.token), 'getCustomer', `the ${name} session's access token`)
      expectEnded(t, await refresh(session.refresh_token), 'refreshSession', `the ${name} session's refresh token`)
    }
  })

  t.test("a mechanic changing a customer's password ends all the customer's sessions", async (t) => {
    const customer = await customerAccount(app)
    const payload = { name: 'Reset', email: customer.email, phone: '+1 555 0102', password: 'reset-by-the-shop' }
    t.equal((await app.inject({ method: 'PUT', url: `/customers/${customer.id}`, headers: auth(boss.token), payload })).statusCode, 200)
    expectEnded(t, await readOwn(customer, customer.token), 'getCustomer', "the customer's session")
    t.equal((await readAsMechanic(boss.token)).statusCode, 200, "the mechanic's own session is not the customer's: it lives on")
  })

  t.test("mechanics: their own password change keeps their session; another's ends all of theirs", async (t) => {
    const self = await mechanicAccount(app)
    const elsewhere = await login('mechanics', self.email)
    const body = (password: string) => ({ name: 'Mechanic', email: self.email, phone: '+1 555 0200', salary: 50000, password })
    t.equal((await app.inject({ method: 'PUT', url: `/mechanics/${self.id}`, headers: auth(self.token), payload: body('changed-by-myself') })).statusCode, 200)
    t.equal((await readAsMechanic(self.token)).statusCode, 200, 'the session that changed it lives on')
    expectEnded(t, await readAsMechanic(elsewhere.token), 'listMechanics', 'the other session ends')

    t.equal((await app.inject({ method: 'PUT', url: `/mechanics/${self.id}`, headers: auth(boss.token), payload: body('changed-by-the-boss') })).statusCode, 200)
    expectEnded(t, await readAsMechanic(self.token), 'listMechanics', "another mechanic's change ends the last one")
    t.equal((await readAsMechanic(boss.token)).statusCode, 200, "the boss's session lives on")
  })

  t.test('a refused password change ends nothing', async (t) => {
    const [customer, taken] = [await customerAccount(app), await customerAccount(app)]
    const other = await login('customers', customer.email)
    const res = await app.inject({ method: 'PUT', url: `/customers/${customer.id}`, headers: auth(customer.token), payload: { name: 'X', email: taken.email, phone: '+1 555 0103', password: 'never-applied' } })
    t.equal(res.statusCode, 409, 'a duplicate email')
    t.equal((await readOwn(customer, other.token)).statusCode, 200, 'the other session lives on')
    t.equal((await app.inject({ method: 'DELETE', url: `/customers/${customer.id}`, headers: auth(boss.token) })).statusCode, 204)
  })

  t.test('an expired refresh token, or a session past its expiry: 401', async (t) => {
    const customer = await customerAccount(app)
    const sid = String(sidOf(customer.token))
    await app.db.updateTable('refresh_tokens').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('session_id', '=', sid).execute()
    const expired = expectProblem(t, await refresh(customer.refreshToken), 'refreshSession', 401, 'the expired refresh token')
    t.match(expired.detail, /unknown, expired/)

    // Not remembered as alive on this instance yet: the session's expiry is read from the database.
    const other = await customerAccount(app)
    await app.db.updateTable('sessions').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('id', '=', String(sidOf(other.token))).execute()
    expectEnded(t, await readOwn(other, other.token), 'getCustomer', 'an access token of an expired session')
  })

  t.test('the sweep deletes expired sessions and refresh tokens, and nothing alive', async (t) => {
    const [old, alive] = [await customerAccount(app), await customerAccount(app)]
    const oldSid = String(sidOf(old.token))
    await app.db.updateTable('sessions').set({ expires_at: sql<Date>`now() - interval '1 day'` }).where('id', '=', oldSid).execute()
    const spent = (await refresh(alive.refreshToken)).json<Token>()
    await app.db.updateTable('refresh_tokens').set({ expires_at: sql<Date>`now() - interval '1 day'` }).where('session_id', '=', String(sidOf(alive.token))).where('spent_at', 'is not', null).execute()
    t.ok(await app.sessions.sweep() >= 1, 'at least the expired session')
    t.same(await app.db.selectFrom('sessions').select('id').where('id', '=', oldSid).execute(), [], 'the expired session is gone')
    const left = await app.db.selectFrom('refresh_tokens').select(['spent_at']).where('session_id', '=', String(sidOf(alive.token))).execute()
    t.same(left.map((r) => r.spent_at), [null], 'of the live session, only its unspent refresh token is left')
    t.equal((await refresh(spent.refresh_token)).statusCode, 200, 'and it still works')
  })

  t.test('two sweeps at once (two instances) delete each expired session once, without error', async (t) => {
    const accounts = await Promise.all(Array.from({ length: 6 }, () => customerAccount(app)))
    const ids = accounts.map((a) => String(sidOf(a.token)))
    await app.db.updateTable('sessions').set({ expires_at: sql<Date>`now() - interval '1 minute'` }).where('id', 'in', ids).execute()
    const { n } = await app.db.selectFrom('sessions').select((eb) => eb.fn.countAll<number>().as('n')).where('expires_at', '<=', sql<Date>`now()`).executeTakeFirstOrThrow()
    const swept = await Promise.all([app.sessions.sweep(), app.sessions.sweep()])
    t.equal(swept[0] + swept[1], Number(n), 'every expired session counted once between them')
    t.same(await app.db.selectFrom('sessions').select('id').where('id', 'in', ids).execute(), [], 'and all gone')
  })
})
