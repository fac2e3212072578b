// What every load tool needs to start and watch a server process: a free port, the Node flags of
// `npm start`, the JWT secret this run signs with, and the process's memory.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/**
 * A new 43-character secret per run: with NODE_ENV=production the API refuses a short one, and one
 * that appears in the repository.
 */
export const BENCH_JWT_SECRET = randomBytes(32).toString('base64url')

export function freePort (): Promise<number> {
  return new Promise((done, fail) => {
    const server = net.createServer()
    server.unref()
    server.on('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => done(port))
    })
  })
}

/** The Node flags and preloads of `npm start`, so the benchmark runs the server the way users start it. */
export function startScriptNodeFlags (): string[] {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }
  const words = scripts.start.trim().split(/\s+/)
  if (words[0] !== 'node' || words.at(-1) !== 'dist/src/server.js') throw new Error(`unexpected start script: ${scripts.start}`)
  // The servers run in other directories: a preloaded module's path is the repo's.
  return words.slice(1, -1).map((word, i, flags) =>
    flags[i - 1] === '--require' && word.startsWith('.') ? join(ROOT, word) : word)
}

/** VmRSS and VmHWM of a process, in KiB; NaN once it is gone. */
export function processMemory (pid: number): { rssKb: number, hwmKb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN)
    return { rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') }
  } catch {
    return { rssKb: Number.NaN, hwmKb: Number.NaN }
  }
}
