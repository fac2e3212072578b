// The typed client SDK (`mechanic-shop-api/client`): openapi-fetch over the types openapi-typescript
// generates from openapi.yaml, so paths, parameters, bodies and responses are checked against the
// contract at compile time. Its one addition is the bearer token. Pinned by test/client.test.ts.
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
  /** A fetch to use instead of the global one (tests, proxies, retries). */
  fetch?: (input: Request) => Promise<Response>
}

export interface ShopClient extends Client<paths> {
  /** Sends this token on every later request; `undefined` stops sending one. */
  setToken: (token: string | undefined) => void
  /** The token requests are sent with, if any. */
  readonly token: string | undefined
}

/**
 * @example
 * const shop = createShopClient({ baseUrl: 'http://127.0.0.1:3000' })
 * const { data } = await shop.POST('/customers/login', { body: { email, password } })
 * if (data) shop.setToken(data.token)
 * const { data: page } = await shop.GET('/customers/my-tickets', { params: { query: { per_page: 20 } } })
 */
export function createShopClient ({ baseUrl, token, fetch }: ShopClientOptions): ShopClient {
  let current = token
  const client = createClient<paths>({ baseUrl, ...(fetch === undefined ? {} : { fetch }) })
  const bearer: Middleware = {
    onRequest ({ request }) {
      // A header given on the call itself wins, so one request can act as someone else.
      if (current !== undefined && !request.headers.has('authorization')) {
        request.headers.set('authorization', `Bearer ${current}`)
      }
      return request
    },
  }
  client.use(bearer)
  return Object.defineProperties(client as ShopClient, {
    setToken: { value: (next: string | undefined) => { current = next }, enumerable: true },
    token: { get: () => current, enumerable: true },
  })
}
