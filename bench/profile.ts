// `npm run bench:profile -- --route /service-tickets/25000 --as mechanic`: a CPU profile of the
// built API (dist/) under load on one route, summarised. The API runs pinned to core 0 with
// `node --cpu-prof` and the flags of `npm start`; autocannon loads the route from core 1. The
// summary leaves out the start-up (everything before the load begins) and prints where the
// samples fall: self time by package, by function, and inclusive time by function. The raw
// .cpuprofile stays in bench/results/ for Chrome DevTools or speedscope.
import { execFileSync, spawn } from 'node:child_process'
import { mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import autocannon from 'autocannon'
import { ROOT } from '../src/contract/paths.js'
import { BENCH_JWT_SECRET, freePort, startScriptNodeFlags } from './api-process.js'
import { BENCH_PASSWORD, benchDatabaseUrl, customerEmail, mechanicEmail } from './common.js'

const { values: args } = parseArgs({
  options: {
    route: { type: 'string', default: '/health' },
    as: { type: 'string', default: 'anonymous' }, // customer | mechanic | anonymous
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '10' },
    top: { type: 'string', default: '30' },
  },
})

interface CallFrame { functionName: string, url: string, lineNumber: number }
interface ProfileNode { id: number, callFrame: CallFrame, children?: number[] }
interface CpuProfile { nodes: ProfileNode[], startTime: number, samples: number[], timeDeltas: number[] }

const outDir = join(ROOT, 'bench', 'results', 'profiles')
mkdirSync(outDir, { recursive: true })

async function waitForHealth (url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error('the API did not answer /health within 30 s')
}

async function login (url: string, role: string): Promise<Record<string, string>> {
  if (role === 'anonymous') return {}
  const email = role === 'mechanic' ? mechanicEmail(1) : customerEmail(1)
  const res = await fetch(`${url}/${role === 'mechanic' ? 'mechanics' : 'customers'}/login`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: BENCH_PASSWORD }),
  })
  if (!res.ok) throw new Error(`login as ${role} failed: ${res.status} (is the bench database seeded?)`)
  const { token } = await res.json() as { token: string }
  return { authorization: `Bearer ${token}` }
}

/** Where a frame's code lives: a package, a file of ours, or V8's own bucket ((idle), (garbage collector)…). */
function origin (frame: CallFrame): string {
  if (frame.url === '') return frame.functionName
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(frame.url)?.[1]
  if (pkg !== undefined) return pkg
  if (frame.url.startsWith('node:')) return frame.url
  return frame.url.replace(`file://${ROOT}/`, '')
}

const label = (frame: CallFrame): string => `${frame.functionName || '(anonymous)'} ${origin(frame)}:${frame.lineNumber + 1}`

function summarise (profile: CpuProfile, skipMicros: number, top: number): string {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id)
  const self = new Map<string, number>()
  const byOrigin = new Map<string, number>()
  const inclusive = new Map<string, number>()
  const add = (map: Map<string, number>, key: string, micros: number) => map.set(key, (map.get(key) ?? 0) + micros)
  let clock = 0
  let total = 0
  profile.samples.forEach((id, i) => {
    const micros = profile.timeDeltas[i] ?? 0
    clock += micros
    if (clock < skipMicros) return
    total += micros
    const node = nodes.get(id)!
    add(self, label(node.callFrame), micros)
    add(byOrigin, origin(node.callFrame), micros)
    const seen = new Set<string>()
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const key = label(nodes.get(at)!.callFrame)
      if (!seen.has(key)) add(inclusive, key, micros)
      seen.add(key)
    }
  })
  const table = (title: string, map: Map<string, number>) => [`\n${title}`,
    ...[...map].sort((a, b) => b[1] - a[1]).slice(0, top).map(([key, micros]) => `${(100 * micros / total).toFixed(1).padStart(6)}%  ${key}`)].join('\n')
  return [`${(total / 1e6).toFixed(1)} s of samples under load`, table('self time by package', byOrigin),
    table('self time by function', self), table('inclusive time by function', inclusive)].join('\n')
}

async function main (): Promise<void> {
  // This process and its autocannon on core 1, the API alone on core 0 (as in bench/run.ts).
  execFileSync('taskset', ['--all-tasks', '--cpu-list', '--pid', '1', String(process.pid)], { stdio: 'ignore' })
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const before = new Set(readdirSync(outDir))
  const t0 = Date.now()
  const child = spawn('taskset', ['--cpu-list', '0', process.execPath, ...startScriptNodeFlags(), '--cpu-prof', `--cpu-prof-dir=${outDir}`, join(ROOT, 'dist', 'src', 'server.js')], {
    cwd: outDir, // no .env here
    stdio: ['ignore', 'ignore', 'inherit'],
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: String(port),
      DATABASE_URL: benchDatabaseUrl(), JWT_SECRET: BENCH_JWT_SECRET,
      RATE_LIMIT_MAX: '1000000000', LOGIN_RATE_LIMIT_MAX: '1000000000', LOG_LEVEL: 'warn',
    },
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  try {
    await waitForHealth(url)
    const headers = await login(url, args.as)
    const loadStartedMs = Date.now() - t0
    console.log(`profiling GET ${args.route} as ${args.as} for ${args.duration} s …`)
    const result = await autocannon({ url: `${url}${args.route}`, headers, connections: Number(args.connections), duration: Number(args.duration) })
    console.log(`${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms, ${result.non2xx} non-2xx (the profiler slows the server down)`)
    child.kill('SIGINT') // --cpu-prof writes the profile on a clean exit
    await exited
    const written = readdirSync(outDir).filter((f) => f.endsWith('.cpuprofile') && !before.has(f))
    const file = written.find((f) => /\.0\.\d+\.cpuprofile$/.test(f)) ?? written[0]
    if (file === undefined) throw new Error('no profile was written')
    const profile = JSON.parse(readFileSync(join(outDir, file), 'utf8')) as CpuProfile
    console.log(`${join(outDir, file)}\n`)
    console.log(summarise(profile, (loadStartedMs + 1000) * 1000, Number(args.top)))
  } finally {
    child.kill('SIGKILL')
  }
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
