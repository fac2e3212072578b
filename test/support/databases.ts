// Tests that need real PostgreSQL get a throwaway database each, so they can run in parallel
// and never see each other's rows or leftovers from an aborted run.
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Test } from 'tap'

async function withAdminClient (url: string, run: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    await run(client)
  } finally {
    await client.end()
  }
}

/**
 * Creates an empty database `mst_<random>` on the server of TEST_DATABASE_URL and drops it in
 * t's teardown (WITH (FORCE), so pools the test forgot to close do not block the drop).
 * Returns its URL, or undefined when TEST_DATABASE_URL is unset: callers skip pg there.
 */
export async function createTestPostgres (t: Pick<Test, 'teardown'>): Promise<string | undefined> {
  const adminUrl = process.env.TEST_DATABASE_URL
  if (adminUrl === undefined || adminUrl === '') return undefined

  // Lower-case hex only, so the name needs no quoting.
  const name = `mst_${randomBytes(8).toString('hex')}`
  await withAdminClient(adminUrl, (client) => client.query(`create database ${name}`))
  t.teardown(() => withAdminClient(adminUrl, (client) => client.query(`drop database if exists ${name} with (force)`)))

  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return url.href
}
