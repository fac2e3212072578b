// `npm run bench`: the API against a bare baseline (bench/baseline.ts) on the same PostgreSQL
// database, route by route, ending with each target met or missed (bench/README.md).
//
//   npm run bench:seed -- --scale 1      # once: the dataset (see bench/seed.ts)
//   npm run bench                        # build, cold start, every route, floor, login storm
//   npm run bench -- --scale-check       # the routes whose cost grows with the data only
//   npm run bench -- --storm             # the login route, /inventory and the login storm only
//   npm run bench -- --smoke             # CI: scale 0.01 in a throwaway database, 1 s per route
import os from 'node:os'
import { performance } from 'node:perf_hooks'
import pg from 'pg'
import { processMemory } from './api-process.js'
import { benchDatabaseUrl, databaseName, withDatabase } from './common.js'
import { loginStorm, measureAgainstFloor, measureRoute, type FloorResult, type RouteResult, type SideSummary, type StormResult } from './load.js'
import { HELP, options } from './options.js'
import { formatReport, fmtRatio, fmtRps, machine, writeResults } from './report.js'
import { callers, type Callers } from './callers.js'
import { CACHED_ROUTES, compareAnswers, FILTERED_TICKET_LISTS, LOGIN_ROUTE, prepareTrackedParts, readFacts, routes, STORM_READ, UNFILTERED_TICKET_LIST } from './routes.js'
import {
  assertAlive, build, canPin, coldStarts, CPUS, deploymentEnv, killAll, LOADGEN_CORE, pinSelf, removeApiDirectory,
  SERVER_CORE, startServer, stopServer,
} from './servers.js'
import { judge } from './targets.js'

const log = (line = ''): void => console.log(line)

/** Why a measured side counts as failed: any non-2xx answer, socket error or time-out. */
function failuresOf (what: string, s: SideSummary): string[] {
  return s.non2xx > 0 || s.errors > 0 ? [`${what}: ${s.non2xx} non-2xx (${JSON.stringify(s.statusCodes)}), ${s.errors} errors/timeouts`] : []
}

async function main (): Promise<number> {
  if (options.help) {
    log(HELP)
    return 0
  }
  const started = performance.now()
  pinSelf()
  const { mode } = options
  const smoke = mode === 'smoke'

  let databaseUrl = benchDatabaseUrl()
  let dropAfter: string | undefined
  const building = options.skipBuild ? Promise.resolve() : build()
  building.catch(() => {}) // awaited below; a rejection before then is not "unhandled"
  if (smoke) {
    // The seed loads the API's database module (and PGlite): only import it when seeding.
    const { seed, formatSummary } = await import('./seed.js')
    const name = `mechanic_shop_bench_smoke_${Math.random().toString(16).slice(2, 10)}`
    databaseUrl = withDatabase(databaseUrl, name)
    dropAfter = databaseUrl
    log(`Smoke run: seeding scale 0.01 into ${name} (dropped afterwards) while the API builds`)
    log(formatSummary(await seed({ url: databaseUrl, scale: 0.01, progress: false, log: () => {} })))
  }

  try {
    const facts = await readFacts(databaseUrl, options.customers)
    const env = await machine(databaseUrl)
    await building
    log()
    log(`Mechanic Shop API benchmark (${mode}) on ${databaseName(databaseUrl)}`)
    log(`  ${Object.entries(facts.counts).map(([t, n]) => `${t} ${n}`).join(', ')} (${facts.databaseMiB} MiB)`)
    log(`  ${env.nproc} CPUs (${env.cpu}), ${env.memoryGiB} GiB, Node ${env.node}, PostgreSQL ${env.postgres}, load average ${env.loadAverageAtStart.join(' ')}`)
    log(`  commit ${env.commit}${env.uncommittedFiles > 0 ? ` + ${env.uncommittedFiles} uncommitted files` : ''}` +
      `${options.skipBuild ? ' (--skip-build: dist/ may be from an older tree)' : ''}`)
    log(`  ${options.rounds} round(s) x ${options.duration} s per route and server after ${options.warmup} s warm-up, ${options.connections} connections` +
      `${canPin ? `, servers on core ${SERVER_CORE}, load generator on core ${LOADGEN_CORE}` : ', unpinned'}${options.redis ? ', API with Redis' : ''}`)
    log(`  authenticated requests rotate through ${facts.customerIds.length} customers' and ${facts.mechanicIds.length} mechanics' tokens, each with its own session`)

    const failures: string[] = []
    const warnings: string[] = []
    if (os.loadavg()[0]! > CPUS / 2) {
      warnings.push(`the machine was busy at the start (load average ${os.loadavg().map((l) => l.toFixed(2)).join(', ')} on ${CPUS} CPUs): numbers are noisy`)
    }

    const coldStartMs = { api: [] as number[], baseline: [] as number[] }
    if (mode !== 'scale-check' && options.coldStarts > 1) {
      log(`\nCold start (spawn to the first /health 200), ${options.coldStarts} time(s) each …`)
      coldStartMs.api = await coldStarts('api', databaseUrl, options.coldStarts - 1)
      coldStartMs.baseline = await coldStarts('baseline', databaseUrl, options.coldStarts - 1)
    }

    // One at a time, so each start (the last cold-start sample) has core 0 to itself.
    const api = await startServer('api', databaseUrl)
    const baseline = await startServer('baseline', databaseUrl)
    const monitor = new pg.Client({ connectionString: databaseUrl })
    await monitor.connect()
    if (mode !== 'scale-check') {
      coldStartMs.api.push(api.startMs)
      coldStartMs.baseline.push(baseline.startMs)
    }
    let results: Record<string, unknown>
    let who: Callers | undefined
    try {
      // Before any request: the API has migrated the database, and its inventory cache is empty.
      const trackedParts = await prepareTrackedParts(databaseUrl)
      who = await callers(api, databaseUrl, facts.customerIds, facts.mechanicIds)
      const allSpecs = routes(facts, who, trackedParts)
      let specs = allSpecs
      if (mode === 'scale-check') {
        specs = specs.filter((s) => s.label.includes('(last)') || s.label === 'GET /mechanics/ranking' ||
          s.label === UNFILTERED_TICKET_LIST || FILTERED_TICKET_LISTS.includes(s.label))
      }
      if (mode === 'storm') specs = specs.filter((s) => s.label === LOGIN_ROUTE || s.label === STORM_READ)
      if (options.only.length > 0) specs = specs.filter((s) => options.only.some((o) => s.label.includes(o)))

      const differences = await compareAnswers(specs, api, baseline)
      if (differences.length > 0) {
        log('\nAnswers that differ between the API and the baseline (a warning, not a failure):')
        for (const d of differences) log(`  ${d}`)
      }

      log('\nRoutes:')
      const routeResults: RouteResult[] = []
      for (const spec of specs) {
        process.stdout.write(`  ${spec.label} …`)
        const r = await measureRoute(spec.label, spec.target, api, baseline, monitor)
        process.stdout.write(` API ${fmtRps(r.api.rps)} req/s, baseline ${fmtRps(r.baseline.rps)} req/s\n`)
        routeResults.push(r)
        for (const side of ['api', 'baseline'] as const) {
          failures.push(...failuresOf(`${r.label} on the ${side}`, r[side]))
          // A 1 s smoke run can end before the first slow login answers; a real run must not.
          if (r[side].requests === 0) (smoke ? warnings : failures).push(`${r.label} on the ${side}: no request completed in ${options.duration} s`)
        }
      }

      // The cached reads against the framework floor (bench/baseline.ts, `/floor/…`): the same
      // bytes from memory on bare Fastify, interleaved with the API's cache hits.
      const floorResults: FloorResult[] = []
      const cached = mode === 'full' ? specs.filter((s) => CACHED_ROUTES.includes(s.label)) : []
      if (cached.length > 0) log('\nCached reads against the framework floor (bare Fastify sending the same body from memory):')
      for (const spec of cached) {
        process.stdout.write(`  ${spec.label} …`)
        const f = await measureAgainstFloor(spec.label, spec.target, api, baseline, monitor)
        process.stdout.write(` API ${fmtRps(f.api.rps)} req/s, floor ${fmtRps(f.floor.rps)} req/s (${fmtRatio(f.api.rps / f.floor.rps)})\n`)
        floorResults.push(f)
        for (const side of ['api', 'floor', 'baseline'] as const) failures.push(...failuresOf(`${f.label} against the floor, on the ${side}`, f[side]))
      }

      const storms: StormResult[] = []
      if (mode === 'storm' || (mode !== 'scale-check' && options.only.length === 0)) {
        const inventory = allSpecs.find((s) => s.label === STORM_READ)!
        const loginSpec = allSpecs.find((s) => s.label === LOGIN_ROUTE)!
        log(`\nLogin storm: /inventory with ${options.connections} connections while ${options.stormConnections} logins run …`)
        const stormSeconds = options.duration * options.rounds
        for (const server of [api, baseline]) {
          const s = await loginStorm(server, inventory.target, loginSpec.target, stormSeconds, monitor)
          storms.push(s)
          if (s.inventory.non2xx > 0 || s.inventory.errors > 0 || s.loginNon2xx > 0) {
            failures.push(`login storm on the ${s.server}: ${s.inventory.non2xx + s.inventory.errors} failed reads, ${s.loginNon2xx} failed logins (${JSON.stringify(s.loginStatusCodes)})`)
          }
        }
      }

      const measurements = {
        routes: routeResults,
        authenticatedReads: specs.filter((s) => s.target.method === 'GET' && 'authorization' in s.target.headers).map((s) => s.label),
        sessions: { customers: who.customers.length, mechanics: who.mechanics.length },
        floor: floorResults,
        storms,
        coldStartMs,
        apiVmHwmKb: processMemory(api.pid).hwmKb,
        ticketCount: facts.counts.service_tickets ?? 0,
      }
      assertAlive(api, baseline)
      const verdicts = judge(measurements)
      const report = formatReport(measurements, verdicts, env)
      log(`\n${report}`)
      results = {
        mode, options, machine: env, deploymentSettings: deploymentEnv, counts: facts.counts, databaseMiB: facts.databaseMiB,
        at: new Date().toISOString(), answerDifferences: differences, ...measurements, targets: verdicts,
        loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100), warnings,
      }
      const out = writeResults(results, report)
      if (warnings.length > 0) {
        log('\nWarnings:')
        for (const w of warnings) log(`  ${w}`)
      }
      const missed = verdicts.filter((v) => v.status === 'MISSED').length
      log(`\nTargets: ${verdicts.filter((v) => v.status === 'met').length} met, ${missed} missed, ${verdicts.filter((v) => v.status === 'not measured').length} not measured in this mode`)
      log(`Results: ${out} (${((performance.now() - started) / 1000).toFixed(0)} s in all)`)
    } finally {
      await monitor.end().catch(() => {})
      await who?.end().catch((err: unknown) => { console.error(`Could not delete the callers' sessions: ${(err as Error).message}`) })
      await stopServer(api)
      await stopServer(baseline)
    }

    if (failures.length > 0) {
      console.error('\nFAILED: requests errored or answered non-2xx:')
      for (const f of failures) console.error(`  ${f}`)
      return 1
    }
    return 0
  } finally {
    if (dropAfter !== undefined) {
      const { dropDatabase } = await import('./seed.js')
      await dropDatabase(dropAfter).catch((err: unknown) => console.error(`Could not drop ${databaseName(dropAfter!)}: ${(err as Error).message}`))
    }
    removeApiDirectory()
  }
}

process.once('SIGINT', () => {
  killAll()
  process.exit(130)
})

process.exitCode = await main().catch((err: unknown) => {
  console.error(err instanceof Error ? `Benchmark failed: ${err.message}` : err)
  killAll()
  return 1
})
