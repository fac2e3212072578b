// Rate limits as a client meets them: the blanket limit per client on every route (the not-found
// handler and the login routes too), the stricter login policy keyed by client and email, the
// refresh and sign-up policies, and the 429 the contract declares. The same checks run on the in-process store
// and, when REDIS_URL is set, on Redis: one process must behave as a fleet does.
// Each check speaks from a client address of its own, so it has the whole budget to itself.
import { randomInt } from 'node:crypto'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { BOSS, buildTestApp, claimRedisDb, createTestPostgres, expectContract, sharedRedisUrl, signUpCustomer, uniqueEmail, usingPostgres } from './helpers.js'

const MAX = 5
const LOGIN_MAX = 2
const LOGIN_ACCOUNT_MAX = 6
/** Sign-up shares the login limit's number (LOGIN_RATE_LIMIT_MAX), keyed per client. */
const SIGNUP_MAX = LOGIN_MAX
const WINDOW_SECONDS = 60
const LIMITS = {
  RATE_LIMIT_MAX: String(MAX),
  RATE_LIMIT_WINDOW: '1 minute',
  LOGIN_RATE_LIMIT_MAX: String(LOGIN_MAX),
  LOGIN_ACCOUNT_RATE_LIMIT_MAX: String(LOGIN_ACCOUNT_MAX),
}

const subnet = `10.${randomInt(0, 256)}.${randomInt(0, 256)}`
let clients = 0
/** A client address no other check uses (random per run, so a shared Redis holds no old counters). */
const newClient = (): string => `${subnet}.${++clients}`

const v6Prefix = `2001:db8:${randomInt(0, 0xffff).toString(16)}`
let v6Networks = randomInt(0, 0xff00)
/** A /64 of its own: the addresses one host can rotate through at will. */
const newV6Network = (): string => `${v6Prefix}:${(++v6Networks).toString(16)}`

const secondsHeader = (res: LightMyRequestResponse, name: string): number => Number(res.headers[name])

/** An allowed answer carries the limit, what is left of it, and when the window resets. */
function expectCounted (t: Test, res: LightMyRequestResponse, limit: number, remaining: number): void {
  t.equal(res.headers['x-ratelimit-limit'], String(limit), 'x-ratelimit-limit')
  t.equal(res.headers['x-ratelimit-remaining'], String(remaining), 'x-ratelimit-remaining')
  const reset = secondsHeader(res, 'x-ratelimit-reset')
  t.ok(Number.isInteger(reset) && reset >= 1 && reset <= WINDOW_SECONDS, `x-ratelimit-reset is 1..${WINDOW_SECONDS} s`, { reset })
  t.notOk(res.headers['retry-after'], 'no retry-after while allowed')
}

/** A 429 is an RFC 9457 problem with retry-after and the x-ratelimit-* headers, never cached. */
function expectLimited (t: Test, res: LightMyRequestResponse, limit: number, operationId?: string): void {
  t.equal(res.statusCode, 429, 'answers 429', { body: res.body })
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  if (operationId !== undefined) t.doesNotThrow(() => expectContract(res, operationId), `the 429 is what ${operationId} declares`)
  t.match(res.json(), { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: /^Rate limit exceeded; retry in \d+ seconds?\.$/ })
  const retryAfter = secondsHeader(res, 'retry-after')
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= WINDOW_SECONDS, `retry-after is 1..${WINDOW_SECONDS} s`, { retryAfter })
  t.equal(res.headers['x-ratelimit-limit'], String(limit), 'x-ratelimit-limit')
  t.equal(res.headers['x-ratelimit-remaining'], '0', 'x-ratelimit-remaining is 0')
  t.equal(secondsHeader(res, 'x-ratelimit-reset'), retryAfter, 'x-ratelimit-reset matches retry-after')
  t.equal(res.headers['cache-control'], 'no-store', 'a 429 is never cached')
}

/** Every check of this file, against one app built with `env`. */
async function rateLimitChecks (t: Test, app: FastifyInstance): Promise<void> {
  const from = (client: string) => (opts: InjectOptions) => app.inject({ ...opts, remoteAddress: client })
  const customer = await signUpCustomer(app) // from the default address, which no check below uses

  t.test('the blanket limit: counted per client on every answer, then 429 with retry-after', async (t) => {
    const client = from(newClient())
    for (let i = 1; i <= MAX; i++) {
      const res = await client({ method: 'GET', url: '/inventory' })
      t.equal(res.statusCode, 200)
      expectCounted(t, res, MAX, MAX - i)
    }
    const limited = await client({ method: 'GET', url: '/inventory?per_page=3' })
    expectLimited(t, limited, MAX, 'listParts')
    t.equal(limited.json<{ instance: string }>().instance, '/inventory')
    expectLimited(t, await client({ method: 'GET', url: '/mechanics' }), MAX, 'listMechanics') // every route, before auth

    const other = await from(newClient())({ method: 'GET', url: '/inventory' })
    t.equal(other.statusCode, 200, 'another client is not limited')
    expectCounted(t, other, MAX, MAX - 1)
  })

  t.test('the not-found handler is limited too, from the same budget', async (t) => {
    const client = from(newClient())
    for (let i = 1; i <= MAX; i++) {
      const res = await client({ method: 'GET', url: `/probe-${i}` })
      t.equal(res.statusCode, 404)
      expectCounted(t, res, MAX, MAX - i)
    }
    const limited = await client({ method: 'GET', url: '/wp-admin?x=1' })
    expectLimited(t, limited, MAX)
    t.same(limited.json(), { type: 'about:blank', title: 'Too Many Requests', status: 429, detail: limited.json<{ detail: string }>().detail, instance: '/wp-admin' })
    expectLimited(t, await client({ method: 'GET', url: '/inventory' }), MAX, 'listParts')
  })

  t.test('login is limited per client across every email: no password spraying', async (t) => {
    const client = from(newClient())
    for (let i = 1; i <= LOGIN_MAX; i++) {
      const res = await client({ method: 'POST', url: '/customers/login', payload: { email: uniqueEmail('spray'), password: 'wrong-password' } })
      t.equal(res.statusCode, 401)
      expectCounted(t, res, LOGIN_MAX, LOGIN_MAX - i)
    }
    const otherEmail = await client({ method: 'POST', url: '/customers/login', payload: { email: uniqueEmail('spray'), password: 'wrong-password' } })
    expectLimited(t, otherEmail, LOGIN_MAX, 'loginCustomer')
    const right = await client({ method: 'POST', url: '/customers/login', payload: { email: customer.email, password: customer.password } })
    expectLimited(t, right, LOGIN_MAX, 'loginCustomer')
    t.notOk(right.json<{ token?: string }>().token, 'not even the right password gets through')
    expectLimited(t, await client({ method: 'POST', url: '/mechanics/login', payload: { email: BOSS.email, password: BOSS.password } }), LOGIN_MAX, 'loginMechanic')

    const owner = await from(newClient())({ method: 'POST', url: '/customers/login', payload: { email: customer.email, password: customer.password } })
    t.equal(owner.statusCode, 200, 'the account owner, from another client, still logs in')
    expectContract(owner, 'loginCustomer')
  })

  t.test('login is limited per account across every address, more loosely', async (t) => {
    const target = await signUpCustomer(app)
    for (let i = 2; i <= LOGIN_ACCOUNT_MAX; i++) { // signUpCustomer logged in once
      const res = await from(newClient())({ method: 'POST', url: '/customers/login', payload: { email: i % 2 === 0 ? target.email : target.email.toUpperCase(), password: `wrong-password-${i}` } })
      t.equal(res.statusCode, 401, `guess ${i}, from an address of its own`)
    }
    const limited = await from(newClient())({ method: 'POST', url: '/customers/login', payload: { email: target.email, password: target.password } })
    expectLimited(t, limited, LOGIN_ACCOUNT_MAX, 'loginCustomer')
    const other = await from(newClient())({ method: 'POST', url: '/customers/login', payload: { email: customer.email, password: customer.password } })
    t.equal(other.statusCode, 200, 'another account is not affected')
    const mechanic = await from(newClient())({ method: 'POST', url: '/mechanics/login', payload: { email: target.email, password: target.password } })
    t.equal(mechanic.statusCode, 401, 'nor the mechanic login of the same email (another account)')
  })

  t.test('mechanic login has the same policy', async (t) => {
    const client = from(newClient())
    for (let i = 1; i <= LOGIN_MAX; i++) {
      const res = await client({ method: 'POST', url: '/mechanics/login', payload: { email: BOSS.email, password: 'wrong-password' } })
      t.equal(res.statusCode, 401)
      expectCounted(t, res, LOGIN_MAX, LOGIN_MAX - i)
    }
    expectLimited(t, await client({ method: 'POST', url: '/mechanics/login', payload: { email: BOSS.email, password: BOSS.password } }), LOGIN_MAX, 'loginMechanic')
    const boss = await from(newClient())({ method: 'POST', url: '/mechanics/login', payload: { email: BOSS.email, password: BOSS.password } })
    t.equal(boss.statusCode, 200, 'another client still logs in')
  })

  t.test('refresh has the login limit per client, in a bucket of its own', async (t) => {
    const client = from(newClient())
    for (let i = 1; i <= LOGIN_MAX; i++) {
      const res = await client({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: `guess-${i}` } })
      t.equal(res.statusCode, 401)
      expectCounted(t, res, LOGIN_MAX, LOGIN_MAX - i)
    }
    const login = await client({ method: 'POST', url: '/customers/login', payload: { email: customer.email, password: customer.password } })
    t.equal(login.statusCode, 200, 'refresh guesses spend none of the login budget')
    expectCounted(t, login, LOGIN_MAX, LOGIN_MAX - 1)
    const real = login.json<{ refresh_token: string }>().refresh_token
    const limited = await client({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: real } })
    expectLimited(t, limited, LOGIN_MAX, 'refreshSession')
    const elsewhere = await from(newClient())({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: real } })
    t.equal(elsewhere.statusCode, 200, 'another client is not limited, and the limited attempt did not spend the token')
  })

  t.test('the blanket limit still holds on login, on top of the login limit', async (t) => {
    const client = from(newClient())
    for (let i = 1; i < MAX; i++) t.equal((await client({ method: 'GET', url: '/inventory' })).statusCode, 200)
    const last = await client({ method: 'POST', url: '/customers/login', payload: { email: uniqueEmail('spray'), password: 'password123' } })
    t.equal(last.statusCode, 401, 'the login limit has room; the blanket one has one request left')
    const limited = await client({ method: 'POST', url: '/customers/login', payload: { email: uniqueEmail('spray'), password: 'password123' } })
    expectLimited(t, limited, MAX, 'loginCustomer')
  })

  t.test('sign-up has its own, stricter limit per client; a refused sign-up writes nothing', async (t) => {
    const client = from(newClient())
    const signUp = (email: string) => client({ method: 'POST', url: '/customers', payload: { name: 'Limited', email, phone: '+1 555 0100', password: 'customer-password' } })
    for (let i = 1; i <= SIGNUP_MAX; i++) {
      const res = await signUp(uniqueEmail('signup'))
      t.equal(res.statusCode, 201)
      expectCounted(t, res, SIGNUP_MAX, SIGNUP_MAX - i)
    }
    const refusedEmail = uniqueEmail('refused')
    expectLimited(t, await signUp(refusedEmail), SIGNUP_MAX, 'createCustomer')
    const elsewhere = await from(newClient())({ method: 'POST', url: '/customers', payload: { name: 'Elsewhere', email: refusedEmail, phone: '+1 555 0100', password: 'customer-password' } })
    t.equal(elsewhere.statusCode, 201, 'another client signs up, and the refused email was never taken')
  })

  t.test('an IPv6 client is its /64 for every limit, so rotating addresses gains nothing', async (t) => {
    const hostIn = (network: string) => (i: number) => from(`${network}::${i.toString(16)}`)
    const signUpHost = hostIn(newV6Network())
    const signUp = (i: number) => signUpHost(i)({ method: 'POST', url: '/customers', payload: { name: 'Rotating', email: uniqueEmail('v6'), phone: '+1 555 0100', password: 'customer-password' } })
    for (let i = 1; i <= SIGNUP_MAX; i++) t.equal((await signUp(i)).statusCode, 201)
    expectLimited(t, await signUp(SIGNUP_MAX + 1), SIGNUP_MAX, 'createCustomer')
    for (let i = SIGNUP_MAX + 2; i <= MAX; i++) t.equal((await signUpHost(i)({ method: 'GET', url: '/inventory' })).statusCode, 200)
    expectLimited(t, await signUpHost(MAX + 1)({ method: 'GET', url: '/inventory' }), MAX, 'listParts')

    const guessHost = hostIn(newV6Network())
    const guess = (i: number) => guessHost(i)({ method: 'POST', url: '/customers/login', payload: { email: customer.email, password: 'wrong-password' } })
    for (let i = 1; i <= LOGIN_MAX; i++) t.equal((await guess(i)).statusCode, 401)
    expectLimited(t, await guess(LOGIN_MAX + 1), LOGIN_MAX, 'loginCustomer')
  })
}

t.test('rate limits on the in-process store', async (t) => {
  const app = await buildTestApp(t, LIMITS)
  t.equal(app.redis, undefined, 'no Redis configured')
  await rateLimitChecks(t, app)
})

t.test('rate limits on Redis (REDIS_URL)', { skip: sharedRedisUrl() === undefined && 'REDIS_URL is not set: the Redis store is not exercised (CI sets it)' }, async (t) => {
  const redis = await claimRedisDb(t)
  if (redis === undefined) throw new Error('unreachable: REDIS_URL is set')
  const app = await buildTestApp(t, { ...LIMITS, REDIS_URL: redis.url })
  t.equal(app.redis?.status, 'ready', 'connected to Redis')
  await rateLimitChecks(t, app)
  t.test('the counters are in Redis, under the app prefix', async (t) => {
    const keys = await redis.client.keys('mst:rate-limit:*')
    t.ok(keys.some((k) => k.includes(subnet)), 'per-client counters are stored in Redis', { keys: keys.slice(0, 10) })
    t.ok(keys.some((k) => k.includes('login-account') && k.includes(BOSS.email)), 'login counters are keyed by account')
  })
})

t.test('two instances sharing Redis enforce one login limit per client and per account', { skip: sharedRedisUrl() === undefined && 'REDIS_URL is not set: the Redis store is not exercised (CI sets it)' }, async (t) => {
  const redis = await claimRedisDb(t)
  if (redis === undefined) throw new Error('unreachable: REDIS_URL is set')
  // On PostgreSQL the two share one database, as a fleet does; two PGlites cannot, and the limits
  // are keyed by address and email alone, so they hold the same either way.
  const database: Record<string, string> = usingPostgres() ? { DATABASE_URL: await createTestPostgres(t) ?? '' } : {}
  const one = await buildTestApp(t, { ...LIMITS, RATE_LIMIT_MAX: '1000', REDIS_URL: redis.url, ...database })
  const two = await buildTestApp(t, { ...LIMITS, RATE_LIMIT_MAX: '1000', REDIS_URL: redis.url, ...database })
  const login = (app: FastifyInstance, remoteAddress: string, email: string, password = 'wrong-password') =>
    app.inject({ method: 'POST', url: '/customers/login', remoteAddress, payload: { email, password } })

  const sprayer = newClient()
  for (let i = 0; i < LOGIN_MAX; i++) t.equal((await login(i % 2 === 0 ? one : two, sprayer, uniqueEmail('spray'))).statusCode, 401)
  expectLimited(t, await login(one, sprayer, uniqueEmail('spray')), LOGIN_MAX, 'loginCustomer')
  expectLimited(t, await login(two, sprayer, uniqueEmail('spray')), LOGIN_MAX, 'loginCustomer')

  const target = await signUpCustomer(one)
  for (let i = 1; i < LOGIN_ACCOUNT_MAX; i++) t.equal((await login(i % 2 === 0 ? one : two, newClient(), target.email)).statusCode, 401) // signUpCustomer logged in once
  expectLimited(t, await login(two, newClient(), target.email, target.password), LOGIN_ACCOUNT_MAX, 'loginCustomer')
  expectLimited(t, await login(one, newClient(), target.email, target.password), LOGIN_ACCOUNT_MAX, 'loginCustomer')
})

t.test('the window ends: RATE_LIMIT_WINDOW is read as a duration and the budget comes back', async (t) => {
  const app = await buildTestApp(t, { ...LIMITS, RATE_LIMIT_WINDOW: '1 second' })
  const address = newClient()
  const client = (opts: InjectOptions) => app.inject({ ...opts, remoteAddress: address })
  for (let i = 1; i <= MAX; i++) t.equal((await client({ method: 'GET', url: '/inventory' })).statusCode, 200)
  const limited = await client({ method: 'GET', url: '/inventory' })
  t.equal(limited.statusCode, 429)
  t.equal(limited.headers['retry-after'], '1', 'retry in at most the one-second window')
  await new Promise((resolve) => setTimeout(resolve, 1100))
  const again = await client({ method: 'GET', url: '/inventory' })
  t.equal(again.statusCode, 200, 'allowed again once the window has passed')
  t.equal(again.headers['x-ratelimit-remaining'], String(MAX - 1), 'with a fresh budget')
})
