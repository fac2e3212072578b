// Login keeps password hashes at the current cost: a hash stored by an older scheme or cost (scrypt,
// at the cost used before argon2id or an earlier one) verifies, and the successful login replaces it
// with argon2id, once, without ever overwriting a password changed in between.
import t from 'tap'
import { sql } from 'kysely'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { replacePasswordHash } from '../src/db/accounts.js'
import { hashPassword, scryptHash, verifyPassword, type ScryptCost } from '../src/lib/passwords.js'
import { auth, BOSS, buildTestApp, expectNoSecrets, expectOk, expectProblem, pgliteSnapshot, signUpCustomer, testEnv } from './helpers.js'

/** scrypt at OWASP's minimum, what hashes were stored at before argon2id, and at an earlier cost. */
const SCRYPT_BEFORE: ScryptCost = { N: 2 ** 17, r: 8, p: 1 }
const EARLIER: ScryptCost = { N: 2 ** 15, r: 8, p: 1 }
const CURRENT_PREFIX = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/

const app = await buildTestApp(t)

type Table = 'customers' | 'mechanics'

const storedHash = async (table: Table, id: number): Promise<string> =>
  (await app.db.selectFrom(table).select('password_hash').where('id', '=', id).executeTakeFirstOrThrow()).password_hash

async function storeAtEarlierCost (table: Table, id: number, password: string, cost = EARLIER): Promise<string> {
  const earlier = await scryptHash(password, cost)
  await app.db.updateTable(table).set({ password_hash: earlier }).where('id', '=', id).execute()
  return earlier
}

for (const [what, cost] of [['scrypt N=2^17', SCRYPT_BEFORE], ['scrypt N=2^15', EARLIER]] as const) t.test(`a customer whose hash is ${what} logs in, and the hash moves to argon2id`, async (t) => {
  const customer = await signUpCustomer(app)
  t.match(await storedHash('customers', customer.id), CURRENT_PREFIX, 'a sign-up stores argon2id')
  const earlier = await storeAtEarlierCost('customers', customer.id, customer.password, cost)

  const login = await app.inject({ method: 'POST', url: '/customers/login', payload: { email: customer.email, password: customer.password } })
  const { token } = expectOk<{ token: string }>(t, login, 'loginCustomer', 200)
  expectNoSecrets(t, login)
  expectOk(t, await app.inject({ method: 'GET', url: `/customers/${customer.id}`, headers: auth(token) }), 'getCustomer', 200)

  const upgraded = await storedHash('customers', customer.id)
  t.not(upgraded, earlier, 'the stored hash was replaced')
  t.match(upgraded, CURRENT_PREFIX, 'at the current cost')
  t.equal(await verifyPassword(customer.password, upgraded), true, 'and it verifies the same password')

  const again = await app.inject({ method: 'POST', url: '/customers/login', payload: { email: customer.email, password: customer.password } })
  expectOk(t, again, 'loginCustomer', 200)
  t.equal(await storedHash('customers', customer.id), upgraded, 'a hash at the current cost is left as it is')
})

t.test('a wrong password against an scrypt hash is a 401 and changes nothing', async (t) => {
  const customer = await signUpCustomer(app)
  const earlier = await storeAtEarlierCost('customers', customer.id, customer.password, SCRYPT_BEFORE)
  const res = await app.inject({ method: 'POST', url: '/customers/login', payload: { email: customer.email, password: 'not-the-password' } })
  expectProblem(t, res, 'loginCustomer', 401)
  t.equal(await storedHash('customers', customer.id), earlier)
})

t.test('a wrong password against an argon2id hash is a 401, and an unknown email too', async (t) => {
  const customer = await signUpCustomer(app)
  const stored = await storedHash('customers', customer.id)
  expectProblem(t, await app.inject({ method: 'POST', url: '/customers/login', payload: { email: customer.email, password: 'not-the-password' } }), 'loginCustomer', 401)
  t.equal(await storedHash('customers', customer.id), stored, 'nothing rehashed')
  expectProblem(t, await app.inject({ method: 'POST', url: '/customers/login', payload: { email: `nobody-${customer.email}`, password: customer.password } }), 'loginCustomer', 401)
})

t.test('a mechanic whose hash is scrypt is upgraded the same way', async (t) => {
  const { id } = await app.db.selectFrom('mechanics').select('id').where('email', '=', BOSS.email).executeTakeFirstOrThrow()
  const earlier = await storeAtEarlierCost('mechanics', id, BOSS.password)
  const res = await app.inject({ method: 'POST', url: '/mechanics/login', payload: { email: BOSS.email, password: BOSS.password } })
  expectOk(t, res, 'loginMechanic', 200)
  const upgraded = await storedHash('mechanics', id)
  t.not(upgraded, earlier)
  t.match(upgraded, CURRENT_PREFIX)
  t.equal(await verifyPassword(BOSS.password, upgraded), true)
})

t.test('a rehash never overwrites a hash that changed after it was read', async (t) => {
  const customer = await signUpCustomer(app)
  const readAtLogin = await storeAtEarlierCost('customers', customer.id, customer.password)
  // The customer changes their password between the login's read and its rehash.
  const changed = await app.inject({
    method: 'PUT',
    url: `/customers/${customer.id}`,
    headers: auth(customer.token),
    payload: { name: customer.name, email: customer.email, phone: customer.phone, password: 'a-brand-new-password' },
  })
  expectOk(t, changed, 'updateCustomer', 200)
  const afterChange = await storedHash('customers', customer.id)

  t.equal(await replacePasswordHash(app.db, 'customer', customer.id, readAtLogin, await hashPassword(customer.password)), false, 'nothing replaced')
  t.equal(await storedHash('customers', customer.id), afterChange, 'the new password stands')
  t.equal(await verifyPassword('a-brand-new-password', afterChange), true)
})

t.test('a rehash that fails does not fail the login: it is logged and left for the next one', async (t) => {
  const logged: Array<{ level: number, msg: string, id?: number }> = []
  const config = loadConfig({ env: await testEnv(t), dotenvPath: false })
  const fresh = config.database.kind === 'pglite' && config.database.dir.startsWith('memory://')
  const logging = await buildApp(config, {
    logger: { level: 'warn', stream: { write: (line: string) => { logged.push(JSON.parse(line) as typeof logged[number]) } } },
    pgliteSnapshot: fresh ? pgliteSnapshot() : undefined,
  })
  t.teardown(() => logging.close())
  await logging.ready()
  const customer = await signUpCustomer(logging)
  const earlier = await scryptHash(customer.password, EARLIER)
  await logging.db.updateTable('customers').set({ password_hash: earlier }).where('id', '=', customer.id).execute()
  // A real failure of the UPDATE, in this test's own database: a trigger that refuses it.
  await sql`CREATE FUNCTION refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'updates refused'; END $$`.execute(logging.db)
  await sql`CREATE TRIGGER refuse_update BEFORE UPDATE ON customers FOR EACH ROW EXECUTE FUNCTION refuse_update()`.execute(logging.db)

  const res = await logging.inject({ method: 'POST', url: '/customers/login', payload: { email: customer.email, password: customer.password } })
  expectOk(t, res, 'loginCustomer', 200)
  t.equal((await logging.db.selectFrom('customers').select('password_hash').where('id', '=', customer.id).executeTakeFirstOrThrow()).password_hash, earlier, 'still the earlier hash')
  const warning = logged.find((line) => line.msg === 'could not rehash a password at the current cost')
  t.ok(warning, 'the failure is logged')
  t.equal(warning?.id, customer.id)
  t.notMatch(JSON.stringify(logged), /scrypt\$|\$argon2|customer-password/, 'without the password or a hash')
})
