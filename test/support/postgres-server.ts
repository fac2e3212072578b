// A PostgreSQL server of a test's own, for the tests that stop, restart or freeze the database under
// the app: its own data directory (a mkdtemp in /tmp) and a free port on 127.0.0.1, trust auth, and
// always stopped and deleted when the test ends. Needs the PostgreSQL server binaries (initdb,
// pg_ctl); as root they run as the `postgres` user, since initdb refuses root.
import { execFile, spawnSync } from 'node:child_process'
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { promisify } from 'node:util'
import pg from 'pg'
import type { Test } from 'tap'

const run = promisify(execFile)

/** A free TCP port on 127.0.0.1 (free when asked: nothing listens there unless someone takes it). */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')))
    })
  })
}

/** The directory holding initdb and pg_ctl: the newest /usr/lib/postgresql/<n>/bin, else PATH. */
function findBinDir (): string | undefined {
  const debian = '/usr/lib/postgresql'
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
    for (const v of versions) {
      const dir = join(debian, v, 'bin')
      if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir
    }
  }
  const found = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' })
  const pgCtl = found.status === 0 ? found.stdout.trim() : ''
  if (pgCtl !== '' && existsSync(join(pgCtl, '..', 'initdb'))) return join(pgCtl, '..')
  return undefined
}

interface Runner { binDir: string, prefix: string[], owner?: { uid: number, gid: number } }

function idOf (flag: '-u' | '-g'): number | undefined {
  const out = spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' })
  return out.status === 0 ? Number(out.stdout.trim()) : undefined
}

/** How to run the binaries, or why this machine cannot. */
function runner (): Runner | string {
  const binDir = findBinDir()
  if (binDir === undefined) return 'the PostgreSQL server binaries (initdb, pg_ctl) are not installed'
  if (process.getuid?.() !== 0) return { binDir, prefix: [] }
  const uid = idOf('-u')
  const gid = idOf('-g')
  if (uid === undefined || gid === undefined) return 'running as root, and there is no `postgres` user to run initdb as'
  if (spawnSync('runuser', ['--help'], { stdio: 'ignore' }).error !== undefined) return 'running as root without runuser to run initdb as `postgres`'
  return { binDir, prefix: ['runuser', '-u', 'postgres', '--'], owner: { uid, gid } }
}

const found = runner()

/** False when a test can start a PostgreSQL of its own here, else the reason it cannot (a skip message). */
export const ownPostgresUnavailable: string | false = typeof found === 'string' ? found : false

export interface PostgresServer {
  readonly port: number
  /** The `postgres` database as the `postgres` superuser (trust auth). */
  readonly url: string
  /** Starts the server (recovering after an immediate stop) and waits until it accepts connections. */
  start: () => Promise<void>
  /** `pg_ctl stop -m immediate`: every backend killed at once, as a crash or a power cut would. */
  stop: () => Promise<void>
  /** SIGSTOP to the postmaster and every backend: a server that answers nothing, as a hung host. */
  pause: () => void
  resume: () => void
  /** The server log, for failure messages. */
  log: () => string
}

/** initdb in a fresh directory, started unless told not to; stopped and deleted when `t` ends. */
export async function startPostgresServer (t: Pick<Test, 'teardown'>, { started = true } = {}): Promise<PostgresServer> {
  if (typeof found === 'string') throw new Error(found)
  const { binDir, prefix, owner } = found
  const exec = async (command: string, args: string[]) =>
    await run(prefix[0] ?? join(binDir, command), [...prefix.slice(1), ...(prefix.length > 0 ? [join(binDir, command)] : []), ...args], { timeout: 120_000 })

  const root = mkdtempSync('/tmp/mst-pg-')
  if (owner !== undefined) chownSync(root, owner.uid, owner.gid)
  const data = join(root, 'data')
  const logFile = join(root, 'server.log')
  const port = await freePort()
  let server: PostgresServer | undefined
  t.teardown(async () => {
    try {
      await server?.stop()
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  await exec('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--no-locale'])

  // Unix socket in the test's own directory; TCP on loopback only. fsync off: nothing here must
  // survive a crash except what the test checks through PostgreSQL itself.
  const serverOptions = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50`
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`

  async function accepting (): Promise<boolean> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 })
    client.on('error', () => {})
    try {
      await client.connect()
      await client.query('select 1')
      return true
    } catch {
      return false
    } finally {
      await client.end().catch(() => {})
    }
  }

  function readLog (): string {
    try {
      return readFileSync(logFile, 'utf8').slice(-4000)
    } catch {
      return '(no server log)'
    }
  }

  function postmasterPid (): number | undefined {
    try {
      const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
      return Number.isInteger(pid) && pid > 0 ? pid : undefined
    } catch {
      return undefined
    }
  }

  /** The postmaster and its children (the backends and the auxiliary processes), by pid. */
  function serverPids (): number[] {
    const main = postmasterPid()
    if (main === undefined) return []
    const children = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).filter((entry) => {
      try {
        // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so parse after ')'.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === main
      } catch {
        return false
      }
    }).map(Number)
    return [main, ...children]
  }

  function signalAll (signal: NodeJS.Signals): void {
    for (const pid of serverPids()) {
      try {
        process.kill(pid, signal)
      } catch { /* exited meanwhile */ }
    }
  }

  server = {
    port,
    url,
    async start () {
      await exec('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', '-o', serverOptions, 'start'])
      const deadline = Date.now() + 30_000
      while (!await accepting()) {
        if (Date.now() > deadline) throw new Error(`PostgreSQL on port ${port} did not accept connections within 30 s:\n${readLog()}`)
        await new Promise((resolve) => setTimeout(resolve, 100))
      }
    },
    async stop () {
      if (postmasterPid() === undefined) return // not running (an immediate stop removes the pid file too)
      signalAll('SIGCONT') // a paused server cannot stop
      await exec('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '60', 'stop'])
    },
    pause () { signalAll('SIGSTOP') },
    resume () { signalAll('SIGCONT') },
    log: readLog,
  }
  if (started) await server.start()
  return server
}
