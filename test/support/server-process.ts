// The real server as its own process (src/server.ts through tsx's loader, as `npm run dev` runs it),
// for what only a process shows: its exit code, its signals, its stdout and stderr. It runs in an
// empty directory so that a developer's .env cannot change its configuration, and is killed when
// the test ends if it is still running.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Test } from 'tap'
import { ROOT } from '../../src/contract/paths.js'

export interface LogLine { level: number, msg: string, [field: string]: unknown }

export interface ServerProcess {
  readonly child: ChildProcess
  /** Parsed pino lines from stdout, in order (a line that is not JSON becomes `{ level: 0, msg }`). */
  readonly logs: LogLine[]
  /** Everything written to stderr. */
  stderr: () => string
  /** Resolves with the exit code (or the signal that ended it) and when, by Date.now(). */
  readonly exited: Promise<{ code: number | null, signal: NodeJS.Signals | null, at: number }>
  /** Waits for a log line matching `match`, failing after `timeoutMs` or if the process exits first. */
  waitForLog: (match: (line: LogLine) => boolean, what: string, timeoutMs?: number) => Promise<LogLine>
  /** http://127.0.0.1:<port> once "Server listening" has been logged. */
  url: () => string
}

/** Spawns `node --import tsx src/server.ts` with exactly `env` (plus PATH). */
export function spawnServer (t: Pick<Test, 'teardown'>, env: Record<string, string>): ServerProcess {
  const cwd = mkdtempSync(join(tmpdir(), 'mst-server-'))
  const child = spawn(process.execPath, ['--import', pathToFileURL(join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, join(ROOT, 'src', 'server.ts')], {
    cwd,
    env: { PATH: process.env.PATH ?? '', TSX_TSCONFIG_PATH: join(ROOT, 'tsconfig.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const logs: LogLine[] = []
  const waiters = new Set<() => void>()
  let pending = ''
  child.stdout?.setEncoding('utf8')
  child.stdout?.on('data', (chunk: string) => {
    pending += chunk
    for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
      const text = pending.slice(0, end)
      pending = pending.slice(end + 1)
      if (text.trim() === '') continue
      try {
        logs.push(JSON.parse(text) as LogLine)
      } catch {
        logs.push({ level: 0, msg: text })
      }
    }
    for (const wake of waiters) wake()
  })
  let stderr = ''
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => { stderr += chunk })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null, at: number }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal, at: Date.now() })
      for (const wake of waiters) wake()
    })
  })

  let listening: string | undefined
  const server: ServerProcess = {
    child,
    logs,
    stderr: () => stderr,
    exited,
    async waitForLog (match, what, timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const line = logs.find(match)
        if (line !== undefined) return line
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`the server exited (${child.exitCode ?? child.signalCode}) before logging ${what}; stderr: ${stderr}`)
        }
        const left = deadline - Date.now()
        if (left <= 0) throw new Error(`the server did not log ${what} within ${timeoutMs} ms; stderr: ${stderr}`)
        await new Promise<void>((resolve) => {
          const wake = () => { waiters.delete(wake); clearTimeout(timer); resolve() }
          const timer = setTimeout(wake, Math.min(left, 1_000))
          waiters.add(wake)
        })
      }
    },
    url () {
      if (listening !== undefined) return listening
      const line = logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('Server listening at '))
      if (line === undefined) throw new Error('the server is not listening yet')
      return (listening = line.msg.slice('Server listening at '.length))
    },
  }

  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
    rmSync(cwd, { recursive: true, force: true })
  })
  return server
}

/** Spawns the server and waits until it listens (start-up can take a while on a busy machine). */
export async function startServer (t: Pick<Test, 'teardown'>, env: Record<string, string>, timeoutMs = 180_000): Promise<ServerProcess> {
  const server = spawnServer(t, env)
  await server.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('Server listening at '), '"Server listening"', timeoutMs)
  return server
}
