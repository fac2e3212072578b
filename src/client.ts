// The typed client SDK (`mechanic-shop-api/client`): openapi-fetch over the types openapi-typescript
// generates from openapi.yaml, so paths, parameters, bodies and responses are checked against the
// contract at compile time. Its additions are the bearer token and, given a refresh token, one
// refresh and retry when a request gets 401. Pinned by test/client.test.ts.
// @see https://openapi-ts.dev/openapi-fetch/
import createClient, { type Client, type Middleware } from 'openapi-fetch'
import type { components, operations, paths } from '../generated/api.js'

export type { components, operations, paths }
/** The contract's schemas by name: `Schemas['ServiceTicket']`. */
export type Schemas = components['schemas']

export interface ShopClientOptions {
  /** Where the API is, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string
  /** A token from `POST /customers/login` or `POST /mechanics/login`; sent as `Authorization: Bearer`. */
  token?: string | undefined
  /**
   * The session's refresh token: a request sent with the client's token that gets 401 is then
   * retried once after `POST /auth/refresh`. Without one, a 401 is simply returned.
   */
  refreshToken?: string | undefined
  /** Called with every new pair a refresh answers, so the caller can keep it (the old one is spent). */
  onRefresh?: (pair: Schemas['Token']) => void
  /** A fetch to use instead of the global one (tests, proxies, retries). */
  fetch?: (input: Request) => Promise<Response>
}

export interface ShopClient extends Client<paths> {
  /** Sends this token on every later request; `undefined` stops sending one. */
  setToken: (token: string | undefined) => void
  /** The token requests are sent with, if any. */
  readonly token: string | undefined
  /** Takes a login's (or a refresh's) answer: its access token and refresh token. */
  setSession: (pair: Pick<Schemas['Token'], 'token' | 'refresh_token'>) => void
  /** The refresh token a 401 is answered with, if any. */
  readonly refreshToken: string | undefined
}

type RefreshBody = paths['/auth/refresh']['post']['requestBody']['content']['application/json']

/**
 * @example
 * const shop = createShopClient({ baseUrl: 'http://127.0.0.1:3000' })
 * const { data } = await shop.POST('/customers/login', { body: { email, password } })
 * if (data) shop.setSession(data) // the access token, and the refresh token for when it expires
 * const { data: page } = await shop.GET('/customers/my-tickets', { params: { query: { per_page: 20 } } })
 */
export function createShopClient ({ baseUrl, token, refreshToken, onRefresh, fetch }: ShopClientOptions): ShopClient {
  let current = token
  let refreshing = refreshToken
  const send = fetch ?? ((request: Request) => globalThis.fetch(request))
  const client = createClient<paths>({ baseUrl, ...(fetch === undefined ? {} : { fetch }) })
  /** Requests sent with the client's own token, and a copy to send again (a body is read once). */
  const retryable = new WeakMap<Request, Request>()

  /**
   * One refresh for every request that meets the same expired token: a refresh token works once,
   * and a second refresh with it would end the session (reuse detection).
   */
  let inFlight: Promise<boolean> | undefined
  const refresh = (): Promise<boolean> => (inFlight ??= (async () => {
    const spent = refreshing
    if (spent === undefined) return false
    const body: RefreshBody = { refresh_token: spent }
    const res = await send(new Request(`${baseUrl.replace(/\/+$/, '')}/auth/refresh`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    }))
    if (!res.ok) {
      refreshing = undefined // spent, expired or ended: only a new login helps
      return false
    }
    const pair = await res.json() as Schemas['Token']
    current = pair.token
    refreshing = pair.refresh_token
    onRefresh?.(pair)
    return true
  })().finally(() => { inFlight = undefined }))

  const bearer: Middleware = {
    onRequest ({ request }) {
      // A header given on the call itself wins, so one request can act as someone else.
      if (current !== undefined && !request.headers.has('authorization')) {
        request.headers.set('authorization', `Bearer ${current}`)
        if (refreshing !== undefined) retryable.set(request, request.clone())
      }
      return request
    },
    async onResponse ({ request, response }) {
      const copy = retryable.get(request)
      if (response.status !== 401 || copy === undefined) return response
      const sentWith = copy.headers.get('authorization')
      // Another request may have refreshed meanwhile: then only the retry is needed.
      if (sentWith === `Bearer ${current}` && !await refresh()) return response
      copy.headers.set('authorization', `Bearer ${current}`)
      return await send(copy)
    },
  }
  client.use(bearer)
  return Object.defineProperties(client as ShopClient, {
    setToken: { value: (next: string | undefined) => { current = next }, enumerable: true },
    token: { get: () => current, enumerable: true },
    setSession: { value: (pair: Pick<Schemas['Token'], 'token' | 'refresh_token'>) => { current = pair.token; refreshing = pair.refresh_token }, enumerable: true },
    refreshToken: { get: () => refreshing, enumerable: true },
  })
}
