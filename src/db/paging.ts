// List queries select `count(*) over () as total_count` beside the page's rows, so a page and the
// total of the whole list arrive in one round trip. Only a page past the end has no row to carry
// the total; then (and only then) it costs a second query.

export interface Page<R> {
  rows: R[]
  total: number
}

export async function pageWithTotal<R extends { total_count: number }> (
  rows: R[],
  offset: number,
  countAll: () => Promise<number>,
): Promise<Page<R>> {
  const first = rows[0]
  if (first !== undefined) return { rows, total: first.total_count }
  return { rows, total: offset === 0 ? 0 : await countAll() }
}
