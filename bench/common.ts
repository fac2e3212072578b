// Constants shared by the seed, the baseline and the runner. Kept apart from seed.ts so that the
// runner does not load the API's database module (and PGlite with it) unless it seeds.
export const DEFAULT_BENCH_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/mechanic_shop_bench'
/** Every seeded customer and mechanic has this password. */
export const BENCH_PASSWORD = 'bench-password'
export const customerEmail = (i: number): string => `customer${i}@bench.test`
export const mechanicEmail = (i: number): string => `mechanic${i}@bench.test`
/** Tells the baseline to answer a parts request as a tracked part's (the API finds out itself). */
export const BASELINE_STOCK_HEADER = 'x-baseline-stock'

export function benchDatabaseUrl (): string {
  return process.env.BENCH_DATABASE_URL || DEFAULT_BENCH_DATABASE_URL
}

/** The database a postgres:// URL names. */
export function databaseName (url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''))
  if (name === '') throw new Error(`${url} names no database`)
  return name
}

/** The same URL on another database of the same server. */
export function withDatabase (url: string, database: string): string {
  const parsed = new URL(url)
  parsed.pathname = `/${encodeURIComponent(database)}`
  return parsed.toString()
}
