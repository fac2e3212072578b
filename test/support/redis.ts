// Redis for the tests that need one. The app's key prefixes are fixed (`mst:rate-limit:`,
// `mst:cache:`), so parallel test files and the two driver passes must not share a database:
// each claims a free database number on REDIS_URL's server for as long as it runs. Tests that stop
// Redis on purpose get a throwaway redis-server of their own on a spare port.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:net'
import { Redis } from 'ioredis'
import type { Test } from 'tap'

/** REDIS_URL as CI and developers set it; the Redis tests skip without it. */
export const sharedRedisUrl = (): string | undefined => process.env.REDIS_URL || undefined

const CLAIM_KEY = 'mst-test:claimed-by'
/** Longer than tap's per-file timeout, so a crashed run frees its database by itself. */
const CLAIM_SECONDS = 900

function withDb (url: string, db: number): string {
  const u = new URL(url)
  u.pathname = `/${db}`
  return u.href
}

/** Deletes the app's keys in the current database of `client` (never a FLUSH: only `mst:*`). */
async function deleteAppKeys (client: Redis): Promise<void> {
  for (let cursor = '0'; ;) {
    const [next, keys] = await client.scan(cursor, 'MATCH', 'mst:*', 'COUNT', 500)
    if (keys.length > 0) await client.del(...keys)
    if (next === '0') return
    cursor = next
  }
}

export interface ClaimedRedis {
  /** REDIS_URL with this test's database number. */
  url: string
  /** A client on that database, to look at what the app stored. */
  client: Redis
}

/**
 * Claims a database number (1–15) on REDIS_URL's server that no other test run holds, clears the
 * app's leftover keys in it, and clears and releases it when `t` ends. Undefined when REDIS_URL is unset.
 */
export async function claimRedisDb (t: Pick<Test, 'teardown'>): Promise<ClaimedRedis | undefined> {
  const base = sharedRedisUrl()
  if (base === undefined) return undefined
  const token = randomUUID()
  const order = Array.from({ length: 15 }, (_, i) => i + 1).sort(() => Math.random() - 0.5)
  for (const db of order) {
    const url = withDb(base, db)
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
    await client.connect()
    if (await client.set(CLAIM_KEY, token, 'EX', CLAIM_SECONDS, 'NX') === 'OK') {
      await deleteAppKeys(client)
      t.teardown(async () => {
        if (await client.get(CLAIM_KEY) === token) {
          await deleteAppKeys(client)
          await client.del(CLAIM_KEY)
        }
        client.disconnect()
      })
      return { url, client }
    }
    client.disconnect()
  }
  throw new Error(`every database 1–15 on ${base} is claimed by another test run`)
}

/** A free TCP port on 127.0.0.1 (free when asked; redis-server takes it a moment later). */
export async function sparePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')))
    })
  })
}

export const redisServerInstalled = (): boolean => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).error === undefined

export interface RedisServer {
  readonly url: string
  /** Starts redis-server on the same port (empty: no persistence), and waits until it answers. */
  start: () => Promise<void>
  /** Kills it as a crash would (SIGKILL), and waits until it has exited. */
  stop: () => Promise<void>
  /** SIGSTOP / SIGCONT: a server that accepts nothing and answers nothing, as a hung one would. */
  pause: () => void
  resume: () => void
}

/** A redis-server of this test's own on a spare port, started unless told not to; killed when `t` ends. */
export async function startRedisServer (t: Test, { started = true } = {}): Promise<RedisServer> {
  const port = await sparePort()
  const url = `redis://127.0.0.1:${port}`
  let child: ChildProcess | undefined

  async function waitUntilAnswering (): Promise<void> {
    const deadline = Date.now() + 10_000
    while (Date.now() < deadline) {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server on port ${port} is not running (exit ${child?.exitCode}, ${child?.signalCode})`)
      const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 })
      probe.on('error', () => {})
      try {
        await probe.connect()
        if (await probe.ping() === 'PONG') return
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 50))
      } finally {
        probe.disconnect()
      }
    }
    throw new Error(`redis-server on port ${port} did not answer within 10 s`)
  }

  const server: RedisServer = {
    url,
    async start () {
      child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' })
      await waitUntilAnswering()
    },
    async stop () {
      const running = child
      if (running === undefined || running.exitCode !== null || running.signalCode !== null) return
      const exited = new Promise((resolve) => running.once('exit', resolve))
      running.kill('SIGCONT')
      running.kill('SIGKILL')
      await exited
    },
    pause () { child?.kill('SIGSTOP') },
    resume () { child?.kill('SIGCONT') },
  }
  t.teardown(() => server.stop())
  if (started) await server.start()
  return server
}
