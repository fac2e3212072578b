// compiledOnce puts each value where Kysely put its parameter, and refuses a query it cannot reuse.
import { DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql } from 'kysely'
import t from 'tap'
import { compiledOnce } from '../src/db/compiled-once.js'
import type { Database } from '../src/db/schema.js'

// Compiles without a database: compiledOnce never runs anything.
const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (kysely) => new PostgresIntrospector(kysely),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
})

t.test('each value goes to its own parameter, whatever order the query uses them in', async (t) => {
  // Named in another order than the SQL's where/limit/offset, so the values must be moved into place.
  const page = compiledOnce(['offset', 'owner', 'limit'], (kysely: Kysely<Database>, { owner, limit, offset }) =>
    kysely.selectFrom('service_tickets').select('id').offset(offset).limit(limit).where('customer_id', '=', owner))
  const first = page(db, { owner: 7, limit: 10, offset: 20 })
  t.same(first.parameters, [7, 10, 20])
  t.match(first.sql, /"customer_id" = \$1 limit \$2 offset \$3/)
  const second = page(db, { owner: 8, limit: 5, offset: 0 })
  t.same(second.parameters, [8, 5, 0])
  t.equal(second.sql, first.sql, 'compiled once: the same text')
})

t.test('refuses a query that inlines a value, ignores one or has a parameter of its own', async (t) => {
  const inlined = compiledOnce(['id'], (kysely: Kysely<Database>, { id }) =>
    kysely.selectFrom('inventory').select('id').where('id', '=', sql.lit(id)))
  t.throws(() => inlined(db, { id: 1 }), /expected the parameters id once each/)
  const extra = compiledOnce(['id'], (kysely: Kysely<Database>, { id }) =>
    kysely.selectFrom('inventory').select('id').where('id', '=', id).where('name', '=', 'brake pads'))
  t.throws(() => extra(db, { id: 1 }), /expected the parameters id once each/)
  const twice = compiledOnce(['id'], (kysely: Kysely<Database>, { id }) =>
    kysely.selectFrom('inventory').select('id').where('id', '=', id).where('id', '<', id))
  t.throws(() => twice(db, { id: 1 }), /expected the parameters id once each/)
})
