// Bad tokens never open a door: every token here is signed by hand with node:crypto (no JWT
// library), so the test does not share the server's assumptions. A bad token is a 401 problem, a
// good token of the wrong role a 403, and a token whose account was deleted a 401 (API.md, Auth).
// Refresh tokens get the same treatment: forged, truncated, another user's, after account deletion.
import { createHash, createHmac, generateKeyPairSync, randomBytes, sign as rsaSign } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { loadConfig, MIN_SECRET_LENGTH } from '../src/config.js'
import { buildTestApp, customerAccount, expectProblem, mechanicAccount, type Problem, testEnv } from './helpers.js'

const b64url = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

type Alg = 'sha256' | 'sha512'

/** A JWS compact token signed with HMAC: `alg` in the header is whatever the test says it is. */
function hmacToken (header: object, payload: object, secret: string, hash: Alg = 'sha256'): string {
  const signingInput = `${b64url(header)}.${b64url(payload)}`
  return `${signingInput}.${createHmac(hash, secret).update(signingInput).digest('base64url')}`
}

const HS256 = { alg: 'HS256', typ: 'JWT' }
const now = (): number => Math.floor(Date.now() / 1000)
/** JWT_ISSUER and JWT_AUDIENCE default to the API's name. */
const ISSUER = 'mechanic-shop-api'
const moduleClaims = (sub: string, role: string, extra: object = {}): Record<string, unknown> =>
  ({ sub, role, iat: now(), exp: now() + 600, iss: ISSUER, aud: ISSUER, ...extra })
/** The claims of a JWT, read without checking anything. */
const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

t.test('tokens', async (t) => {
  const env = await testEnv(t)
  const secret = env.JWT_SECRET
  if (secret === undefined) throw new Error('testEnv sets JWT_SECRET')
  const app = await buildTestApp(t)
  const mechanic = await mechanicAccount(app)
  const customer = await customerAccount(app)
  // Hand-signed tokens name the fixtures' real sessions: the session check is one more door.
  const sessionOf = (account: { token: string }) => String(claimsOf(account.token).sid)
  const sids: Record<string, string> = { [`mechanic:${mechanic.id}`]: sessionOf(mechanic), [`customer:${customer.id}`]: sessionOf(customer) }
  const claims = (sub: string, role: string, extra: object = {}): Record<string, unknown> =>
    ({ sub, role, sid: sids[`${role}:${sub}`] ?? sessionOf(mechanic), iat: now(), exp: now() + 600, iss: ISSUER, aud: ISSUER, ...extra })

  // listMechanics is mechanic-only; listMyCustomerTickets customer-only; getCustomer takes both.
  const asMechanic = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/mechanics', headers })
  const asCustomer = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/customers/my-tickets', headers })

  function expect401 (t: Test, res: LightMyRequestResponse, operationId: string, why: string): Problem {
    const body = expectProblem(t, res, operationId, 401, `${why}: 401`)
    t.equal(body.title, 'Unauthorized')
    t.equal(body.type, 'about:blank')
    return body
  }

  t.test('the harness: a hand-signed HS256 token with our claims is accepted', async (t) => {
    const res = await asMechanic(bearer(hmacToken(HS256, claims(String(mechanic.id), 'mechanic'), secret)))
    t.equal(res.statusCode, 200, 'so every 401 below is about the one thing each token gets wrong')
    const own = await asCustomer(bearer(hmacToken(HS256, claims(String(customer.id), 'customer'), secret)))
    t.equal(own.statusCode, 200)
  })

  t.test('the tokens the app issues are HS256 with exactly sub, role, sid, iat, exp, iss and aud', async (t) => {
    const [header, payload] = mechanic.token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>)
    t.same(header, { alg: 'HS256', typ: 'JWT' })
    t.same(Object.keys(payload ?? {}).sort(), ['aud', 'exp', 'iat', 'iss', 'role', 'sid', 'sub'])
    t.equal(payload?.iss, ISSUER, 'iss is JWT_ISSUER')
    t.equal(payload?.aud, ISSUER, 'aud is JWT_AUDIENCE')
    t.equal(payload?.sub, String(mechanic.id), 'sub is the id as a string')
  })

  t.test('forged, tampered and malformed tokens: 401, all with the same answer', async (t) => {
    const sub = String(mechanic.id)
    const good = claims(sub, 'mechanic')
    const [, , goodSignature] = hmacToken(HS256, good, secret).split('.')
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const rsInput = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(good)}`
    const customerToken = customer.token.split('.')

    const cases: Array<[string, string]> = [
      ['alg none, no signature', `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(good)}.`],
      ['alg none, no signature part at all', `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(good)}`],
      ['alg "None", no signature', `${b64url({ alg: 'None', typ: 'JWT' })}.${b64url(good)}.`],
      ['alg none with a valid HS256 signature attached', `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(good)}.${goodSignature}`],
      ['a wrong secret', hmacToken(HS256, good, `${secret}-but-not-quite`)],
      ['an empty secret', hmacToken(HS256, good, '')],
      ['HS512 with the right secret', hmacToken({ alg: 'HS512', typ: 'JWT' }, good, secret, 'sha512')],
      ['HS384 header, HS256 signature', hmacToken({ alg: 'HS384', typ: 'JWT' }, good, secret)],
      ['RS256 header, HMAC signature with the secret (algorithm confusion)', hmacToken({ alg: 'RS256', typ: 'JWT' }, good, secret)],
      ['RS256 header, a real RSA signature', `${rsInput}.${rsaSign('sha256', Buffer.from(rsInput), privateKey).toString('base64url')}`],
      ['RS256 header, random signature bytes', `${rsInput}.${randomBytes(256).toString('base64url')}`],
      ['expired an hour ago', hmacToken(HS256, { ...good, iat: now() - 7200, exp: now() - 3600 }, secret)],
      ['expired a second ago', hmacToken(HS256, { ...good, iat: now() - 600, exp: now() - 1 }, secret)],
      ['not valid before an hour from now (nbf)', hmacToken(HS256, { ...good, nbf: now() + 3600 }, secret)],
      ['issued without exp', hmacToken(HS256, { sub, role: 'mechanic', iat: now() }, secret)],
      ['issued without iat', hmacToken(HS256, { sub, role: 'mechanic', exp: now() + 600 }, secret)],
      ['exp as a string', hmacToken(HS256, { ...good, exp: String(now() + 600) }, secret)],
      ['no sub', hmacToken(HS256, { role: 'mechanic', iat: now(), exp: now() + 600 }, secret)],
      ['no role', hmacToken(HS256, { sub, iat: now(), exp: now() + 600 }, secret)],
      ['no sid (signed before sessions existed)', hmacToken(HS256, { sub, role: 'mechanic', iat: now(), exp: now() + 600 }, secret)],
      ['sid not a UUID', hmacToken(HS256, claims(sub, 'mechanic', { sid: 'not-a-session' }), secret)],
      ['sid as a number', hmacToken(HS256, claims(sub, 'mechanic', { sid: 1 }), secret)],
      ['sid in upper case', hmacToken(HS256, claims(sub, 'mechanic', { sid: sessionOf(mechanic).toUpperCase() }), secret)],
      ['an unknown role', hmacToken(HS256, claims(sub, 'admin'), secret)],
      ['a role in the wrong case', hmacToken(HS256, claims(sub, 'Mechanic'), secret)],
      ['a role list', hmacToken(HS256, { ...good, role: ['mechanic'] }, secret)],
      ['sub as a number', hmacToken(HS256, { ...good, sub: mechanic.id }, secret)],
      ['sub not a number', hmacToken(HS256, claims('abc', 'mechanic'), secret)],
      ['sub 0', hmacToken(HS256, claims('0', 'mechanic'), secret)],
      ['sub negative', hmacToken(HS256, claims('-1', 'mechanic'), secret)],
      ['sub with a leading zero', hmacToken(HS256, claims(`0${sub}`, 'mechanic'), secret)],
      ['sub as a decimal', hmacToken(HS256, claims(`${sub}.0`, 'mechanic'), secret)],
      ['sub past PostgreSQL integer (was a 500)', hmacToken(HS256, claims('9999999999', 'mechanic'), secret)],
      ["a customer's token with the role rewritten, old signature kept", [customerToken[0], b64url({ ...JSON.parse(Buffer.from(customerToken[1] ?? '', 'base64url').toString()) as object, role: 'mechanic' }), customerToken[2]].join('.')],
      ['a garbage string', 'garbage'],
      ['three empty parts', '..'],
      ['base64 that is not JSON', `${b64url('not json')}.${b64url('{')}.${goodSignature}`],
      ['a 10,000-character token', 'a'.repeat(10_000)],
    ]

    const details = new Set<string>()
    for (const [why, token] of cases) {
      details.add(expect401(t, await asMechanic(bearer(token)), 'listMechanics', why).detail)
    }
    t.same([...details], ['A valid bearer token is required.'], 'no answer tells which check failed')

    // Only a token we signed gets this far; it names an account that is not (or no longer) there.
    expect401(t, await asMechanic(bearer(hmacToken(HS256, claims('2147483647', 'mechanic'), secret))), 'listMechanics', 'the largest id, of no account')
    // ... or a session that is not this account's, or that never existed.
    const ended = expect401(t, await asMechanic(bearer(hmacToken(HS256, claims(String(mechanic.id), 'mechanic', { sid: sessionOf(customer) }), secret))), 'listMechanics', "another account's session")
    t.match(ended.detail, /session .* has ended/)
    expect401(t, await asMechanic(bearer(hmacToken(HS256, claims(String(mechanic.id), 'mechanic', { sid: '00000000-0000-4000-8000-000000000000' }), secret))), 'listMechanics', 'a session that never existed')
  })

  t.test('an Authorization header that is not one bearer token: 401', async (t) => {
    const cases: Array<[string, Record<string, string>]> = [
      ['no header', {}],
      ['Basic credentials', { authorization: `Basic ${Buffer.from(`${mechanic.email}:${mechanic.password}`).toString('base64')}` }],
      ['Bearer and nothing', { authorization: 'Bearer' }],
      ['Bearer and a space', { authorization: 'Bearer ' }],
      ['the token without a scheme', { authorization: mechanic.token }],
      ['two tokens', { authorization: `Bearer ${mechanic.token} ${mechanic.token}` }],
      ['another scheme', { authorization: `Token ${mechanic.token}` }],
    ]
    for (const [why, headers] of cases) expect401(t, await asMechanic(headers), 'listMechanics', why)
    expect401(t, await app.inject({ method: 'GET', url: `/mechanics?token=${mechanic.token}` }), 'listMechanics', 'the token in the query string')
    expect401(t, await app.inject({ method: 'GET', url: '/mechanics', cookies: { token: mechanic.token } }), 'listMechanics', 'the token in a cookie')
  })

  t.test('a valid token of the other role: 403', async (t) => {
    const wrongRole = expectProblem(t, await asMechanic(bearer(customer.token)), 'listMechanics', 403, 'customer token on a mechanic route')
    t.equal(wrongRole.title, 'Forbidden')
    expectProblem(t, await app.inject({ method: 'GET', url: '/customers', headers: bearer(customer.token) }), 'listCustomers', 403, 'customer token on GET /customers')
    expectProblem(t, await app.inject({ method: 'POST', url: '/mechanics', headers: bearer(customer.token), payload: {} }), 'createMechanic', 403, 'customer token on POST /mechanics, before validation')
    const reverse = expectProblem(t, await asCustomer(bearer(mechanic.token)), 'listMyCustomerTickets', 403, 'mechanic token on a customer-only route')
    t.equal(reverse.title, 'Forbidden')
  })

  t.test('a token whose customer was deleted: 401', async (t) => {
    const gone = await customerAccount(app)
    const deleted = await app.inject({ method: 'DELETE', url: `/customers/${gone.id}`, headers: bearer(gone.token) })
    t.equal(deleted.statusCode, 204)
    const body = expect401(t, await app.inject({ method: 'GET', url: `/customers/${gone.id}`, headers: bearer(gone.token) }), 'getCustomer', 'deleted customer')
    t.match(body.detail, /session of this token has ended/)
    expect401(t, await asCustomer(bearer(gone.token)), 'listMyCustomerTickets', 'deleted customer, their own tickets')
  })

  // Verified tokens are remembered (src/lib/verified-tokens.ts): never past their exp, and never
  // for another token, however alike.
  t.test('a remembered token still expires, and is remembered for itself only', async (t) => {
    const shortLived = hmacToken(HS256, claims(String(mechanic.id), 'mechanic', { exp: now() + 2 }), secret)
    t.equal((await asMechanic(bearer(shortLived))).statusCode, 200, 'valid now')
    t.equal((await asMechanic(bearer(shortLived))).statusCode, 200, 'and again, from memory')
    const [head, payload, signature] = shortLived.split('.') as [string, string, string]
    const flipped = signature.at(-2) === 'A' ? 'B' : 'A'
    expect401(t, await asMechanic(bearer(`${head}.${payload}.${signature.slice(0, -2)}${flipped}${signature.at(-1)}`)), 'listMechanics', 'the remembered token with one signature character changed')
    await new Promise((resolve) => setTimeout(resolve, (Number(JSON.parse(Buffer.from(payload, 'base64url').toString()).exp) * 1000) - Date.now() + 50))
    expect401(t, await asMechanic(bearer(shortLived)), 'listMechanics', 'the same token once its exp has passed')
  })

  t.test('a token whose mechanic was deleted: 401', async (t) => {
    const gone = await mechanicAccount(app)
    const deleted = await app.inject({ method: 'DELETE', url: `/mechanics/${gone.id}`, headers: bearer(mechanic.token) })
    t.equal(deleted.statusCode, 204)
    expect401(t, await asMechanic(bearer(gone.token)), 'listMechanics', 'deleted mechanic')
    expect401(t, await app.inject({ method: 'DELETE', url: `/mechanics/${mechanic.id}`, headers: bearer(gone.token) }), 'deleteMechanic', 'deleted mechanic deleting another')
    t.equal((await asMechanic(bearer(mechanic.token))).statusCode, 200, 'the other mechanic is still there')
  })
})

t.test('refresh tokens', async (t) => {
  const app = await buildTestApp(t)
  const refresh = (refreshToken: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/auth/refresh', headers, payload: { refresh_token: refreshToken } })
  const expect401 = (t: Test, res: LightMyRequestResponse, why: string): Problem => {
    const body = expectProblem(t, res, 'refreshSession', 401, `${why}: 401`)
    t.equal(body.title, 'Unauthorized')
    return body
  }

  t.test('forged, truncated and altered refresh tokens: 401, and the real one still works', async (t) => {
    const owner = await customerAccount(app)
    const real = owner.refreshToken
    const flip = (c: string) => c === 'A' ? 'B' : 'A'
    const cases: Array<[string, string]> = [
      ['random bytes of the right length', randomBytes(32).toString('base64url')],
      ['truncated by one character', real.slice(0, -1)],
      ['truncated to half', real.slice(0, 21)],
      ['one character changed', `${real.slice(0, -1)}${flip(real.at(-1) ?? '')}`],
      ['in upper case', real.toUpperCase() === real ? real.toLowerCase() : real.toUpperCase()],
      ['with a character appended', `${real}A`],
      ['its SHA-256 (what the database holds)', createHash('sha256').update(real).digest('base64url')],
      ['the access token', owner.token],
      ['a single character', 'x'],
    ]
    for (const [why, token] of cases) expect401(t, await refresh(token), why)
    const res = await refresh(real)
    t.equal(res.statusCode, 200, 'none of them spent or ended the session')
    t.equal(claimsOf(res.json<{ token: string }>().token).sub, String(owner.id))
  })

  t.test('not a refresh token at all: 400', async (t) => {
    for (const [why, value] of [['empty', ''], ['a number', 42], ['null', null], ['1025 characters', 'a'.repeat(1025)]] as const) {
      expectProblem(t, await refresh(value), 'refreshSession', 400, why)
    }
    expectProblem(t, await app.inject({ method: 'POST', url: '/auth/refresh', payload: {} }), 'refreshSession', 400, 'missing')
  })

  t.test("another user's refresh token answers for that user, whoever sends it", async (t) => {
    const [a, b] = [await customerAccount(app), await customerAccount(app)]
    const res = await refresh(b.refreshToken, bearer(a.token))
    t.equal(res.statusCode, 200)
    const claims = claimsOf(res.json<{ token: string }>().token)
    t.equal(claims.sub, String(b.id), "B's session, not the caller's")
    t.equal(claims.sid, claimsOf(b.token).sid)
    t.equal((await app.inject({ method: 'GET', url: `/customers/${a.id}`, headers: bearer(a.token) })).statusCode, 200, "A's session is untouched")
    expect401(t, await refresh(b.refreshToken), "B's token, spent")
  })

  t.test("a deleted account's refresh token: 401", async (t) => {
    const gone = await customerAccount(app)
    t.equal((await app.inject({ method: 'DELETE', url: `/customers/${gone.id}`, headers: bearer(gone.token) })).statusCode, 204)
    expect401(t, await refresh(gone.refreshToken), 'deleted customer')
    const mechanic = await mechanicAccount(app)
    const goneMechanic = await mechanicAccount(app)
    t.equal((await app.inject({ method: 'DELETE', url: `/mechanics/${goneMechanic.id}`, headers: bearer(mechanic.token) })).statusCode, 204)
    expect401(t, await refresh(goneMechanic.refreshToken), 'deleted mechanic')
    const rows = await app.db.selectFrom('sessions').select('id').where('mechanic_id', '=', goneMechanic.id).execute()
    t.same(rows, [], 'the sessions are gone with the account')
  })
})

t.test('a short JWT_SECRET is refused whenever it is set, and production requires one', async (t) => {
  const production = { NODE_ENV: 'production', PGLITE_DIR: 'memory://' }
  t.throws(() => loadConfig({ env: production, dotenvPath: false }), /JWT_SECRET is required/)
  for (const env of [production, { NODE_ENV: 'development' }, { NODE_ENV: 'test' }, {}]) {
    t.throws(() => loadConfig({ env: { ...env, JWT_SECRET: 'x'.repeat(MIN_SECRET_LENGTH - 1) }, dotenvPath: false }), /JWT_SECRET must NOT have fewer than 32 characters/, JSON.stringify(env))
    t.equal(loadConfig({ env: { ...env, JWT_SECRET: 'x'.repeat(MIN_SECRET_LENGTH) }, dotenvPath: false }).jwt.secret.length, 32)
  }
})

t.test('tokens from another issuer or for another audience are refused', async (t) => {
  const env = await testEnv(t, { JWT_ISSUER: 'shop-one', JWT_AUDIENCE: 'shop-one-api' })
  const secret = env.JWT_SECRET ?? ''
  const app = await buildTestApp(t, env)
  const mechanic = await mechanicAccount(app)
  const payload = JSON.parse(Buffer.from(mechanic.token.split('.')[1] ?? '', 'base64url').toString()) as Record<string, unknown>
  t.match(payload, { iss: 'shop-one', aud: 'shop-one-api' }, 'issued with JWT_ISSUER and JWT_AUDIENCE')
  const list = (token: string) => app.inject({ method: 'GET', url: '/mechanics', headers: bearer(token) })
  const sub = String(mechanic.id)
  const claims = (sub: string, role: string, extra: object): Record<string, unknown> =>
    moduleClaims(sub, role, { sid: claimsOf(mechanic.token).sid, ...extra })
  t.equal((await list(hmacToken(HS256, claims(sub, 'mechanic', { iss: 'shop-one', aud: 'shop-one-api' }), secret))).statusCode, 200, 'the right pair')
  for (const [why, extra] of [
    ['another issuer', { iss: 'shop-two', aud: 'shop-one-api' }],
    ['another audience', { iss: 'shop-one', aud: 'shop-two-api' }],
    ['no iss', { iss: undefined, aud: 'shop-one-api' }],
    ['no aud', { iss: 'shop-one', aud: undefined }],
  ] as const) {
    expectProblem(t, await list(hmacToken(HS256, claims(sub, 'mechanic', extra), secret)), 'listMechanics', 401, why)
  }
})

t.test('a token whose account was deleted behind the API\'s back is refused: its sessions went with it', async (t) => {
  // The bearer check asks only whether the token's session is alive; the foreign keys delete an
  // account's sessions with it, however the account was deleted. How long a session seen alive is
  // remembered (at most a minute) is pinned in test/live-sessions.test.ts.
  const app = await buildTestApp(t)
  const gone = await mechanicAccount(app)
  await app.db.deleteFrom('mechanics').where('id', '=', gone.id).execute()
  const body = expectProblem(t, await app.inject({ method: 'GET', url: '/mechanics', headers: bearer(gone.token) }), 'listMechanics', 401, 'deleted by SQL')
  t.match(body.detail, /session of this token has ended/)
})
