import { createHash } from 'node:crypto'
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient, type PostgresQueryResult } from 'kysely'
import pg from 'pg'
import type { DatabaseConfig } from '../config.js'
import { selectOneThrough, type DatabaseProbe } from './health.js'
import type { Database } from './schema.js'

const OID = {
  INT8: 20,
  DATE: 1082,
  INTERVAL: 1186,
  NUMERIC: 1700,
  TEXT_ARRAY: 1009,
  INT8_ARRAY: 1016,
  DATE_ARRAY: 1182,
  INTERVAL_ARRAY: 1187,
  NUMERIC_ARRAY: 1231,
} as const

type TextParser = (value: string) => unknown

const keepText: TextParser = (value) => value

/**
 * count(*) and sum() are int8. A JS number holds them exactly up to 2^53, which counts never
 * reach; past that, failing loudly beats handing out a silently rounded number (pg's default
 * is a string, PGlite's a number that turns into a bigint, so neither can be used as is).
 */
const parseInt8: TextParser = (value) => {
  const parsed = Number(value)
  if (!Number.isSafeInteger(parsed)) throw new RangeError(`int8 value ${value} does not fit in a JavaScript number`)
  return parsed
}

// What both drivers must return for these types, text format. Everything else already
// agrees between them: int2/int4/float as number, timestamptz as Date, json/jsonb parsed.
// date is the notable one: both default to a JS Date at midnight (pg: local time, PGlite:
// UTC), which moves the day depending on the server's time zone.
const SHARED_PARSERS: Readonly<Record<number, TextParser>> = {
  [OID.INT8]: parseInt8,
  [OID.DATE]: keepText,
  [OID.NUMERIC]: keepText,
  [OID.INTERVAL]: keepText,
}

type TypeFormat = Parameters<typeof pg.types.getTypeParser>[1]

// Takes any oid: the TypeId enum in pg-types' typings lists no array types.
function builtinParser (oid: number, format?: TypeFormat): TextParser {
  return pg.types.getTypeParser(oid, format) as TextParser
}

const parseTextArray = builtinParser(OID.TEXT_ARRAY)

function mapArray (value: unknown, parse: TextParser): unknown {
  if (Array.isArray(value)) return value.map((item) => mapArray(item, parse))
  return value === null ? null : parse(value as string)
}

// pg-types has fixed parsers for array types that ignore element overrides (numeric[] even
// becomes floats), so the arrays of the types above are spelled out. PGlite needs none of
// this: it builds array parsers from the element parsers.
const PG_PARSERS: Readonly<Record<number, TextParser>> = {
  ...SHARED_PARSERS,
  [OID.INT8_ARRAY]: (value) => mapArray(parseTextArray(value), parseInt8),
  [OID.DATE_ARRAY]: parseTextArray,
  [OID.NUMERIC_ARRAY]: parseTextArray,
  [OID.INTERVAL_ARRAY]: parseTextArray,
}

// Per pool rather than pg.types.setTypeParser, which would change every pg client in the process.
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: (oid: number, format?: TypeFormat) =>
    (format === undefined || format === 'text' ? PG_PARSERS[oid] : undefined) ?? builtinParser(oid, format),
}

export interface CreateDatabaseOptions {
  /**
   * Called when an idle pooled pg client fails (e.g. the server restarts). pg emits these
   * on the pool, where an unhandled 'error' event would crash the process; the pool has
   * already dropped the client. Defaults to ignoring it: the next query reports the outage.
   */
  readonly onIdleClientError?: (err: Error) => void
  /**
   * PGlite only: start from this data-directory dump (PGlite's dumpDataDir) instead of running
   * initdb. The test runner dumps one migrated database and every test file starts from it,
   * which takes a fraction of a cold start.
   */
  readonly pgliteSnapshot?: Blob
}

/** The database, and the cheapest round trip that proves it answers (for /health). */
export interface OpenDatabase {
  db: Kysely<Database>
  probe: DatabaseProbe
}

export async function createDatabase (config: DatabaseConfig, options: CreateDatabaseOptions = {}): Promise<Kysely<Database>> {
  return (await openDatabase(config, options)).db
}

export async function openDatabase (config: DatabaseConfig, options: CreateDatabaseOptions = {}): Promise<OpenDatabase> {
  if (config.kind === 'pg') {
    const pool = new pg.Pool({
      connectionString: config.url,
      max: 10,
      types: pgTypes,
      // While the server is down a request must fail fast (503), not wait on a checkout forever.
      connectionTimeoutMillis: 3_000,
      idleTimeoutMillis: 30_000,
      // A runaway statement is cut off well inside the server's 30 s request timeout…
      statement_timeout: 10_000,
      // …and a server that stops answering altogether (hung, or its host gone without a FIN) is
      // noticed by the client too: without these a query on a pooled connection waits for the
      // kernel to give up on the socket, minutes later. test/faults.test.ts ("hung PostgreSQL").
      query_timeout: 11_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 5_000,
    })
    pool.on('error', options.onIdleClientError ?? (() => {}))
    return {
      db: new Kysely<Database>({ dialect: new PostgresDialect({ pool: new PreparingPool(pool) }) }),
      // pg-pool's own checkout-query-release: Kysely's connection provider and executor around the
      // same `select 1` cost about a tenth of a /health request's CPU.
      probe: () => pool.query('select 1'),
    }
  }

  // Loaded only for PGlite: kysely-pglite's entry point also loads its code generator (babel
  // through jiti), a third of the server's start-up that a PostgreSQL deployment never uses.
  const { createPgliteDatabase } = await import('./pglite.js')
  const db = await createPgliteDatabase(config.dir, { parsers: SHARED_PARSERS, snapshot: options.pgliteSnapshot })
  return { db, probe: selectOneThrough(db) }
}

/** Distinct statements the server keeps prepared per connection; past it, statements run unnamed. */
const MAX_PREPARED_STATEMENTS = 500

/**
 * Runs every parameterized statement as a named prepared statement. The server then parses and
 * plans each statement once per connection instead of on every request: for the ticket view,
 * planning took longer than executing (about 0.7-2 ms against 0.4-0.9 ms, by EXPLAIN ANALYZE).
 * The name is a digest of the SQL, so the same text always gets the same name and different
 * texts never share one. The set of texts is bounded by the code (an `in` list has one text per
 * length up to its schema's maxItems); the cap is a safety net, not a cache policy.
 */
export class PreparingPool implements PostgresPool {
  readonly #names = new Map<string, string>()

  /**
   * One wrapper per pooled client, for its whole life. Kysely keys its own connection object by the
   * client that connect() returns (a WeakMap), so a new wrapper per checkout made it build a new
   * connection object and a new WeakMap entry for every query.
   */
  readonly #wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>()

  constructor (readonly pool: pg.Pool) {}

  #nameOf (text: string): string | undefined {
    let name = this.#names.get(text)
    if (name === undefined && this.#names.size < MAX_PREPARED_STATEMENTS) {
      name = `k${createHash('sha1').update(text).digest('base64url')}`
      this.#names.set(text, name)
    }
    return name
  }

  async connect (): Promise<PostgresPoolClient> {
    const client = await this.pool.connect()
    let wrapper = this.#wrappers.get(client)
    if (wrapper === undefined) {
      wrapper = this.#wrap(client)
      this.#wrappers.set(client, wrapper)
    }
    return wrapper
  }

  #wrap (client: pg.PoolClient): PostgresPoolClient {
    const query = async <R>(text: string, values: readonly unknown[]): Promise<PostgresQueryResult<R>> => {
      // Transaction control (begin, commit, savepoints) carries no parameters: nothing to plan.
      const name = values.length === 0 ? undefined : this.#nameOf(text)
      const result = name === undefined
        ? await client.query(text, [...values])
        : await client.query({ name, text, values: [...values] })
      return result as unknown as PostgresQueryResult<R>
    }
    return {
      query: query as PostgresPoolClient['query'],
      release: (destroy?: boolean) => { client.release(destroy) },
    }
  }

  async end (): Promise<void> {
    await this.pool.end()
  }
}
