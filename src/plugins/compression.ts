// Owns response compression, for the one answer large enough to need it: the 2.6 MB docs page,
// which compresses to a tenth. JSON answers are small and hot; compressing them would cost more CPU
// than it saves on loopback and LAN links, so only operations listed here opt in.
// Register before contract (its onRoute hook must see the routes first).
// @see https://github.com/fastify/fastify-compress
import fastifyCompress from '@fastify/compress'
import fp from 'fastify-plugin'
import type { FastifyInstance, RouteOptions } from 'fastify'

/** The operations whose answers are compressed. */
export const COMPRESSED_OPERATIONS: ReadonlySet<string> = new Set(['getDocs'])

async function compression (app: FastifyInstance): Promise<void> {
  // Before the plugin's own onRoute hook, which reads the route's `compress` option.
  app.addHook('onRoute', (route: RouteOptions) => {
    const operationId = (route.schema as { operationId?: unknown } | undefined)?.operationId
    if (typeof operationId === 'string' && COMPRESSED_OPERATIONS.has(operationId)) {
      (route as RouteOptions & { compress?: object }).compress = { encodings: ['br', 'gzip'] }
    }
  })
  await app.register(fastifyCompress, { global: false, encodings: ['br', 'gzip'], threshold: 1024 })
}

export default fp(compression, { name: 'compression' })
