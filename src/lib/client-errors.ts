// Node's answers to a request it could not finish reading (a request timeout, oversized headers, a
// malformed request), written on the socket as problem+json like every other error. Fastify's
// default writes `application/json` in its own shape, which no client of the contract can read.
// @see https://fastify.dev/docs/latest/Reference/Server/#clienterrorhandler
import { STATUS_CODES } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyInstance } from 'fastify'

/** The most a request's line and headers may take; past it the answer is 431. Pinned by test/declared-statuses.test.ts. */
export const MAX_HEADER_BYTES = 16 * 1024

const STATUS_OF: Record<string, number> = { ERR_HTTP_REQUEST_TIMEOUT: 408, HPE_HEADER_OVERFLOW: 431 }
const DETAIL_OF: Record<number, string> = {
  408: 'The request did not arrive whole in time.',
  431: 'The request headers are too large.',
  400: 'The request is malformed.',
}

/** The path of the request the socket was reading, when Node got as far as its request line. */
function pathOf (socket: Socket): string {
  const url = (socket as unknown as { parser?: { incoming?: { url?: unknown } } }).parser?.incoming?.url
  return typeof url === 'string' ? url.split('?', 1)[0] ?? '' : ''
}

export function clientErrorHandler (this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return
  const status = STATUS_OF[err.code ?? ''] ?? 400
  const title = STATUS_CODES[status] ?? 'Bad Request'
  this.log.debug({ err }, 'client error')
  const body = JSON.stringify({ type: 'about:blank', title, status, detail: DETAIL_OF[status], instance: pathOf(socket) })
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${title}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/problem+json\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy(err)
}
