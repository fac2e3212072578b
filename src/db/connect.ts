import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import {
  AbortedTransactionError,
  CompiledQuery,
  Kysely,
  PostgresDialect,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely'
import { KyselyPGlite } from 'kysely-pglite'
import pg from 'pg'
import type { DatabaseConfig } from '../config.js'
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

export async function createDatabase (config: DatabaseConfig, options: CreateDatabaseOptions = {}): Promise<Kysely<Database>> {
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
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) })
  }

  // PGlite is created here rather than by KyselyPGlite.create(dir): kysely-pglite runs
  // fs.ensureDir(client.dataDir), which turns 'memory://' into a stray ./memory: directory.
  // PGlite without a dataDir is the same in-memory database.
  const inMemory = config.dir.startsWith('memory://')
  if (!inMemory) await mkdir(config.dir, { recursive: true })
  const client = await PGlite.create({
    ...(inMemory ? {} : { dataDir: config.dir }),
    ...(options.pgliteSnapshot === undefined ? {} : { loadDataDir: options.pgliteSnapshot }),
    parsers: SHARED_PARSERS,
  })
  return new Kysely<Database>({ dialect: serializedDialect(new KyselyPGlite(client).dialect) })
}

/** A FIFO lock whose holder hands it straight to the next waiter, so no caller can barge in. */
class Mutex {
  #locked = false
  readonly #waiters: Array<() => void> = []

  async lock (): Promise<void> {
    if (!this.#locked) {
      this.#locked = true
      return
    }
    await new Promise<void>((resolve) => this.#waiters.push(resolve))
  }

  unlock (): void {
    const next = this.#waiters.shift()
    if (next === undefined) this.#locked = false
    else next()
  }
}

/** The PGlite result fields that kysely-pglite passes through untyped. */
interface PGliteResultTag {
  readonly command?: string
  readonly rowCount?: number
}

const ROW_COUNT_COMMANDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE'])

/**
 * Makes PGlite results look like Kysely's own PostgresConnection's: kysely-pglite returns
 * PGlite's result object as is, so numAffectedRows was always missing and every
 * update/delete reported 0 rows.
 */
class PGliteConnection implements DatabaseConnection {
  constructor (readonly inner: DatabaseConnection) {}

  async executeQuery<R> (query: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.inner.executeQuery<R>(query) as QueryResult<R> & PGliteResultTag
    if (result.command === 'COMMIT' || result.command === 'ROLLBACK') return { rows: [{ command: result.command } as R] }
    return {
      rows: result.rows,
      numAffectedRows: result.command !== undefined && ROW_COUNT_COMMANDS.has(result.command)
        ? BigInt(result.rowCount ?? 0)
        : undefined,
    }
  }

  streamQuery<R> (query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    return this.inner.streamQuery<R>(query, chunkSize)
  }
}

function quoteIdentifier (name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/**
 * PGlite is one PostgreSQL session, and kysely-pglite hands every acquireConnection() a new
 * wrapper around that same session. Concurrent requests would then interleave inside each
 * other's transactions (B's statements run in A's BEGIN, A's ROLLBACK undoes B's writes).
 * Holding a lock from acquire to release makes the session behave like a pool of one:
 * a transaction owns it until COMMIT/ROLLBACK and single statements queue behind it.
 * Consequence: inside db.transaction(), a query sent through `db` instead of `trx` waits
 * for the transaction that waits for it, forever. (On pg it would silently run outside
 * the transaction, so it is a bug either way.)
 *
 * Transaction control is reimplemented here after Kysely's PostgresDriver, because the
 * inner driver ignores isolation level and access mode, has no savepoints, and does not
 * notice when COMMIT actually rolled back an aborted transaction.
 */
class SerializedDriver implements Driver {
  readonly #inner: Driver
  readonly #mutex = new Mutex()
  #holder: PGliteConnection | undefined

  constructor (inner: Driver) {
    this.#inner = inner
  }

  async init (): Promise<void> {
    await this.#inner.init()
  }

  async acquireConnection (): Promise<DatabaseConnection> {
    await this.#mutex.lock()
    try {
      this.#holder = new PGliteConnection(await this.#inner.acquireConnection())
      return this.#holder
    } catch (err) {
      this.#mutex.unlock()
      throw err
    }
  }

  async releaseConnection (connection: DatabaseConnection): Promise<void> {
    // Guards the lock against a stray second release letting two holders in.
    if (connection !== this.#holder) throw new Error('releasing a PGlite connection that does not hold the session')
    this.#holder = undefined
    try {
      await this.#inner.releaseConnection((connection as PGliteConnection).inner)
    } finally {
      this.#mutex.unlock()
    }
  }

  async beginTransaction (connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let statement = 'begin'
    if (settings.isolationLevel !== undefined) statement += ` isolation level ${settings.isolationLevel}`
    if (settings.accessMode !== undefined) statement += ` ${settings.accessMode}`
    await connection.executeQuery(CompiledQuery.raw(statement))
  }

  async commitTransaction (connection: DatabaseConnection): Promise<void> {
    const { rows } = await connection.executeQuery<{ command?: string }>(CompiledQuery.raw('commit'))
    if (rows[0]?.command === 'ROLLBACK') throw new AbortedTransactionError()
  }

  async rollbackTransaction (connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'))
  }

  async savepoint (connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quoteIdentifier(name)}`))
  }

  async rollbackToSavepoint (connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to savepoint ${quoteIdentifier(name)}`))
  }

  async releaseSavepoint (connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release savepoint ${quoteIdentifier(name)}`))
  }

  async destroy (): Promise<void> {
    await this.#inner.destroy()
  }
}

function serializedDialect (dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new SerializedDriver(dialect.createDriver()),
    createIntrospector: (db) => dialect.createIntrospector(db),
    createQueryCompiler: () => dialect.createQueryCompiler(),
  }
}
