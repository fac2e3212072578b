// Page arithmetic and the RFC 8288 Link header shared by every list operation.
import type { components } from '../../generated/api.js'

export type PageMeta = components['schemas']['PageMeta']

export interface PageRequest { page: number, per_page: number }

export const offsetOf = ({ page, per_page: perPage }: PageRequest): number => (page - 1) * perPage

function pageMeta ({ page, per_page: perPage }: PageRequest, total: number): PageMeta {
  return { page, per_page: perPage, total, total_pages: Math.ceil(total / perPage) }
}

/**
 * Links to the first, previous, next and last pages of `url`'s path, carrying the validated query
 * (`query`: only the parameters the contract declares, defaults filled in), never the raw query
 * string: a client's padding or spelling of it would otherwise ride along in every Link header
 * and every cached copy of it. `prev`/`next` are left out where there is no such page; `first`
 * and `last` always point at a page.
 */
export function linkHeader (url: string, meta: PageMeta, query: Readonly<Record<string, unknown>> = {}): string {
  const path = url.split('?', 1)[0] ?? '/'
  const params = new URLSearchParams()
  for (const [name, value] of Object.entries(query)) {
    if (name === 'page' || name === 'per_page' || value === undefined || value === null) continue
    params.set(name, Array.isArray(value) ? value.map(String).join(',') : String(value))
  }
  const at = (page: number, rel: string): string => {
    params.set('page', String(page))
    params.set('per_page', String(meta.per_page))
    return `<${path}?${params.toString()}>; rel="${rel}"`
  }
  const last = Math.max(meta.total_pages, 1)
  const links = [at(1, 'first')]
  if (meta.page > 1) links.push(at(Math.min(meta.page - 1, last), 'prev'))
  if (meta.page < last) links.push(at(meta.page + 1, 'next'))
  links.push(at(last, 'last'))
  return links.join(', ')
}

/** A list answer for `req`: a repository's page of rows, each shown through `view`. */
export function listAnswer<R, T> (req: { url: string, query: PageRequest }, page: { rows: R[], total: number }, view: (row: R) => T) {
  return paginated(req.url, req.query, page.rows.map(view), page.total)
}

/** The body and Link header of a list answer; `request` is the validated query (req.query). */
export function paginated<T> (url: string, request: PageRequest, data: T[], total: number) {
  const meta = pageMeta(request, total)
  return { status: 200 as const, body: { data, meta }, headers: { link: linkHeader(url, meta, request as unknown as Record<string, unknown>) } }
}
