// Assertions shared by the resource test files: every response is also checked against the
// contract, and every error must be problem+json.
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import type { Test } from 'tap'
import type { components } from '../../generated/api.js'
import { expectContract } from './contract.js'

export type Problem = components['schemas']['Problem']
export type ValidationProblem = components['schemas']['ValidationProblem']

/** Asserts the status, then the contract; returns the parsed body. */
export function expectOk<T> (t: Test, res: LightMyRequestResponse, operationId: string, status: number): T {
  t.equal(res.statusCode, status, `${operationId} answers ${status}`, { body: res.body })
  return expectContract(res, operationId) as T
}

/** Asserts an RFC 9457 answer with this status that the contract declares for the operation. */
export function expectProblem<T extends Problem = Problem> (t: Test, res: LightMyRequestResponse, operationId: string, status: number, message?: string): T {
  t.equal(res.statusCode, status, message ?? `${operationId} answers ${status}`, { body: res.body })
  t.match(res.headers['content-type'], /^application\/problem\+json\b/, 'as problem+json')
  return expectContract(res, operationId) as T
}

/** A 400 must name every field given here, by JSON pointer and location. */
export function expectInvalid (t: Test, res: LightMyRequestResponse, operationId: string, fields: Array<{ name: string, in: string }>): ValidationProblem {
  const body = expectProblem<ValidationProblem>(t, res, operationId, 400)
  t.equal(body.type, '/problems/validation-error')
  for (const field of fields) {
    t.ok(body.errors.some((e) => e.name === field.name && e.in === field.in), `names ${field.in} ${field.name}`, { errors: body.errors })
  }
  return body
}

/** No response body may carry a password or its hash, under any key. */
export function expectNoSecrets (t: Test, res: LightMyRequestResponse): void {
  t.notMatch(res.body, /password|scrypt\$|\$argon2/i, 'no password or hash in the body')
}

/** Injects a request and checks its answer against the contract's declaration for operationId. */
export async function injectChecked (app: FastifyInstance, operationId: string, options: InjectOptions): Promise<LightMyRequestResponse> {
  const res = await app.inject(options)
  expectContract(res, operationId)
  return res
}

/** For an answer injectChecked has already held to the contract: the status and problem+json. */
export function problemWithStatus (t: Test, res: LightMyRequestResponse, status: number): ValidationProblem {
  t.equal(res.statusCode, status, `answers ${status}`)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  return res.json<ValidationProblem>()
}

/** The `name`s of a problem's field errors, sorted. */
export const fieldNames = (problem: ValidationProblem): string[] => problem.errors.map((e) => e.name).sort()
