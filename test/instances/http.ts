// A loopback HTTP client that picks the source address of each connection: nginx and the API see
// every 127.x.y.z as a client of its own, so one machine can play many clients.
import http from 'node:http'

export interface Answer {
  method: string
  path: string
  /** 0 when the connection failed: no HTTP answer at all. */
  status: number
  headers: http.IncomingHttpHeaders
  body: string
  error?: string
  /** Date.now() when the request was sent and when its answer (or error) arrived. */
  started: number
  ended: number
}

// One keep-alive agent: Node keys its sockets by host, port and local address.
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 })

export function closeConnections (): void {
  agent.destroy()
}

export async function call (opts: { port: number, from: string, method: string, path: string, token?: string, body?: unknown, timeoutMs?: number }): Promise<Answer> {
  const started = Date.now()
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body)
  const headers: http.OutgoingHttpHeaders = {}
  if (payload !== undefined) headers['content-type'] = 'application/json'
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`
  return await new Promise<Answer>((resolve) => {
    const done = (status: number, resHeaders: http.IncomingHttpHeaders, body: string, error?: string) =>
      resolve({ method: opts.method, path: opts.path, status, headers: resHeaders, body, started, ended: Date.now(), ...(error === undefined ? {} : { error }) })
    const req = http.request({ host: '127.0.0.1', port: opts.port, localAddress: opts.from, method: opts.method, path: opts.path, headers, agent, timeout: opts.timeoutMs ?? 20_000 }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => done(res.statusCode ?? 0, res.headers, body))
      res.on('error', (err) => done(0, {}, body, err.message))
    })
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', (err) => done(0, {}, '', err.message))
    req.end(payload)
  })
}

/** Source addresses 127.<block>.x.y, handed out in turn, so that no one address meets a rate limit. */
export function addressPool (block: number, size = 500): () => string {
  let next = 0
  return () => {
    const n = next++ % size
    return `127.${block}.${Math.floor(n / 250)}.${n % 250 + 1}`
  }
}
