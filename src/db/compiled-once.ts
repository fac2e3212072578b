// Kysely builds and compiles a query on every call, and for the ticket views that cost more CPU than
// the rest of the answer (bench/README.md, Findings). A query whose shape never changes can be
// compiled once and run with new values: both drivers compile to the same PostgreSQL text, so one
// compiled query serves every database handle and transaction.
import type { CompiledQuery } from 'kysely'

interface Compilable<R> { compile: () => CompiledQuery<R> }

/**
 * Compiles `build`'s query the first time it is needed, with a distinct sentinel for each named
 * value, and finds where each sentinel landed among the parameters; later calls only put the values
 * there. The context (a database handle) only starts the builder. Throws at first use if the query
 * has any other parameter, or a value lands twice or nowhere (inlined into the text by Kysely).
 */
export function compiledOnce<C, R, K extends string> (
  names: readonly K[],
  build: (context: C, values: Record<K, number>) => Compilable<R>,
): (context: C, values: Record<K, number>) => CompiledQuery<R> {
  let compiled: { query: CompiledQuery<R>, slots: K[] } | undefined
  return (context, values) => {
    if (compiled === undefined) {
      const sentinels = Object.fromEntries(names.map((name, i) => [name, -1_000_001 - i])) as Record<K, number>
      const query = build(context, sentinels).compile()
      const slots = query.parameters.map((parameter) => names.find((name) => sentinels[name] === parameter))
      if (slots.length !== names.length || slots.some((slot) => slot === undefined) || new Set(slots).size !== names.length) {
        throw new Error(`compiledOnce: expected the parameters ${names.join(', ')} once each, got ${JSON.stringify(query.parameters)}`)
      }
      compiled = { query, slots: slots as K[] }
    }
    const { query, slots } = compiled
    return { ...query, parameters: slots.map((slot) => values[slot]) }
  }
}
