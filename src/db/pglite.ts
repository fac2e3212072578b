// Kysely over embedded PGlite, serialized so that its single session behaves like a pool of one.
// Imported by connect.ts only when no DATABASE_URL is set.
import { mkdir } from 'node:fs/promises'
import { PGlite } from '@electric-sql/pglite'
import {
  AbortedTransactionError,
  CompiledQuery,
  Kysely,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely'
import { KyselyPGlite } from 'kysely-pglite'
import type { Database } from './schema.js'

export interface PgliteDatabaseOptions {
  /** Text parsers by type oid, so that both drivers return the same JavaScript values. */
  readonly parsers: Readonly<Record<number, (value: string) => unknown>>
  /** A data-directory dump (PGlite's dumpDataDir) to start from instead of running initdb. */
  readonly snapshot?: Blob
}

/** `dir` is a data directory, or `memory://…` for a database that lives only in this process. */
export async function createPgliteDatabase (dir: string, options: PgliteDatabaseOptions): Promise<Kysely<Database>> {
  // PGlite is created here rather than by KyselyPGlite.create(dir): kysely-pglite runs
  // fs.ensureDir(client.dataDir), which turns 'memory://' into a stray ./memory: directory.
  // PGlite without a dataDir is the same in-memory database.
  const inMemory = dir.startsWith('memory://')
  if (!inMemory) await mkdir(dir, { recursive: true })
  const client = await PGlite.create({
    ...(inMemory ? {} : { dataDir: dir }),
    ...(options.snapshot === undefined ? {} : { loadDataDir: options.snapshot }),
    parsers: options.parsers,
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
 * PGlite's result object as is, without numAffectedRows, so every update and delete would
 * report 0 rows.
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
