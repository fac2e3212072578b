// Preloaded by `npm start` (`node --require`), because libuv reads UV_THREADPOOL_SIZE once, when the
// first job is queued, and loading the ES module entry point already queues file reads: set in
// server.ts it changes nothing.
//
// Why the API sizes the pool at all: each login's scrypt allocates 16 MiB on a pool thread, and after
// the first one glibc keeps such a block in that thread's own arena. Every thread that has ever
// hashed holds 16 MiB, so libuv's default of four threads adds 64 MiB to RSS after a login storm,
// while the hashes are CPU-bound and run no faster with more threads than cores.
import os = require('node:os')

/** Never below 2, so one slow hash cannot stall a file read or DNS lookup; never above libuv's 4. */
function threadPoolSize (configured: string | undefined, cores: number): string {
  if (configured !== undefined && configured.trim() !== '') return configured // the deployment's choice
  return String(Math.min(4, Math.max(2, cores)))
}

process.env.UV_THREADPOOL_SIZE = threadPoolSize(process.env.UV_THREADPOOL_SIZE, os.availableParallelism())

export = { threadPoolSize }
