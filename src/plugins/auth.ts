// Owns tokens: @fastify/jwt with one pinned algorithm, token issuing, and the `bearer` security
// handler that fastify-openapi-glue calls with the roles an operation's contract lists.
// @see https://github.com/fastify/fastify-jwt
import fastifyJwt, { type JWT } from '@fastify/jwt'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { components } from '../../generated/api.js'
import { VerifiedTokens } from '../lib/verified-tokens.js'
import { forbidden, unauthorized } from '../errors.js'

const ROLES = ['customer', 'mechanic'] as const
export type Role = (typeof ROLES)[number]
export type Token = components['schemas']['Token']
/** The access half of the login answer; the session (plugins/sessions.ts) adds the refresh token. */
type AccessToken = Pick<Token, 'token' | 'token_type' | 'expires_in'>

/** The HS256 claims we issue: `sub` is the id as a string, as JWT wants; `sid` names the session. */
export interface TokenClaims { sub: string, role: Role, sid: string, iat: number, exp: number, iss: string, aud: string }

declare module '@fastify/jwt' {
  interface FastifyJWT {
    payload: { role: Role, sid: string }
    user: TokenClaims
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    issueToken: (role: Role, id: number, sessionId: string) => AccessToken
  }
}

interface AuthOptions {
  secret: string
  expiresInSeconds: number
  /** JWT_ISSUER and JWT_AUDIENCE: issued in every token and required of every token. */
  issuer: string
  audience: string
}

/** The caller's id as a number; only valid after `bearer` has run. */
export const callerId = (req: FastifyRequest): number => Number(req.user.sub)

/** The caller's session id; only valid after `bearer` has run. */
export const callerSession = (req: FastifyRequest): string => req.user.sid

const isRole = (value: unknown): value is Role => ROLES.includes(value as Role)

/** The largest id a PostgreSQL `integer` column holds. */
const MAX_ACCOUNT_ID = 2_147_483_647

/**
 * `sub` as we issue it: a string of a positive integer that fits the id columns. A digits-only
 * check is not enough: "9999999999" would reach the account lookup, where PostgreSQL refuses it as
 * out of range for integer, a 500 instead of a 401 (test/tokens.test.ts).
 */
const isAccountId = (value: unknown): value is string =>
  typeof value === 'string' && /^[1-9]\d{0,9}$/.test(value) && Number(value) <= MAX_ACCOUNT_ID

/** `sid` as we issue it: a lowercase UUID (randomUUID), the sessions table's key. */
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const isSessionId = (value: unknown): value is string => typeof value === 'string' && SESSION_ID.test(value)

/** What the bearer check asks of sessions (plugins/sessions.ts). */
export interface SessionCheck {
  isLive: (sessionId: string, account: { role: Role, id: number }) => Promise<boolean>
}

/**
 * A token is good only while its session is: logout, a password change and reuse of a refresh
 * token end sessions, and their tokens get 401 at once. A token without `sid` (signed before
 * sessions existed) is refused: it could not be revoked.
 */
async function assertLiveSession (sessions: SessionCheck, claims: TokenClaims): Promise<void> {
  if (!isSessionId(claims.sid)) throw unauthorized()
  if (!await sessions.isLive(claims.sid, { role: claims.role, id: Number(claims.sub) })) {
    throw unauthorized('The session of this token has ended.')
  }
}

/** RFC 6750's `Authorization: Bearer <token>`; the scheme name is case-insensitive. */
const BEARER_TOKEN = /^Bearer ([^\s]+)$/i

/**
 * Security handlers, keyed by the scheme names in openapi.yaml's `components.securitySchemes`.
 * `bearer` gets the roles the operation's requirement lists: a bad token is 401, a valid token of
 * another role 403, and a token whose session has ended 401.
 *
 * Deleting an account deletes its sessions in the same transaction and announces their end to every
 * instance, so the session check also answers whether the token's account still exists: an
 * authenticated read costs no lookup beyond it (one database round trip at most, none while the
 * session is remembered; see plugins/sessions.ts for how long that is).
 */
export function createSecurityHandlers (jwt: Pick<JWT, 'verify'>, sessions: SessionCheck) {
  const verifiedTokens = new VerifiedTokens<TokenClaims>()
  return {
    async bearer (req: FastifyRequest, _reply: unknown, roles: string[]): Promise<void> {
      const token = BEARER_TOKEN.exec(req.headers.authorization ?? '')?.[1]
      if (token === undefined) throw unauthorized()
      const known = verifiedTokens.get(token)
      if (known !== undefined) {
        req.user = known
      } else {
        try {
          // The app's verifier itself: req.jwtVerify() decodes the token once more before verifying
          // it and goes through a callback waterfall, about a tenth of a cached read's CPU.
          req.user = verifiedTokens.remember(token, jwt.verify<TokenClaims>(token))
        } catch {
          throw unauthorized()
        }
      }
      const { sub, role } = req.user
      if (!isRole(role) || !isAccountId(sub)) throw unauthorized()
      if (!roles.includes(role)) throw forbidden(`This operation is for ${roles.join(' or ')} tokens only.`)
      await assertLiveSession(sessions, req.user)
    },
  }
}

async function auth (app: FastifyInstance, opts: AuthOptions): Promise<void> {
  await app.register(fastifyJwt, {
    secret: opts.secret,
    sign: { algorithm: 'HS256', expiresIn: opts.expiresInSeconds, iss: opts.issuer, aud: opts.audience },
    // Pinning the algorithm refuses `alg: none` and algorithm-confusion tokens. Every claim we
    // issue is required: without `exp`, a token signed with our secret would never expire.
    // A verified token is remembered by `bearer` (VerifiedTokens, at most until its `exp`), so a
    // client's next requests skip the signature and claim checks; fast-jwt's own cache is off.
    verify: {
      algorithms: ['HS256'],
      requiredClaims: ['sub', 'role', 'sid', 'iat', 'exp', 'iss', 'aud'],
      allowedIss: opts.issuer,
      allowedAud: opts.audience,
    },
  })

  app.decorate('issueToken', (role: Role, id: number, sessionId: string): AccessToken => ({
    token: app.jwt.sign({ role, sid: sessionId }, { sub: String(id) }),
    token_type: 'Bearer',
    expires_in: opts.expiresInSeconds,
  }))
}

export default fp(auth, { name: 'auth' })
