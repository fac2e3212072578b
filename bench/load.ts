// Load and what is measured under it: autocannon runs, interleaved rounds of several sides, exact
// latencies, the API's RSS while it runs, and the login storm.
import autocannon from 'autocannon'
import type pg from 'pg'
import { processMemory } from './api-process.js'
import { options } from './options.js'
import { assertAlive, sleep, type Server, type ServerKind } from './servers.js'

export interface Target {
  method: 'GET' | 'POST'
  path: string
  headers: Record<string, string>
  body?: string
  /** Waits, after each run, for work the server goes on doing for requests the run abandoned. */
  settle?: (server: Server) => Promise<void>
  /** The most concurrent connections this target takes, whatever --connections says. */
  maxConnections?: number
  /** Varies each request (path, body, headers); n counts requests across every run of the route. */
  vary?: (n: number) => { path?: string, body?: string, headers?: Record<string, string> }
}

interface RunResult {
  rps: number
  requests: number
  non2xx: number
  errors: number
  timeouts: number
  statusCodes: Record<string, number>
  /** Latency of every 2xx answer, ms. */
  latencies: number[]
}

export interface SideSummary {
  rps: number
  rpsPerRound: number[]
  p50: number
  p99: number
  requests: number
  non2xx: number
  errors: number
  statusCodes: Record<string, number>
}

export interface RouteResult {
  label: string
  api: SideSummary
  baseline: SideSummary
  apiPeakRssKb: number
}

export interface FloorResult extends RouteResult {
  /** Bare Fastify sending the baseline's answer from memory (`/floor/<path>`). */
  floor: SideSummary
}

export interface StormResult {
  server: ServerKind
  inventory: SideSummary & { max: number }
  loginsPerSecond: number
  /** Each successful login's time, from sending it to its answer (queueing for a hash slot included). */
  logins: { p50: number, p99: number, max: number }
  loginNon2xx: number
  /** Every login answer's status, with `errors` and `timeouts` for the ones that got none. */
  loginStatusCodes: Record<string, number>
  apiPeakRssKb?: number
}

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Nearest-rank percentile of an ascending array. */
function percentile (sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank]!
}

async function load (server: Server, target: Target, durationS: number, connections: number, counter = { n: 0 }): Promise<RunResult> {
  const latencies: number[] = []
  const opts: autocannon.Options = {
    url: server.url + target.path,
    method: target.method,
    headers: target.headers,
    body: target.body,
    connections: Math.min(connections, target.maxConnections ?? connections),
    duration: durationS,
    timeout: 30,
    pipelining: 1,
  }
  if (target.vary !== undefined) {
    const vary = target.vary
    opts.requests = [{
      method: target.method,
      setupRequest: (req) => {
        const changes = vary(counter.n++)
        return {
          ...req,
          ...(changes.path === undefined ? {} : { path: changes.path }),
          ...(changes.body === undefined ? {} : { body: changes.body }),
          ...(changes.headers === undefined ? {} : { headers: { ...req.headers, ...changes.headers } }),
        }
      },
    }]
  }
  const result = await new Promise<autocannon.Result>((done, fail) => {
    const instance = autocannon(opts, (err, res) => err ? fail(err) : done(res))
    // autocannon's own histogram keeps whole milliseconds; these are the exact times.
    instance.on('response', (_client, status, _bytes, responseTime) => {
      if (status >= 200 && status < 300) latencies.push(responseTime)
    })
  })
  await target.settle?.(server)
  const statusCodes: Record<string, number> = {}
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = count ?? 0
  return {
    rps: result.requests.total / result.duration,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes,
    latencies,
  }
}

/** Samples the server's VmRSS every 100 ms while `run` runs; returns the peak seen. */
async function sampleRss<T> (server: Server, run: () => Promise<T>): Promise<{ value: T, peakRssKb: number }> {
  let peak = processMemory(server.pid).rssKb
  const timer = setInterval(() => {
    const { rssKb } = processMemory(server.pid)
    if (rssKb > peak || !Number.isFinite(peak)) peak = rssKb
  }, 100)
  try {
    const value = await run()
    const { rssKb } = processMemory(server.pid)
    return { value, peakRssKb: Math.max(peak, Number.isFinite(rssKb) ? rssKb : 0) }
  } finally {
    clearInterval(timer)
  }
}

function summarize (runs: RunResult[]): SideSummary {
  const all = Float64Array.from(runs.flatMap((r) => r.latencies)).sort()
  const statusCodes: Record<string, number> = {}
  for (const run of runs) for (const [code, n] of Object.entries(run.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n
  return {
    rps: median(runs.map((r) => r.rps)),
    rpsPerRound: runs.map((r) => Math.round(r.rps * 10) / 10),
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    requests: runs.reduce((s, r) => s + r.requests, 0),
    non2xx: runs.reduce((s, r) => s + r.non2xx, 0),
    errors: runs.reduce((s, r) => s + r.errors + r.timeouts, 0),
    statusCodes,
  }
}

/**
 * Waits until no query of either server is still running. When autocannon stops, the requests in
 * flight are abandoned but their queries run on in PostgreSQL (a naive ranking at scale 20 takes
 * seconds), and would otherwise eat into the next server's run.
 */
async function settle (monitor: pg.Client): Promise<void> {
  const deadline = Date.now() + 120_000
  while (Date.now() < deadline) {
    const { rows } = await monitor.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where datname = current_database() and state = 'active' and pid <> pg_backend_pid()")
    if ((rows[0]?.n ?? 0) === 0) return
    await sleep(20)
  }
}

interface Side { server: Server, target: Target }

/**
 * Warm-up, then `rounds` measured runs of each side, interleaved: each round starts one side later
 * (API, baseline; then baseline, API), so every side meets the machine's slow and fast minutes alike.
 * The API's VmRSS is sampled while it runs.
 */
async function measureSides (sides: Side[], monitor: pg.Client): Promise<{ runs: RunResult[][], apiPeakRssKb: number }> {
  const counter = { n: 0 } // shared by every side: writes never revisit another's rows in step
  if (options.warmup > 0) {
    for (const { server, target } of sides) {
      await load(server, target, options.warmup, options.connections, counter)
      await settle(monitor)
    }
  }
  const runs: RunResult[][] = sides.map(() => [])
  let apiPeakRssKb = 0
  for (let round = 0; round < options.rounds; round++) {
    for (let k = 0; k < sides.length; k++) {
      const i = (round + k) % sides.length
      const { server, target } = sides[i]!
      assertAlive(server)
      if (server.kind === 'api') {
        const { value, peakRssKb } = await sampleRss(server, () => load(server, target, options.duration, options.connections, counter))
        runs[i]!.push(value)
        apiPeakRssKb = Math.max(apiPeakRssKb, peakRssKb)
      } else {
        runs[i]!.push(await load(server, target, options.duration, options.connections, counter))
      }
      await settle(monitor)
    }
  }
  return { runs, apiPeakRssKb }
}

/** One route on both servers. */
export async function measureRoute (label: string, target: Target, api: Server, baseline: Server, monitor: pg.Client): Promise<RouteResult> {
  const { runs: [apiRuns, baselineRuns], apiPeakRssKb } = await measureSides([{ server: api, target }, { server: baseline, target }], monitor)
  return { label, api: summarize(apiRuns!), baseline: summarize(baselineRuns!), apiPeakRssKb }
}

/**
 * A cached route's hits, the floor and the baseline's own answer, interleaved in the same rounds:
 * floor/base and API/base then compare runs minutes apart at most, not phases of the run.
 */
export async function measureAgainstFloor (label: string, target: Target, api: Server, baseline: Server, monitor: pg.Client): Promise<FloorResult> {
  const floorTarget = { ...target, path: `/floor${target.path}` }
  const sides = [{ server: api, target }, { server: baseline, target: floorTarget }, { server: baseline, target }]
  const { runs: [apiRuns, floorRuns, baselineRuns], apiPeakRssKb } = await measureSides(sides, monitor)
  return { label, api: summarize(apiRuns!), floor: summarize(floorRuns!), baseline: summarize(baselineRuns!), apiPeakRssKb }
}

/** `/inventory` under load while `stormConnections` logins hammer the same server. */
export async function loginStorm (server: Server, inventory: Target, loginTarget: Target, durationS: number, monitor: pg.Client): Promise<StormResult> {
  const run = async () => {
    const storm = load(server, loginTarget, durationS + 1, options.stormConnections)
    await sleep(500) // let the storm fill the thread pool first
    const reads = await load(server, inventory, durationS, options.connections)
    return { reads, logins: await storm }
  }
  const { value, peakRssKb } = server.kind === 'api' ? await sampleRss(server, run) : { value: await run(), peakRssKb: undefined }
  await settle(monitor)
  const sorted = Float64Array.from(value.reads.latencies).sort()
  const logins = Float64Array.from(value.logins.latencies).sort()
  return {
    server: server.kind,
    inventory: { ...summarize([value.reads]), max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN },
    loginsPerSecond: value.logins.rps,
    logins: { p50: percentile(logins, 50), p99: percentile(logins, 99), max: logins.length > 0 ? logins[logins.length - 1]! : Number.NaN },
    loginNon2xx: value.logins.non2xx + value.logins.errors + value.logins.timeouts,
    loginStatusCodes: { ...value.logins.statusCodes, errors: value.logins.errors, timeouts: value.logins.timeouts },
    ...(peakRssKb === undefined ? {} : { apiPeakRssKb: peakRssKb }),
  }
}
