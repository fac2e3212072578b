// One app per test file on a fresh database: PGlite in memory by default, a throwaway PostgreSQL
// database when the runner sets TEST_DRIVER=pg (it does when TEST_DATABASE_URL is set).
import { randomUUID } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import { buildApp, type BuildOptions } from '../src/app.js'
import { loadConfig, type Config } from '../src/config.js'
import { createTestPostgres } from './support/databases.js'

// The one module test files import: what they share is here or re-exported from test/support/.
export { expectContract } from './support/contract.js'
export * from './support/responses.js'
export * from './support/fixtures.js'
export * from './support/snapshot.js'
export * from './support/operations.js'
export * from './support/redis.js'
export * from './support/server-process.js'
export * from './support/postgres-server.js'
export * from './support/arbitraries.js'
export { isMultipleOf } from './support/multiple-of.js'
export { createTestPostgres } from './support/databases.js'

export const BOSS = { email: 'boss@shop.test', password: 'boss-password-1', name: 'Bootstrap Boss' } as const

export const usingPostgres = (): boolean => process.env.TEST_DRIVER === 'pg'

/** What every test app runs with whatever its database: quiet, the bootstrap mechanic, no 429s. */
export const TEST_SETTINGS: Readonly<Record<string, string>> = {
  JWT_SECRET: 'test-secret-that-is-long-enough-0123456789',
  LOG_LEVEL: 'silent',
  BOOTSTRAP_MECHANIC_EMAIL: BOSS.email,
  BOOTSTRAP_MECHANIC_PASSWORD: BOSS.password,
  BOOTSTRAP_MECHANIC_NAME: BOSS.name,
  RATE_LIMIT_MAX: '100000',
  LOGIN_RATE_LIMIT_MAX: '100000',
}

/** The environment a test app runs with; `env` overrides or adds variables. */
export async function testEnv (t: Test, env: Record<string, string> = {}): Promise<Record<string, string>> {
  const base: Record<string, string> = { PGLITE_DIR: 'memory://', ...TEST_SETTINGS }
  if (usingPostgres()) {
    const url = await createTestPostgres(t)
    if (url === undefined) throw new Error('TEST_DRIVER=pg needs TEST_DATABASE_URL')
    base.DATABASE_URL = url
  }
  return { ...base, ...env }
}

/** The migrated PGlite dump that scripts/run-tests.ts makes, when the suite runs through it. */
export function pgliteSnapshot (): Blob | undefined {
  const path = process.env.TEST_PGLITE_SNAPSHOT
  return path === undefined || usingPostgres() || !existsSync(path) ? undefined : new Blob([readFileSync(path)])
}

/** Builds the real app on a fresh database and closes it when `t` ends. */
export async function buildTestApp (t: Test, env: Record<string, string> = {}): Promise<FastifyInstance> {
  const app = await appWith(t, await testEnv(t, env), (config) => ({
    // Only a new in-memory database starts from the dump: a directory may already hold one.
    pgliteSnapshot: config.database.kind === 'pglite' && config.database.dir.startsWith('memory://') ? pgliteSnapshot() : undefined,
  }))
  await app.ready()
  return app
}

/**
 * The app on exactly this environment, closed when `t` ends even if it never started; not waited
 * for, so a test can watch a start-up that fails.
 */
export function appWith (t: Pick<Test, 'teardown'>, env: Record<string, string>, options: (config: Config) => BuildOptions = () => ({})): Promise<FastifyInstance> {
  const config = loadConfig({ env, dotenvPath: false })
  const app = buildApp(config, options(config))
  t.teardown(async () => { await (await app.catch(() => undefined))?.close() })
  return app
}

export const uniqueEmail = (prefix = 'user'): string => `${prefix}-${randomUUID().slice(0, 8)}@example.com`

export const auth = (token: string): { authorization: string } => ({ authorization: `Bearer ${token}` })

function expectStatus (res: LightMyRequestResponse, status: number, what: string): void {
  if (res.statusCode !== status) throw new Error(`${what}: expected ${status}, got ${res.statusCode}: ${res.body}`)
}

export async function mechanicToken (app: FastifyInstance, credentials: { email: string, password: string } = BOSS): Promise<string> {
  // Only the two login fields: callers pass whole accounts, and the contract refuses extra fields.
  const res = await app.inject({ method: 'POST', url: '/mechanics/login', payload: { email: credentials.email, password: credentials.password } })
  expectStatus(res, 200, 'mechanic login')
  return res.json<{ token: string }>().token
}

export interface TestCustomer { id: number, email: string, password: string, name: string, phone: string, token: string }

/** Signs a customer up and logs them in, through the API. */
export async function signUpCustomer (app: FastifyInstance, overrides: Partial<{ name: string, email: string, phone: string, password: string }> = {}): Promise<TestCustomer> {
  const input = { name: 'Test Customer', email: uniqueEmail('customer'), phone: '+1 555 0100', password: 'customer-password', ...overrides }
  const created = await app.inject({ method: 'POST', url: '/customers', payload: input })
  expectStatus(created, 201, 'customer sign-up')
  const login = await app.inject({ method: 'POST', url: '/customers/login', payload: { email: input.email, password: input.password } })
  expectStatus(login, 200, 'customer login')
  return { ...input, id: created.json<{ id: number }>().id, token: login.json<{ token: string }>().token }
}

export interface TestMechanic { id: number, email: string, password: string, name: string, token: string }

/** Creates a mechanic (as the bootstrap mechanic) and logs them in, through the API. */
export async function createMechanic (app: FastifyInstance, overrides: Partial<{ name: string, email: string, salary: number }> = {}): Promise<TestMechanic> {
  const boss = await mechanicToken(app)
  const input = { name: 'Test Mechanic', email: uniqueEmail('mechanic'), phone: '+1 555 0200', salary: 50000, password: 'mechanic-password', ...overrides }
  const created = await app.inject({ method: 'POST', url: '/mechanics', headers: auth(boss), payload: input })
  expectStatus(created, 201, 'mechanic create')
  return { ...input, id: created.json<{ id: number }>().id, token: await mechanicToken(app, input) }
}
