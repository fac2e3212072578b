// A steady, mixed load through nginx: cached reads of the parts list and of single parts, creates
// (POST, never retried by nginx once sent) and updates (PUT, retried). Each worker updates a part
// of its own, so the last update it saw answered is the one the database must hold.
import { call, type Answer } from './http.js'

type Kind = 'list' | 'read' | 'create' | 'update'

export interface LoadRecord extends Answer {
  worker: number
  kind: Kind
  /** create: the new part's name; update: the price sent. */
  name?: string
  price?: number
}

export interface Load {
  readonly records: LoadRecord[]
  /** Stops every worker after its request in flight, and resolves with all that was sent. */
  stop: () => Promise<LoadRecord[]>
}

export interface LoadOptions {
  port: number
  token: string
  workers: number
  from: () => string
  /** Parts to read; parts created under load join them. */
  readable: number[]
  /** One part per worker, which only that worker updates. */
  own: number[]
  tag: string
}

const pick = (): Kind => {
  const r = Math.random()
  return r < 0.4 ? 'list' : r < 0.65 ? 'read' : r < 0.85 ? 'create' : 'update'
}

export function startLoad (opts: LoadOptions): Load {
  const records: LoadRecord[] = []
  let stopped = false
  async function worker (w: number): Promise<void> {
    for (let seq = 0; !stopped; seq++) {
      const kind = pick()
      const base = { port: opts.port, from: opts.from(), token: opts.token }
      if (kind === 'list') {
        records.push({ ...await call({ ...base, method: 'GET', path: '/inventory?per_page=20' }), worker: w, kind })
      } else if (kind === 'read') {
        const id = opts.readable[Math.floor(Math.random() * opts.readable.length)]
        records.push({ ...await call({ ...base, method: 'GET', path: `/inventory/${id}` }), worker: w, kind })
      } else if (kind === 'create') {
        const name = `${opts.tag}-w${w}-${seq}`
        const res = await call({ ...base, method: 'POST', path: '/inventory', body: { name, price: 9.99 } })
        records.push({ ...res, worker: w, kind, name })
        if (res.status === 201) opts.readable.push((JSON.parse(res.body) as { id: number }).id)
      } else {
        const price = (w + 1) * 100_000 + seq + 0.25
        const res = await call({ ...base, method: 'PUT', path: `/inventory/${opts.own[w]}`, body: { name: `${opts.tag}-own-w${w}`, price } })
        records.push({ ...res, worker: w, kind, price })
      }
    }
  }
  const running = Promise.all(Array.from({ length: opts.workers }, (_, w) => worker(w)))
  return {
    records,
    async stop () {
      stopped = true
      await running
      return records
    },
  }
}
