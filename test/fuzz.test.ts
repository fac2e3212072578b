// Property-based requests for every operation of openapi.yaml, generated from the contract's own
// schemas (test/support/arbitraries.ts): valid ones, and invalid ones that break exactly one path
// parameter, query parameter, header or body field. For every answer: never a 5xx, every 4xx is
// problem+json, everything matches the contract, and a 4xx changed no row of any table. An invalid
// request must get a 400; a valid one must not (except where a 400 is about the data, not the schema).
//
// FUZZ_RUNS (default 25) sets the runs per operation, mode and role; FUZZ_SEED replays a run. The
// seed is printed at the start and in every failure.
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import fc from 'fast-check'
import t from 'tap'
import { type Account, buildTestApp, changedTables, customerAccount, expectContract, headerText, invalid, type Invalid, invalidParameter, type Json, laborLine, mechanicAccount, newSession, type Operation, operations, part, type Role, snapshot, ticket, valid } from './helpers.js'

const RUNS = Number(process.env.FUZZ_RUNS ?? 25)
const SEED = process.env.FUZZ_SEED === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env.FUZZ_SEED)
if (!Number.isSafeInteger(RUNS) || RUNS < 1) throw new Error(`FUZZ_RUNS must be a positive integer, got ${process.env.FUZZ_RUNS}`)
if (!Number.isSafeInteger(SEED)) throw new Error(`FUZZ_SEED must be an integer, got ${process.env.FUZZ_SEED}`)

/**
 * Operations whose valid requests may still get a 400 from the handler, about the data rather
 * than its shape: the same mechanic in add_ids and remove_ids; a part's quantity past 1,000 in total.
 */
const DATA_400: Record<string, string> = {
  editTicketMechanics: 'the same id in add_ids and remove_ids',
  addTicketPart: "the part's total quantity on the ticket past 1000",
  createServiceTicket: 'neither vehicle_id nor vin',
  updateServiceTicket: 'odometer_out below odometer_in (the one sent or the one kept)',
  createVehicle: 'a year after next year',
  updateVehicle: 'a year after next year',
}

interface Request {
  method: Operation['method']
  url: string
  headers: Record<string, string>
  payload?: string
  /** What was broken, for an invalid request. */
  why?: string
}

const ID_REF = '#/components/schemas/Id'

t.test('fuzz every operation from the contract', async (t) => {
  t.comment(`fast-check seed ${SEED}, ${RUNS} runs per operation, mode and role (replay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS})`)
  const app = await buildTestApp(t)

  // Rows for small ids to find: most generated ids are 1–12, so reads, updates and deletes hit
  // real rows as well as missing ones.
  const customers: Account[] = []
  for (let i = 0; i < 4; i++) customers.push(await customerAccount(app, `Fuzz Customer ${i}`))
  const mechanics: Account[] = []
  for (let i = 0; i < 4; i++) mechanics.push(await mechanicAccount(app, `Fuzz Mechanic ${i}`))
  const parts: number[] = []
  for (let i = 0; i < 5; i++) parts.push(await part(app, `Fuzz part ${i}`, 10 + i))
  for (let i = 0; i < 5; i++) {
    const ticketId = await ticket(app, customers[i % customers.length]?.id ?? 1, { mechanicIds: mechanics.slice(0, i % 3).map((m) => m.id), partIds: parts.slice(0, i % 4) })
    for (let j = 0; j < i % 3; j++) await laborLine(app, ticketId, { hours: 1.5, rate: 80, mechanic_id: mechanics[j]?.id })
  }
  const caller = { mechanic: await mechanicAccount(app, 'Fuzz caller'), customer: await customerAccount(app, 'Fuzz caller') }
  // The callers' own ids are never generated, so a fuzzed delete cannot log the fuzzer out.
  const callerIds = new Set([caller.mechanic.id, caller.customer.id])
  const id = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 12 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 2_147_483_647 }) },
  ).filter((n) => !callerIds.has(n))
  const refs = { [ID_REF]: id }

  function requests (op: Operation, mode: 'valid' | 'invalid', token: string | undefined): fc.Arbitrary<Request> | undefined {
    const params = op.parameters
    const pathValues = fc.record(Object.fromEntries(params.filter((p) => p.in === 'path').map((p) => [p.name, valid(p.schema, { refs })])))
    const queryValues = fc.record(Object.fromEntries(params.filter((p) => p.in === 'query').map((p) => [p.name, valid(p.schema, { refs })])), { requiredKeys: params.filter((p) => p.in === 'query' && p.required).map((p) => p.name) })
    const headerValues = fc.record(Object.fromEntries(params.filter((p) => p.in === 'header').map((p) => [p.name.toLowerCase(), headerText(p.schema)])), { requiredKeys: params.filter((p) => p.in === 'header' && p.required).map((p) => p.name.toLowerCase()) })
    const body = op.body === undefined ? fc.constant(undefined) : valid(op.body, { refs })
    const base = fc.record({ path: pathValues, query: queryValues, headers: headerValues, body })

    type Parts = { path: Record<string, unknown>, query: Record<string, unknown>, headers: Record<string, unknown>, body: unknown }
    const build = (parts: Parts, why?: string): Request => {
      const url = op.path.replace(/{(\w+)}/g, (_, name: string) => encodeURIComponent(String(parts.path[name])))
      const query = new URLSearchParams(Object.entries(parts.query).map(([k, v]): [string, string] => [k, String(v)])).toString()
      return {
        method: op.method,
        url: query === '' ? url : `${url}?${query}`,
        headers: {
          ...Object.fromEntries(Object.entries(parts.headers).map(([k, v]) => [k, String(v)])),
          ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          ...(parts.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(parts.body === undefined ? {} : { payload: JSON.stringify(parts.body) }),
        ...(why === undefined ? {} : { why }),
      }
    }
    if (mode === 'valid') return base.map((parts) => build(parts))

    // One broken site per request: a parameter, or the body.
    const breaks: Array<fc.Arbitrary<Request>> = []
    for (const p of params) {
      const where = p.in === 'path' ? 'path' : p.in === 'query' ? 'query' : 'headers'
      const key = p.in === 'header' ? p.name.toLowerCase() : p.name
      breaks.push(fc.tuple(base, invalidParameter(p.schema)).map(([parts, bad]: [Parts, Invalid]) =>
        build({ ...parts, [where]: { ...parts[where], [key]: bad.value } }, `${p.in} ${p.name}: ${bad.why}`)))
    }
    if (op.body !== undefined) {
      breaks.push(fc.tuple(base, invalid(op.body, { refs })).map(([parts, bad]: [Parts, Invalid]) => build({ ...parts, body: bad.value }, `body: ${bad.why}`)))
    }
    return breaks.length === 0 ? undefined : fc.oneof(...breaks)
  }

  async function check (op: Operation, mode: 'valid' | 'invalid', req: Request): Promise<void> {
    const before = await snapshot(app.db)
    const res: LightMyRequestResponse = await app.inject(req as InjectOptions)
    const failures: string[] = []
    if (res.statusCode >= 500) failures.push(`a ${res.statusCode}`)
    try {
      expectContract(res, op.id)
    } catch (err) {
      failures.push((err as Error).message)
    }
    if (res.statusCode >= 400) {
      if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) failures.push(`a ${res.statusCode} that is not problem+json`)
      const changed = changedTables(before, await snapshot(app.db))
      if (changed.length > 0) failures.push(`a ${res.statusCode} that changed rows: ${changed.join('; ')}`)
    }
    if (mode === 'invalid' && res.statusCode !== 400) failures.push(`an invalid request (${req.why}) answered ${res.statusCode}, not 400`)
    if (mode === 'valid' && res.statusCode === 400 && DATA_400[op.id] === undefined) failures.push('a valid request answered 400')
    if (mode === 'valid' && res.statusCode >= 200 && res.statusCode < 300 && req.payload !== undefined) {
      // What was written comes back as it was sent: no truncation, normalization or mangling.
      const sent = JSON.parse(req.payload) as Json
      const answer = res.json<Json>()
      for (const [key, value] of Object.entries(sent)) {
        if (typeof value === 'string' && key in answer && answer[key] !== value) failures.push(`"${key}" came back as ${JSON.stringify(answer[key])}, sent ${JSON.stringify(value)}`)
      }
    }
    if (failures.length > 0) {
      throw new Error([
        `${op.id}: ${req.method} ${req.url}${req.why === undefined ? '' : ` (broken: ${req.why})`}`,
        `request body: ${req.payload?.slice(0, 500) ?? '(none)'}`,
        `answer ${res.statusCode}: ${res.body.slice(0, 500)}`,
        ...failures.map((f) => `- ${f}`),
        `replay: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}`,
      ].join('\n'))
    }
  }

  const ids = operations.map((op) => op.id)
  t.ok(ids.length >= 31, `fuzzing all ${ids.length} operations of openapi.yaml`)

  for (const op of operations) {
    const roles: Array<Role | 'public'> = op.access === 'public' ? ['public'] : op.access
    for (const role of roles) {
      // Logging out ends the session it is sent with: a session of its own, so the callers stay logged in.
      const token = role === 'public' ? undefined : op.id === 'endSession' ? (await newSession(app, role, caller[role].id)).token : caller[role].token
      for (const mode of ['valid', 'invalid'] as const) {
        const arb = requests(op, mode, token)
        if (arb === undefined) continue // nothing in the request to break (no parameters, no body)
        // An operation without inputs answers the same every time: a few runs say as much as 25.
        const numRuns = op.parameters.length === 0 && op.body === undefined ? Math.min(RUNS, 3) : RUNS
        t.test(`${op.id} as ${role}: ${mode} requests`, async (t) => {
          await fc.assert(fc.asyncProperty(arb, (req) => check(op, mode, req)), { numRuns, seed: SEED, includeErrorInReport: true })
          t.pass(`${numRuns} ${mode} requests`)
        })
      }
    }
  }
})
