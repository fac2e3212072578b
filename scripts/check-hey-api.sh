#!/usr/bin/env bash
# A second, independent SDK generator must be able to build a client from openapi.yaml alone:
# @hey-api/openapi-ts (fetch client) generates into a scratch directory, and `tsc --strict` compiles
# it together with a small program that uses it the way a consumer would. Offline: the input is the
# local file, and the fetch client is generated into the output (no runtime package to install).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="$root/node_modules/.bin"
out="$(mktemp -d "${TMPDIR:-/tmp}/hey-api-check.XXXXXX")"
trap 'rm -rf "$out"' EXIT

# The generator reads the tsconfig nearest its working directory (for import extensions), so the
# scratch project gets its own, strict, browser-and-Node-neutral one, and the generator runs there.
cat > "$out/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022",
    "lib": ["ES2022", "DOM", "DOM.Iterable"],
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "strict": true,
    "noUncheckedIndexedAccess": true,
    "noEmit": true,
    "types": []
  },
  "include": ["client", "usage.ts"]
}
JSON
echo '{ "type": "module", "private": true }' > "$out/package.json"

(cd "$out" && "$bin/openapi-ts" --input "$root/openapi.yaml" --output client --client @hey-api/client-fetch --no-log-file --silent)

# What a consumer writes: typed bodies, typed answers, the bearer token, and a body the contract refuses.
cat > "$out/usage.ts" <<'TS'
import { client } from './client/client.gen.js'
import { createCustomer, getServiceTicket, listMyCustomerTickets, loginCustomer } from './client/index.js'
import type { Problem, ServiceTicket } from './client/index.js'

client.setConfig({ baseUrl: 'http://127.0.0.1:3000' })

export async function myTickets (email: string, password: string): Promise<ServiceTicket[]> {
  const signUp = await createCustomer({ body: { name: 'Ada Lovelace', email, phone: '+1 555 0100', password } })
  const id: number | undefined = signUp.data?.id
  const login = await loginCustomer({ body: { email, password } })
  if (login.data === undefined) throw new Error(`login failed: ${String(login.response.status)} ${id}`)
  const token: string = login.data.token
  const page = await listMyCustomerTickets({ auth: token, query: { page: 1, per_page: 20 } })
  const first = page.data?.data[0]
  if (first !== undefined) {
    const one = await getServiceTicket({ auth: token, path: { ticket_id: first.id } })
    const total: number | undefined = one.data?.total
    void total
  }
  const problem: Problem | undefined = page.error && 'title' in page.error ? page.error : undefined
  void problem
  return page.data?.data ?? []
}

// @ts-expect-error: the contract refuses unknown fields on sign-up
void createCustomer({ body: { name: 'x', email: 'x@example.com', phone: '123', password: 'long-enough', role: 'mechanic' } })
// @ts-expect-error: ticket ids are numbers
void getServiceTicket({ path: { ticket_id: 'one' } })
TS

"$bin/tsc" -p "$out/tsconfig.json"
echo "hey-api: $(ls "$out/client" | tr '\n' ' ')generated from openapi.yaml and compiled with tsc --strict"
