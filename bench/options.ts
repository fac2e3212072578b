// The command line of `npm run bench`: every option, its default, and the values derived from it.
import { parseArgs } from 'node:util'

const { values: args } = parseArgs({
  strict: true,
  options: {
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    'storm-connections': { type: 'string', default: '8' },
    'cold-starts': { type: 'string', default: '3' },
    customers: { type: 'string', default: '1000' },
    only: { type: 'string' },
    redis: { type: 'boolean', default: false },
    'scale-check': { type: 'boolean', default: false },
    storm: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    'skip-build': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
})

export const HELP = `npm run bench -- [options]
  --duration S           seconds per measured run (default 5)
  --rounds N             measured runs per route and server, interleaved API/baseline (default 3)
  --connections N        concurrent connections (default 10)
  --warmup S             seconds of warm-up per route and server, not measured (default 2)
  --storm-connections N  concurrent logins during the login storm (default 8, at most 8)
  --cold-starts N        API starts timed from spawn to the first /health 200 (default 3)
  --customers N          customers whose tokens authenticated routes rotate through (default 1000)
  --only a,b             only the routes whose label contains one of these strings
  --redis                give the API REDIS_URL (from the environment) for its cache and rate limits
  --scale-check          only the ranking, the customers' last page and the ticket lists, for comparing scales
  --storm                only the login route, /inventory and the login storm, for the cost of a password hash
  --smoke                CI: seed scale 0.01 into a throwaway database, 1 round x 1 s, then drop it
  --skip-build           use the existing dist/ instead of running npm run build
  --no-pin               do not pin processes to cores with taskset
  --json FILE            where to write the results (default bench/results/<time>-<mode>.json)
Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/mechanic_shop_bench), REDIS_URL.`

function positive (name: string, value: string | undefined, integer = false): number {
  const n = Number(value)
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new Error(`--${name} must be a ${integer ? 'whole ' : ''}number >= 0, got ${value}`)
  return n
}

const smoke = args.smoke

export type Mode = 'smoke' | 'scale-check' | 'storm' | 'full'

export const options = {
  help: args.help,
  mode: (smoke ? 'smoke' : args['scale-check'] ? 'scale-check' : args.storm ? 'storm' : 'full') as Mode,
  duration: smoke ? 1 : positive('duration', args.duration),
  rounds: smoke ? 1 : Math.max(1, positive('rounds', args.rounds, true)),
  connections: Math.max(1, positive('connections', args.connections, true)),
  warmup: smoke ? 0 : positive('warmup', args.warmup),
  stormConnections: Math.max(1, positive('storm-connections', args['storm-connections'], true)),
  coldStarts: smoke || args.storm ? 1 : Math.max(1, positive('cold-starts', args['cold-starts'], true)),
  customers: Math.max(1, positive('customers', args.customers, true)),
  only: args.only?.split(',').map((s) => s.trim()).filter((s) => s !== '') ?? [],
  redis: args.redis,
  skipBuild: args['skip-build'],
  noPin: args['no-pin'],
  json: args.json,
}
