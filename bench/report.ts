// What a run prints and keeps: the machine it ran on, the tables, the target verdicts, and the
// results file (JSON with every number, and the same report as Markdown beside it).
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { median } from './load.js'
import { options } from './options.js'
import { STORM_READ } from './routes.js'
import { canPin, CPUS, deploymentEnv, NODE_FLAGS, ROOT } from './servers.js'
import type { Measurements, Verdict } from './targets.js'

const RESULTS_DIR = join(ROOT, 'bench', 'results')

export function fmtMs (ms: number): string {
  if (!Number.isFinite(ms)) return 'n/a'
  if (ms < 10) return ms.toFixed(2)
  if (ms < 100) return ms.toFixed(1)
  return ms.toFixed(0)
}
export const fmtRps = (rps: number): string => Number.isFinite(rps) ? (rps < 100 ? rps.toFixed(1) : Math.round(rps).toString()) : 'n/a'
export const fmtRatio = (r: number): string => Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a'
const fmtMiB = (kb: number): string => Number.isFinite(kb) && kb > 0 ? `${(kb / 1024).toFixed(0)} MiB` : 'n/a'

function markdownTable (header: string[], rows: string[][], rightAlignFrom = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => i >= rightAlignFrom ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join(' | ')} |`
  const rule = `|${widths.map((w, i) => i >= rightAlignFrom ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2)).join('|')}|`
  return [line(header), rule, ...rows.map(line)].join('\n')
}

function git (...argv: string[]): string {
  try {
    return execFileSync('git', argv, { cwd: ROOT, encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
}

export type Machine = Awaited<ReturnType<typeof machine>>

export async function machine (databaseUrl: string) {
  const cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? os.cpus()[0]?.model ?? 'unknown'
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  const { rows } = await client.query<{ v: string }>("select current_setting('server_version') as v")
  await client.end()
  const dirty = git('status', '--porcelain').split('\n').filter((l) => l.trim() !== '').length
  return {
    nproc: CPUS,
    cpu,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    postgres: rows[0]?.v ?? 'unknown',
    commit: git('log', '-1', '--oneline'),
    uncommittedFiles: dirty,
    pinned: canPin,
    rebuilt: !options.skipBuild,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  }
}

/** The run's tables and verdicts as Markdown: printed, and kept as `latest-<mode>.md`. */
export function formatReport (m: Measurements, verdicts: Verdict[], env: Machine): string {
  const out: string[] = []
  out.push(`# Benchmark (${options.mode}): ${options.rounds} × ${options.duration} s per route and server, ${options.connections} connections`)
  out.push('')
  out.push(`Commit ${env.commit}${env.uncommittedFiles > 0 ? ` + ${env.uncommittedFiles} uncommitted files` : ''}; ` +
    `${env.nproc} CPUs (${env.cpu}), ${env.memoryGiB} GiB, Node ${env.node}, PostgreSQL ${env.postgres}; ` +
    `${env.pinned ? 'servers pinned to one core, the load generator to another' : 'unpinned'}; load average at start ${env.loadAverageAtStart.join(' ')}.`)
  out.push('', '## Targets', '')
  out.push(markdownTable(['target', 'verdict', 'measured'], verdicts.map((v) => [v.target, v.status, v.measured]), 3))
  out.push('', '## Routes', '')
  out.push(markdownTable(
    ['route', 'API req/s', 'base req/s', 'API/base req/s', 'API p50 ms', 'base p50 ms', 'API p99 ms', 'base p99 ms', 'API/base p99', 'API peak RSS'],
    m.routes.map((r) => [
      r.label,
      fmtRps(r.api.rps), fmtRps(r.baseline.rps), fmtRatio(r.api.rps / r.baseline.rps),
      fmtMs(r.api.p50), fmtMs(r.baseline.p50),
      fmtMs(r.api.p99), fmtMs(r.baseline.p99), fmtRatio(r.api.p99 / r.baseline.p99),
      fmtMiB(r.apiPeakRssKb),
    ]),
  ))
  const settings = Object.entries(deploymentEnv).map(([name, value]) => `${name}=${value}`).join(' ')
  out.push('', `API peak RSS over the whole run (VmHWM): ${fmtMiB(m.apiVmHwmKb)}${settings === '' ? '' : ` (both servers ran with ${settings})`}`)

  if (m.floor.length > 0) {
    out.push('', '## Cached reads against the framework floor', '')
    out.push('floor: bare Fastify sending the same body from memory, interleaved with the API\'s hits and the baseline\'s own answer.', '')
    out.push(markdownTable(['route', 'API req/s', 'floor req/s', 'API/floor', 'base req/s', 'floor/base', 'API/base'], m.floor.map((f) =>
      [f.label, fmtRps(f.api.rps), fmtRps(f.floor.rps), fmtRatio(f.api.rps / f.floor.rps), fmtRps(f.baseline.rps), fmtRatio(f.floor.rps / f.baseline.rps), fmtRatio(f.api.rps / f.baseline.rps)])))
  }

  const { api: coldApi, baseline: coldBaseline } = m.coldStartMs
  if (coldApi.length > 0) {
    const row = (name: string, times: number[]) => [name, fmtMs(median(times)), fmtMs(Math.min(...times)), fmtMs(Math.max(...times)), String(times.length)]
    out.push('', '## Cold start, spawn to the first /health 200 (ms)', '')
    out.push(markdownTable(['server', 'median', 'min', 'max', 'runs'], [
      row(`API (node ${NODE_FLAGS.join(' ')} dist/src/server.js)`, coldApi),
      row('baseline (the same flags, --import tsx)', coldBaseline),
    ]))
  }

  if (m.storms.length > 0) {
    const calm = m.routes.find((r) => r.label === STORM_READ)
    out.push('', `## Login storm: /inventory?page=1&per_page=50 while ${options.stormConnections} concurrent logins run`, '')
    out.push(markdownTable(['server', 'reads/s', 'p50 ms', 'p99 ms', 'max ms', 'p99 without storm', 'logins/s', 'login p50 ms', 'login p99 ms', 'peak RSS'], m.storms.map((s) => [
      s.server,
      fmtRps(s.inventory.rps), fmtMs(s.inventory.p50), fmtMs(s.inventory.p99), fmtMs(s.inventory.max),
      calm === undefined ? 'n/a' : fmtMs(s.server === 'api' ? calm.api.p99 : calm.baseline.p99),
      fmtRps(s.loginsPerSecond), fmtMs(s.logins.p50), fmtMs(s.logins.p99), s.apiPeakRssKb === undefined ? 'n/a' : fmtMiB(s.apiPeakRssKb),
    ])))
  }
  return out.join('\n')
}

/** Writes the JSON (every number) and the Markdown report; returns the JSON's path. */
export function writeResults (results: Record<string, unknown>, markdown: string): string {
  mkdirSync(RESULTS_DIR, { recursive: true })
  const out = options.json ?? join(RESULTS_DIR, `${new Date().toISOString().replace(/[:.]/g, '-')}-${options.mode}.json`)
  writeFileSync(out, JSON.stringify(results, null, 2))
  writeFileSync(join(RESULTS_DIR, `latest-${options.mode}.md`), `${markdown}\n`)
  return out
}
