// One API instance as its own process, started with `npm start`'s command on the compiled build,
// in an empty directory (no .env there), its output kept in a log file for a failed run.
import { spawn, type ChildProcess } from 'node:child_process'
import { openSync, closeSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT } from '../../src/contract/paths.js'
import { call } from './http.js'

export interface Exit { code: number | null, signal: NodeJS.Signals | null, at: number }

export interface Instance {
  readonly name: string
  readonly port: number
  child: ChildProcess
  exited: Promise<Exit>
  /** Spawns the process (again, after it exited). */
  start: () => void
  /** Resolves once GET /health answers 200 (the database is reached), or throws at the deadline. */
  ready: (deadlineMs: number, from: () => string) => Promise<number>
  readonly log: string
}

export function createInstance (opts: { name: string, port: number, dir: string, nodeArgs: string[], env: Record<string, string> }): Instance {
  const log = join(opts.dir, `${opts.name}.log`)
  const instance: Instance = {
    name: opts.name,
    port: opts.port,
    log,
    child: undefined as unknown as ChildProcess,
    exited: Promise.resolve({ code: null, signal: null, at: 0 }),
    start () {
      const out = openSync(log, 'a')
      const child = spawn(process.execPath, opts.nodeArgs.map((arg) => arg.startsWith('dist/') ? join(ROOT, arg) : arg), {
        cwd: opts.dir,
        env: { PATH: process.env.PATH ?? '', ...opts.env, PORT: String(opts.port) },
        stdio: ['ignore', out, out],
      })
      closeSync(out)
      instance.child = child
      instance.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })))
    },
    async ready (deadlineMs, from) {
      const deadline = Date.now() + deadlineMs
      for (;;) {
        const child = instance.child
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${opts.name} exited (${child.exitCode ?? child.signalCode}) while starting; see ${log}`)
        const res = await call({ port: opts.port, from: from(), method: 'GET', path: '/health', timeoutMs: 2_000 })
        if (res.status === 200) return Date.now()
        if (Date.now() > deadline) throw new Error(`${opts.name} was not ready within ${deadlineMs} ms; see ${log}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
  }
  return instance
}
