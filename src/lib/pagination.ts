// Page arithmetic and the RFC 8288 Link header shared by every list operation.
import type { components } from '../../generated/api.js'

export type PageMeta = components['schemas']['PageMeta']

export interface PageRequest { page: number, per_page: number }

export const offsetOf = ({ page, per_page: perPage }: PageRequest): number => (page - 1) * perPage

function pageMeta ({ page, per_page: perPage }: PageRequest, total: number): PageMeta {
  return { page, per_page: perPage, total, total_pages: Math.ceil(total / perPage) }
}

/**
 * Links to the first, previous, next and last pages of `url`, keeping its other query parameters.
 * `prev`/`next` are left out where there is no such page; `first` and `last` always point at a page.
 */
function linkHeader (url: string, meta: PageMeta): string {
  const [path = '/', search = ''] = url.split('?', 2)
  const query = new URLSearchParams(search)
  const at = (page: number, rel: string): string => {
    query.set('page', String(page))
    query.set('per_page', String(meta.per_page))
    return `<${path}?${query.toString()}>; rel="${rel}"`
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

/** The body and Link header of a list answer. */
export function paginated<T> (url: string, request: PageRequest, data: T[], total: number) {
  const meta = pageMeta(request, total)
  return { status: 200 as const, body: { data, meta }, headers: { link: linkHeader(url, meta) } }
}
