// `npm start` preloads src/thread-pool.cts to size libuv's thread pool before anything starts it.
// The preload is compiled here as tsc compiles it and run in real Node processes: what counts is how
// many threads the pool really starts, not what the environment says.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import ts from 'typescript'

const source = readFileSync(new URL('../src/thread-pool.cts', import.meta.url), 'utf8')
const dir = mkdtempSync(join(tmpdir(), 'mst-thread-pool-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const preload = join(dir, 'thread-pool.cjs')
writeFileSync(preload, ts.transpileModule(source, {
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
}).outputText)

t.test('the size: the deployment\'s choice, else the cores, from 2 to 4', async (t) => {
  const saved = process.env.UV_THREADPOOL_SIZE
  t.teardown(() => { if (saved === undefined) delete process.env.UV_THREADPOOL_SIZE; else process.env.UV_THREADPOOL_SIZE = saved })
  const { threadPoolSize } = createRequire(import.meta.url)(preload) as { threadPoolSize: (configured: string | undefined, cores: number) => string }
  t.equal(threadPoolSize(undefined, 1), '2', 'one core still gets two threads')
  t.equal(threadPoolSize(undefined, 2), '2')
  t.equal(threadPoolSize(undefined, 3), '3')
  t.equal(threadPoolSize(undefined, 64), '4', 'never more than libuv\'s default')
  t.equal(threadPoolSize('', 3), '3', 'an empty setting is no setting')
  t.equal(threadPoolSize('8', 1), '8', 'a configured size is kept')
})

// Pinned to one core where taskset exists, so the preload must choose 2 where libuv would start 4,
// whatever the machine's size: a preload that changed nothing could not pass.
const taskset = ['/usr/bin/taskset', '/bin/taskset'].find((path) => existsSync(path))

/** How many threads a Node process has once its thread pool has run one job. */
function threadsAfterPoolStart (nodeArgs: string[], env: NodeJS.ProcessEnv): number {
  const script = 'require("node:crypto").scrypt("p", "s", 8, () => console.log(require("node:fs").readdirSync("/proc/self/task").length))'
  const argv = [process.execPath, ...nodeArgs, '-e', script]
  const [command, ...args] = taskset === undefined ? argv : [taskset, '--cpu-list', '0', ...argv]
  return Number(execFileSync(command!, args, { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' }).trim())
}

t.test('the pool starts with that many threads', { skip: process.platform !== 'linux' && 'counts threads in /proc' }, async (t) => {
  const expected = taskset === undefined ? String(Math.min(4, Math.max(2, availableParallelism()))) : '2'
  const preloaded = threadsAfterPoolStart(['--require', preload], {})
  t.equal(preloaded, threadsAfterPoolStart([], { UV_THREADPOOL_SIZE: expected }), `as many as UV_THREADPOOL_SIZE=${expected}`)
  if (expected !== '4') t.ok(preloaded < threadsAfterPoolStart([], {}), 'fewer than libuv\'s default four')
  t.equal(threadsAfterPoolStart(['--require', preload], { UV_THREADPOOL_SIZE: '6' }), threadsAfterPoolStart([], { UV_THREADPOOL_SIZE: '6' }),
    'an explicit UV_THREADPOOL_SIZE is respected')
})
