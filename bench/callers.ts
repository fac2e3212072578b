// The callers of the authenticated routes: many customers and every mechanic, each with a session
// of their own, as the API's session check (src/plugins/sessions.ts) sees real clients.
//
// A login costs a password hash (about 90 ms of one core), so only one customer and one mechanic log
// in through the API. Every other caller gets a session row like the one a login writes, and a token
// with the claims of the real login's, re-signed with that caller's `sub` and `sid`: whatever claims
// the API issues and checks, the minted tokens carry them too. The sessions are deleted afterwards.
import { createHmac } from 'node:crypto'
import pg from 'pg'
import { BENCH_JWT_SECRET } from './api-process.js'
import { BENCH_PASSWORD, customerEmail, mechanicEmail } from './common.js'
import { http, type Server } from './servers.js'

/** Every caller's `authorization` header, and for customers the id the baseline reads instead. */
export interface Callers {
  mechanics: string[]
  customers: Array<{ authorization: string, customerId: number }>
  /** Deletes the sessions the minted tokens name. */
  end: () => Promise<void>
}

type Role = 'customer' | 'mechanic'

async function login (server: Server, role: Role, email: string): Promise<string> {
  const res = await http(`${server.url}/${role}s/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: BENCH_PASSWORD }),
  })
  if (res.status !== 200) throw new Error(`${role} login as ${email} answered ${res.status}: ${res.body}`)
  return (JSON.parse(res.body) as { token: string }).token
}

/** A session per account, as a login starts it (a day long: more than any run); their ids in `ids`' order. */
async function startSessions (client: pg.Client, role: Role, ids: number[]): Promise<string[]> {
  const { rows } = await client.query<{ id: string, account: number }>(`
    insert into sessions (id, ${role}_id, expires_at)
    select gen_random_uuid(), account, now() + interval '1 day' from unnest($1::int[]) as account
    returning id::text, ${role}_id as account`, [ids])
  const sessionOf = new Map(rows.map((r) => [r.account, r.id]))
  return ids.map((id) => sessionOf.get(id)!)
}

function tokensLike (token: string, accounts: Array<{ sub: number, sid: string }>): string[] {
  const [header, payload] = token.split('.')
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()) as Record<string, unknown>
  return accounts.map(({ sub, sid }) => {
    const unsigned = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: String(sub), sid })).toString('base64url')}`
    return `${unsigned}.${createHmac('sha256', BENCH_JWT_SECRET).update(unsigned).digest('base64url')}`
  })
}

export async function callers (api: Server, databaseUrl: string, customerIds: number[], mechanicIds: number[]): Promise<Callers> {
  const mechanic = await login(api, 'mechanic', mechanicEmail(1))
  const customer = await login(api, 'customer', customerEmail(1))
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const customerSessions = await startSessions(client, 'customer', customerIds)
    const mechanicSessions = await startSessions(client, 'mechanic', mechanicIds)
    const sessions = [...customerSessions, ...mechanicSessions]
    const customerTokens = tokensLike(customer, customerIds.map((sub, i) => ({ sub, sid: customerSessions[i]! })))
    return {
      mechanics: tokensLike(mechanic, mechanicIds.map((sub, i) => ({ sub, sid: mechanicSessions[i]! }))).map((token) => `Bearer ${token}`),
      customers: customerTokens.map((token, i) => ({ authorization: `Bearer ${token}`, customerId: customerIds[i]! })),
      end: async () => {
        const ending = new pg.Client({ connectionString: databaseUrl })
        await ending.connect()
        try {
          await ending.query('delete from sessions where id = any($1::uuid[])', [sessions])
        } finally {
          await ending.end()
        }
      },
    }
  } finally {
    await client.end()
  }
}
