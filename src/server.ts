// The entry point: the only place that reads the environment, listens, and handles signals.
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'

async function main (): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message)
      process.exit(1)
    }
    throw err
  }

  const app = await buildApp(config)
  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'closing')
    // Fastify closes the keep-alive connections that are idle when closing begins, but one whose
    // request is still in flight turns idle only after its response, and then nothing closes it:
    // app.close() would wait for the client to hang up, close-with-grace would kill the process
    // after its delay (exit 1) and the database would never be closed. Close each one as soon as
    // it turns idle.
    const closeIdle = setInterval(() => { app.server.closeIdleConnections() }, 100)
    try {
      await app.close()
    } finally {
      clearInterval(closeIdle)
    }
    // Every onClose hook has run: the database pool (or PGlite) and Redis are closed.
    app.log.info({ signal }, 'closed')
  })
  await app.listen({ port: config.port, host: config.host })
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? `Start-up failed: ${err.message}` : err)
  process.exit(1)
})
